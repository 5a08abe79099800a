package io.lxdbackup.operator.store;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongConsumer;

/**
 * How {@link ObjectStore#upload} streams one object.
 *
 * <p>Memory use is bounded by {@code partSize * (parallelism + 1)}: one part being filled from
 * the source while up to {@code parallelism} parts are on the wire. With an unknown length S3's
 * limit of 10,000 parts caps an object at {@code 10,000 * partSize} (78 GiB at 8 MiB); pass the
 * expected size when it is known and the part size grows to fit.
 *
 * @param partSize         bytes per part, 5 MiB to 1 GiB
 * @param parallelism      parts uploaded at the same time
 * @param partRetries      extra attempts per part after the SDK's own retries gave up on a
 *                         transient error; cheap because the part is still in memory
 * @param contentType      content type of the object
 * @param metadata         user metadata ({@code x-amz-meta-*}); keys are lower-cased by S3
 * @param progress         receives bytes confirmed by the store, from any thread, at most once per
 *                         {@code progressInterval} and once at the end; {@code null} = none
 * @param progressInterval minimum time between two progress calls
 */
public record UploadOptions(
        long partSize,
        int parallelism,
        int partRetries,
        String contentType,
        Map<String, String> metadata,
        LongConsumer progress,
        Duration progressInterval) {

    public static final long MIN_PART_SIZE = 5L * 1024 * 1024;
    // S3 allows 5 GiB, but a part is one Java array here
    public static final long MAX_PART_SIZE = 1024L * 1024 * 1024;
    // 8 MiB: the part buffers ((parallelism + 1) x partSize = 40 MiB) stay well inside the 128 MiB
    // heap of the chart's 512Mi container; 16 MiB parts took 80 MiB of it and kept G1 busy
    public static final long DEFAULT_PART_SIZE = 8L * 1024 * 1024;
    public static final int DEFAULT_PARALLELISM = 4;
    public static final int DEFAULT_PART_RETRIES = 3;
    public static final String DEFAULT_CONTENT_TYPE = "application/octet-stream";

    public UploadOptions {
        if (partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
            throw new IllegalArgumentException("partSize must be between 5 MiB and 1 GiB (got " + partSize + ")");
        }
        if (parallelism < 1 || parallelism > 64) {
            throw new IllegalArgumentException("parallelism must be between 1 and 64 (got " + parallelism + ")");
        }
        if (partRetries < 0) {
            throw new IllegalArgumentException("partRetries must not be negative");
        }
        contentType = contentType == null || contentType.isBlank() ? DEFAULT_CONTENT_TYPE : contentType;
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
        if (metadata.keySet().stream().anyMatch(k -> k.equalsIgnoreCase(S3ObjectStore.SHA256_METADATA))) {
            throw new IllegalArgumentException("metadata key 'sha256' is reserved for the upload's checksum");
        }
        progressInterval = progressInterval == null ? Duration.ofSeconds(1) : progressInterval;
    }

    public static UploadOptions defaults() {
        return new UploadOptions(DEFAULT_PART_SIZE, DEFAULT_PARALLELISM, DEFAULT_PART_RETRIES, null, null, null, null);
    }

    public UploadOptions withPartSize(long partSize) {
        return new UploadOptions(partSize, parallelism, partRetries, contentType, metadata, progress, progressInterval);
    }

    public UploadOptions withParallelism(int parallelism) {
        return new UploadOptions(partSize, parallelism, partRetries, contentType, metadata, progress, progressInterval);
    }

    public UploadOptions withPartRetries(int partRetries) {
        return new UploadOptions(partSize, parallelism, partRetries, contentType, metadata, progress, progressInterval);
    }

    public UploadOptions withContentType(String contentType) {
        return new UploadOptions(partSize, parallelism, partRetries, contentType, metadata, progress, progressInterval);
    }

    public UploadOptions withMetadata(Map<String, String> metadata) {
        return new UploadOptions(partSize, parallelism, partRetries, contentType, metadata, progress, progressInterval);
    }

    public UploadOptions withProgress(LongConsumer progress, Duration interval) {
        Objects.requireNonNull(interval, "interval");
        return new UploadOptions(partSize, parallelism, partRetries, contentType, metadata, progress, interval);
    }
}
