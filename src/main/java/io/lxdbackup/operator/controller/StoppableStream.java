package io.lxdbackup.operator.controller;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.BooleanSupplier;

/**
 * A stream that ends with an {@link IOException} at the next read once {@code stop} answers true
 * (its resource was deleted): the import it feeds is cut off and cleaned up like a failed one.
 * {@code stop} is asked at most every {@link #CHECK_EVERY_NANOS}.
 */
final class StoppableStream extends FilterInputStream {
    static final long CHECK_EVERY_NANOS = 500_000_000L;

    private final BooleanSupplier stop;
    private long lastCheck = System.nanoTime() - CHECK_EVERY_NANOS;

    StoppableStream(InputStream in, BooleanSupplier stop) {
        super(in);
        this.stop = stop;
    }

    private void check() throws IOException {
        long now = System.nanoTime();
        if (now - lastCheck >= CHECK_EVERY_NANOS) {
            lastCheck = now;
            if (stop.getAsBoolean()) {
                throw new IOException("transfer stopped: its resource was deleted");
            }
        }
    }

    @Override
    public int read() throws IOException {
        check();
        return super.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        check();
        return super.read(b, off, len);
    }
}
