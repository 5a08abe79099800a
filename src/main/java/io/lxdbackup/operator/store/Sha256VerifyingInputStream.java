package io.lxdbackup.operator.store;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;

/**
 * Passes a download through while hashing it, so that a restore streams and verifies in one
 * pass. At EOF it throws {@link ChecksumMismatchException} unless the byte count and SHA-256
 * match; a stream longer than expected fails as soon as the extra byte is read, so a corrupt
 * object is never fully consumed by the importer.
 */
public final class Sha256VerifyingInputStream extends FilterInputStream {
    private final MessageDigest digest = Sha256.newDigest();
    private final String expectedSha256;
    private final long expectedSize;
    private long count;
    private boolean verified;
    private ChecksumMismatchException failure;

    /**
     * @param expectedSha256 lower- or upper-case hex
     * @param expectedSize   bytes, or -1 to check the checksum only
     */
    public Sha256VerifyingInputStream(InputStream in, String expectedSha256, long expectedSize) {
        super(Objects.requireNonNull(in, "in"));
        this.expectedSha256 =
                Objects.requireNonNull(expectedSha256, "expectedSha256").toLowerCase(Locale.ROOT);
        this.expectedSize = expectedSize;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b < 0) {
            verifyAtEof();
        } else {
            digest.update((byte) b);
            counted(1);
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n < 0) {
            verifyAtEof();
        } else if (n > 0) {
            digest.update(b, off, n);
            counted(n);
        }
        return n;
    }

    /** Skipped bytes are still hashed; a skip must not hide corruption. */
    @Override
    public long skip(long n) throws IOException {
        byte[] scratch = new byte[(int) Math.min(8192, Math.max(n, 1))];
        long done = 0;
        while (done < n) {
            int r = read(scratch, 0, (int) Math.min(scratch.length, n - done));
            if (r < 0) {
                break;
            }
            done += r;
        }
        return done;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    @Override
    public synchronized void mark(int readlimit) {}

    @Override
    public synchronized void reset() throws IOException {
        throw new IOException("mark/reset not supported while verifying a checksum");
    }

    /** Bytes read so far. */
    public long count() {
        return count;
    }

    private void counted(int n) throws ChecksumMismatchException {
        count += n;
        if (expectedSize >= 0 && count > expectedSize) {
            failure = new ChecksumMismatchException(expectedSha256, null, expectedSize, count);
            throw failure;
        }
    }

    private void verifyAtEof() throws ChecksumMismatchException {
        // a caller that reads on after the failure must not see a clean EOF
        if (failure != null) {
            throw failure;
        }
        if (verified) {
            return;
        }
        verified = true;
        String actual = HexFormat.of().formatHex(digest.digest());
        if ((expectedSize >= 0 && count != expectedSize) || !actual.equals(expectedSha256)) {
            failure = new ChecksumMismatchException(expectedSha256, actual, expectedSize, count);
            throw failure;
        }
    }
}
