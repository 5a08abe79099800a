package io.lxdbackup.operator.verify;

import java.util.function.LongSupplier;

/**
 * Keeps a stream at or below a rate in bytes per second: after each chunk the caller reports,
 * it sleeps until the bytes so far are "paid for". The allowance never builds up beyond one
 * second of idle time, so a pause is not followed by a burst faster than the rate.
 */
public final class Throttle {
    /** Sleeps for the given nanoseconds; tests pass a recording one. */
    @FunctionalInterface
    public interface Sleeper {
        void sleepNanos(long nanos) throws InterruptedException;
    }

    private static final long SECOND = 1_000_000_000L;
    private final long bytesPerSecond;
    private final LongSupplier nanoTime;
    private final Sleeper sleeper;
    /** The time at which everything reported so far has been paid for. */
    private long paidUntil;

    private Throttle(long bytesPerSecond, LongSupplier nanoTime, Sleeper sleeper) {
        this.bytesPerSecond = bytesPerSecond;
        this.nanoTime = nanoTime;
        this.sleeper = sleeper;
        this.paidUntil = nanoTime.getAsLong();
    }

    /** No limit. */
    public static Throttle unlimited() {
        return new Throttle(0, () -> 0L, n -> {});
    }

    /** @param bytesPerSecond the rate; 0 or less = unlimited */
    public static Throttle of(long bytesPerSecond) {
        return bytesPerSecond <= 0
                ? unlimited()
                : new Throttle(
                        bytesPerSecond, System::nanoTime, n -> java.util.concurrent.TimeUnit.NANOSECONDS.sleep(n));
    }

    /** For tests: an injected clock and sleeper. */
    static Throttle of(long bytesPerSecond, LongSupplier nanoTime, Sleeper sleeper) {
        return new Throttle(bytesPerSecond, nanoTime, sleeper);
    }

    public boolean limited() {
        return bytesPerSecond > 0;
    }

    /** Accounts for {@code bytes} just read and waits as long as the rate requires. */
    public void pace(long bytes) throws InterruptedException {
        if (bytesPerSecond <= 0 || bytes <= 0) {
            return;
        }
        long now = nanoTime.getAsLong();
        // idle time earns at most one second of allowance
        paidUntil = Math.max(paidUntil, now - SECOND);
        paidUntil += (long) ((double) bytes * SECOND / bytesPerSecond);
        long wait = paidUntil - now;
        if (wait > 0) {
            sleeper.sleepNanos(wait);
        }
    }
}
