package io.lxdbackup.operator.controller;

import java.time.Duration;
import java.time.Instant;

/**
 * When a periodic check of a resource comes due, lined up per group. Resources of one group (the
 * snapshots of one instance) are checked at the same moment of every interval, so that they can
 * share one read of the server ({@link SnapshotListings}); different groups are spread over the
 * interval by a hash of their key, so that the checks of thousands of resources do not all come
 * due together after a restart.
 *
 * <p>The delay returned is never shorter than half the interval nor longer than one and a half:
 * once in step, a resource is checked exactly once per interval.
 */
final class ResyncSlots {
    private ResyncSlots() {}

    /** The delay from {@code now} to the group's next slot at least half an interval away. */
    static Duration next(String group, Instant now, Duration interval) {
        long period = interval.toMillis();
        if (period <= 0) {
            return interval;
        }
        long offset = Math.floorMod(mix(group.hashCode()), period);
        long t = now.toEpochMilli();
        long earliest = t + period / 2;
        // the first slot (a multiple of the period plus the group's offset) at or after 'earliest'
        long slot = Math.floorDiv(earliest - offset, period) * period + offset;
        if (slot < earliest) {
            slot += period;
        }
        return Duration.ofMillis(slot - t);
    }

    /** Spreads nearby hash codes (names differing in one character) over the whole range. */
    private static long mix(int h) {
        long z = h * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        return z ^ (z >>> 31);
    }
}
