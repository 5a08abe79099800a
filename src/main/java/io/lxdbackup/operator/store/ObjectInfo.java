package io.lxdbackup.operator.store;

import java.time.Instant;
import java.util.Map;

/**
 * What the store knows about one object.
 *
 * @param sha256   from the object's {@code x-amz-meta-sha256}; only {@link ObjectStore#head} reads
 *                 metadata, so entries from {@link ObjectStore#list} carry {@code null}, and only
 *                 objects written by a single PUT (manifests, small exports) have it: for an export
 *                 the manifest {@code <key>.json} is the checksum record
 * @param metadata the object's user metadata ({@code x-amz-meta-*}, keys lower-case); only
 *                 {@link ObjectStore#head} fills it, {@link ObjectStore#list} leaves it empty
 */
public record ObjectInfo(
        String key, long size, String sha256, Instant lastModified, String etag, Map<String, String> metadata) {

    public ObjectInfo {
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    }

    public ObjectInfo(String key, long size, String sha256, Instant lastModified, String etag) {
        this(key, size, sha256, lastModified, etag, Map.of());
    }
}
