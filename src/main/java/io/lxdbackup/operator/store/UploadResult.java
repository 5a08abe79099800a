package io.lxdbackup.operator.store;

/**
 * A verified upload: the store confirmed {@code size} bytes at {@code key}, whose SHA-256 is
 * also recorded in the object's metadata.
 *
 * @param versionId the object version on versioned buckets, else {@code null}
 * @param parts     number of parts sent (1 for a single PUT)
 */
public record UploadResult(String key, long size, String sha256, String etag, String versionId, int parts) {}
