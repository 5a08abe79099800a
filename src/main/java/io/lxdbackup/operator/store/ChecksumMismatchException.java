package io.lxdbackup.operator.store;

import java.io.IOException;

/**
 * A downloaded object does not match the size or SHA-256 recorded at upload. An
 * {@link IOException} because it surfaces from {@code read()} in the middle of a copy, where
 * callers already handle stream failures.
 */
public class ChecksumMismatchException extends IOException {
    private final String expectedSha256;
    private final String actualSha256;
    private final long expectedSize;
    private final long actualSize;

    public ChecksumMismatchException(String expectedSha256, String actualSha256, long expectedSize, long actualSize) {
        super(describe(expectedSha256, actualSha256, expectedSize, actualSize));
        this.expectedSha256 = expectedSha256;
        this.actualSha256 = actualSha256;
        this.expectedSize = expectedSize;
        this.actualSize = actualSize;
    }

    private static String describe(String expectedSha, String actualSha, long expectedSize, long actualSize) {
        if (expectedSize >= 0 && expectedSize != actualSize) {
            return "object is " + (actualSize > expectedSize ? "longer" : "shorter") + " than recorded: "
                    + (actualSize > expectedSize ? "more than " : "") + actualSize + " bytes, expected "
                    + expectedSize + "; the object was changed or truncated after upload";
        }
        return "object SHA-256 " + actualSha + " does not match the recorded " + expectedSha
                + "; the object was changed or corrupted after upload";
    }

    public String expectedSha256() {
        return expectedSha256;
    }

    /** The SHA-256 of what was read, or {@code null} when reading stopped early on a size mismatch. */
    public String actualSha256() {
        return actualSha256;
    }

    /** Expected size in bytes, or -1 when only the checksum was checked. */
    public long expectedSize() {
        return expectedSize;
    }

    public long actualSize() {
        return actualSize;
    }
}
