package io.lxdbackup.operator.controller;

import java.time.Duration;

/** Exponential back-off for transient failures: 5s, 10s, 20s ... capped, so no retry storm. */
public final class Backoff {
    private Backoff() {}

    public static Duration delay(int failures, Duration cap) {
        long seconds = 5L << Math.min(Math.max(failures - 1, 0), 10);
        Duration d = Duration.ofSeconds(seconds);
        return d.compareTo(cap) > 0 ? cap : d;
    }
}
