package io.lxdbackup.operator.store;

/**
 * A verified upload: the store confirmed {@code size} bytes at {@code key} and, where its ETags
 * are MD5-based, an ETag equal to the one expected from the MD5s of what was sent. The
 * {@code sha256} of the whole stream is computed on the way; it is stored as
 * {@code x-amz-meta-sha256} only for single-PUT objects, so callers record it elsewhere (the
 * export manifest).
 *
 * @param etag         the object's ETag as the store reported it (unquoted)
 * @param versionId    the object version on versioned buckets, else {@code null}
 * @param parts        number of parts sent (1 for a single PUT)
 * @param verification how the store's copy was checked
 */
public record UploadResult(
        String key, long size, String sha256, String etag, String versionId, int parts, Verification verification) {

    public enum Verification {
        /**
         * Size, and ETag equal to the MD5 of the body (single PUT) or to the MD5 of the part ETags
         * the store acknowledged, each part having been checked against its signed SHA-256 on
         * arrival (multipart).
         */
        SIZE_AND_MD5_ETAG,
        /** Size only: the store's ETags are not MD5-based (SSE-KMS, or a store with other ETags). */
        SIZE_ONLY
    }
}
