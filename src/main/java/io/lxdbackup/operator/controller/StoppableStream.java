package io.lxdbackup.operator.controller;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.BooleanSupplier;

/**
 * A transfer's stream that ends with an {@link IOException} at the next read once it is stopped:
 * by {@link #cancel()} from another thread (the operator's stop, a deletion seen by the reconcile),
 * or once {@code stop} answers true (asked at most every {@link #CHECK_EVERY_NANOS}; for example
 * its resource was deleted). What it feeds is cut off and cleaned up like a failed transfer.
 */
final class StoppableStream extends FilterInputStream {
    static final long CHECK_EVERY_NANOS = 500_000_000L;

    private final BooleanSupplier stop;
    private long lastCheck = System.nanoTime() - CHECK_EVERY_NANOS;
    private volatile boolean cancelled;

    /** A stream stopped only by {@link #cancel()}. */
    StoppableStream(InputStream in) {
        this(in, () -> false);
    }

    StoppableStream(InputStream in, BooleanSupplier stop) {
        super(in);
        this.stop = stop;
    }

    void cancel() {
        cancelled = true;
    }

    /** Whether it was cancelled, or its {@code stop} answered true. */
    boolean cancelled() {
        return cancelled;
    }

    private void check() throws IOException {
        if (!cancelled) {
            long now = System.nanoTime();
            if (now - lastCheck >= CHECK_EVERY_NANOS) {
                lastCheck = now;
                cancelled = stop.getAsBoolean();
            }
        }
        if (cancelled) {
            throw new IOException("transfer stopped");
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
