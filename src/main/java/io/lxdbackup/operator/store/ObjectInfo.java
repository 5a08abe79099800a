package io.lxdbackup.operator.store;

import java.time.Instant;

/**
 * What the store knows about one object.
 *
 * @param sha256 from the object's {@code x-amz-meta-sha256}; only {@link ObjectStore#head} reads
 *               metadata, so entries from {@link ObjectStore#list} carry {@code null}, and only
 *               objects written by a single PUT (manifests, small exports) have it: for an export
 *               the manifest {@code <key>.json} is the checksum record
 */
public record ObjectInfo(String key, long size, String sha256, Instant lastModified, String etag) {}
