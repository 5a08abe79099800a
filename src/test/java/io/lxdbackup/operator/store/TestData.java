package io.lxdbackup.operator.store;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * Pseudo-random bytes of any length generated while read, never held as one array. Content
 * depends only on seed and position, so a second instance replays the same bytes for checks.
 */
final class TestData extends InputStream {
    private static final int BLOCK = 64 * 1024;

    private final long seed;
    private final long size;
    private final long failAfter;
    private final byte[] block = new byte[BLOCK];
    private long blockIndex = -1;
    private long pos;

    TestData(long seed, long size) {
        this(seed, size, -1);
    }

    /** @param failAfter throw an IOException once this many bytes were read; -1 = never */
    TestData(long seed, long size, long failAfter) {
        this.seed = seed;
        this.size = size;
        this.failAfter = failAfter;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (failAfter >= 0 && pos >= failAfter) {
            throw new IOException("source failed after " + pos + " bytes (injected)");
        }
        if (pos >= size) {
            return -1;
        }
        long idx = pos / BLOCK;
        if (idx != blockIndex) {
            new SplittableRandom(seed * 1_000_003L + idx).nextBytes(block);
            blockIndex = idx;
        }
        int inBlock = (int) (pos % BLOCK);
        // short reads on purpose: the uploader must not assume read() fills the buffer
        long limit = Math.min(size - pos, BLOCK - inBlock);
        if (failAfter >= 0) {
            limit = Math.min(limit, failAfter - pos);
        }
        int n = (int) Math.min(len, limit);
        System.arraycopy(block, inBlock, b, off, n);
        pos += n;
        return n;
    }

    static String sha256(long seed, long size) throws IOException {
        return sha256(new TestData(seed, size));
    }

    static String sha256(InputStream in) throws IOException {
        MessageDigest d = Sha256.newDigest();
        byte[] buf = new byte[256 * 1024];
        for (int n; (n = in.read(buf)) >= 0; ) {
            d.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(d.digest());
    }

    /** Counts bytes and records the farthest the reader got ahead of {@code uploaded}. */
    static final class ReadAhead extends InputStream {
        private final InputStream in;
        private final java.util.function.LongSupplier uploaded;
        private long read;
        private long maxAhead;

        ReadAhead(InputStream in, java.util.function.LongSupplier uploaded) {
            this.in = in;
            this.uploaded = uploaded;
        }

        @Override
        public int read() throws IOException {
            throw new UnsupportedOperationException();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                read += n;
                maxAhead = Math.max(maxAhead, read - uploaded.getAsLong());
            }
            return n;
        }

        long maxAhead() {
            return maxAhead;
        }
    }
}
