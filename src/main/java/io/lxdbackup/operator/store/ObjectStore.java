package io.lxdbackup.operator.store;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;

/**
 * One bucket (and prefix) of S3-compatible object storage. Keys are absolute within the bucket;
 * build them with {@link ObjectKeys}. Every method throws {@link StoreException} for store-side
 * failures; writes on a read-only store fail with {@code ReadOnlyViolation} before any request.
 */
public interface ObjectStore extends AutoCloseable {

    StoreConfig config();

    /**
     * Checks that the bucket exists and can be listed under the prefix with the configured
     * credentials and, unless read-only, that an object can be written and deleted there.
     */
    void validate();

    /**
     * Streams {@code data} to {@code key} in a single pass, computing its SHA-256 on the way, and
     * returns only after the store confirmed the size and, where its ETags are MD5-based, the ETag
     * expected from what was sent (see {@link UploadResult.Verification}). Nothing is visible at
     * {@code key} unless the whole upload succeeded. The SHA-256 is returned; it is in the object's
     * metadata only when the upload was a single PUT, so the caller records it (the manifest).
     * Does not close {@code data}.
     *
     * @param expectedSize the length when known (checked, and used to size parts), else -1
     * @throws IOException when reading {@code data} fails or it does not have {@code expectedSize}
     *                     bytes; the upload is aborted first
     */
    UploadResult upload(String key, InputStream data, long expectedSize, UploadOptions options) throws IOException;

    /**
     * Aborts multipart uploads left for {@code key} by an interrupted {@link #upload} (operator
     * crash).
     *
     * @return the number of multipart uploads aborted
     */
    int abortStaleUploads(String key);

    /** True when a multipart upload of exactly {@code key} (not a longer key) is in progress. */
    boolean hasUnfinishedUploads(String key);

    /** The object's bytes as they arrive; the caller closes the stream. */
    InputStream download(String key);

    /** {@link #download} that fails on EOF unless size and SHA-256 match; see {@link Sha256VerifyingInputStream}. */
    default InputStream downloadVerified(String key, String expectedSha256, long expectedSize) {
        return new Sha256VerifyingInputStream(download(key), expectedSha256, expectedSize);
    }

    Optional<ObjectInfo> head(String key);

    /** Deletes {@code key}; deleting a missing key succeeds. */
    void delete(String key);

    /** Every object whose key starts with {@code prefix}, in key order. */
    List<ObjectInfo> list(String prefix);

    /** Writes a small object (a manifest) in one request. */
    void putSmall(String key, byte[] body, String contentType);

    /** Reads a small object (a manifest); refuses objects larger than a few MiB. */
    byte[] getSmall(String key);

    @Override
    void close();
}
