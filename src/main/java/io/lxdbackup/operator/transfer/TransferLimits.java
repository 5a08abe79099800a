package io.lxdbackup.operator.transfer;

/**
 * Bounds on the transfers (exports, restores, relay copies) the operator runs at once.
 *
 * @param maxConcurrent  transfers running at once, over all kinds and namespaces
 * @param maxPerRemote   transfers running at once against one LXD remote (by namespace and name)
 * @param memoryBytes    bytes all transfers together may hold in part buffers
 * @param maxPartSize    largest upload part; with S3's 10,000 parts it bounds the size of an export
 */
public record TransferLimits(int maxConcurrent, int maxPerRemote, long memoryBytes, long maxPartSize) {
    public static final long MIB = 1024L * 1024;
    /** S3's limit on the parts of one multipart upload. */
    public static final long MAX_PARTS = 10_000;

    public static final int DEFAULT_MAX_CONCURRENT = 4;
    public static final int DEFAULT_MAX_PER_REMOTE = 2;
    // the chart's 512Mi container gives a 384 MiB heap of which the operator itself uses about
    // 130 MiB; two exports of 5 x 8 MiB parts fit in 96 MiB. With 160 MiB, 8 concurrent exports
    // (2 at a time) peaked at 591 MiB RSS once (see docs/benchmarks.md), too close to the limit
    public static final long DEFAULT_MEMORY = 96 * MIB;
    // 10,000 parts of 64 MiB: exports up to 625 GiB
    public static final long DEFAULT_MAX_PART_SIZE = 64 * MIB;
    public static final long MIN_PART_SIZE = 5 * MIB;

    public TransferLimits {
        if (maxConcurrent < 1) {
            throw new IllegalArgumentException("--max-transfers must be at least 1 (got " + maxConcurrent + ")");
        }
        if (maxPerRemote < 1) {
            throw new IllegalArgumentException(
                    "--max-transfers-per-remote must be at least 1 (got " + maxPerRemote + ")");
        }
        if (maxPartSize < MIN_PART_SIZE || maxPartSize > 1024 * MIB) {
            throw new IllegalArgumentException("--max-part-size must be between 5Mi and 1Gi (got " + maxPartSize + ")");
        }
        if (memoryBytes < 2 * MIN_PART_SIZE) {
            throw new IllegalArgumentException(
                    "--transfer-memory must hold at least two parts of 5Mi (got " + memoryBytes + ")");
        }
    }

    public static TransferLimits defaults() {
        return new TransferLimits(
                DEFAULT_MAX_CONCURRENT, DEFAULT_MAX_PER_REMOTE, DEFAULT_MEMORY, DEFAULT_MAX_PART_SIZE);
    }

    /** The largest object an export may write: {@link #MAX_PARTS} parts of {@link #maxPartSize}. */
    public long maxObjectSize() {
        return MAX_PARTS * maxPartSize;
    }

    /**
     * Parses a size such as {@code 160Mi}, {@code 1Gi}, {@code 64M} or a plain number of bytes
     * (Kubernetes quantity suffixes, binary and decimal).
     */
    public static long parseSize(String flag, String value) {
        String v = value.trim();
        long unit = 1;
        String[][] suffixes = {
            {"Ki", "1024"},
            {"Mi", String.valueOf(MIB)},
            {"Gi", String.valueOf(1024 * MIB)},
            {"K", "1000"},
            {"M", "1000000"},
            {"G", "1000000000"}
        };
        for (String[] s : suffixes) {
            if (v.endsWith(s[0])) {
                unit = Long.parseLong(s[1]);
                v = v.substring(0, v.length() - s[0].length());
                break;
            }
        }
        try {
            return Math.multiplyExact(Long.parseLong(v), unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException(
                    "--" + flag + " must be a size such as 160Mi or 1Gi (got " + value + ")");
        }
    }
}
