package io.lxdbackup.operator.controller;

import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotStatus;
import io.lxdbackup.operator.lxd.Capabilities;
import io.lxdbackup.operator.lxd.LxdApi;
import io.lxdbackup.operator.lxd.Snapshot;
import io.lxdbackup.operator.lxd.SnapshotExpiry;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How an InstanceSnapshot recognises the snapshot it created. LXD's snapshot-create operation
 * does not report the name the server chose, but LXD keeps a snapshot's {@code expires_at} to the
 * nanosecond: the creation request carries an expiry with random nanoseconds, recorded in the
 * status before the request, and the snapshot carrying exactly that expiry is ours. A snapshot a
 * user or another tool took meanwhile never carries it. Once found, the intended expiry (the
 * spec's, the instance's {@code snapshots.expiry}, or none) replaces the mark on the server.
 */
final class CreationMark {
    private static final SecureRandom RANDOM = new SecureRandom();
    /** The base of a mark when the snapshot is meant never to expire (replaced right after creation). */
    static final Duration FAR_FUTURE = Duration.ofDays(100 * 365);

    static final String KEY_EXPIRY = "snapshots.expiry";

    private CreationMark() {}

    /**
     * A new mark: near the expiry the snapshot is meant to have (so that a snapshot whose mark is
     * never replaced still expires about when it should), with random nanoseconds. Null when the
     * server cannot take an expiry at creation (then snapshots are recognised by creation time).
     */
    static Instant choose(
            LxdApi client,
            Map<String, String> instanceConfig,
            InstanceSnapshotReconciler.ExpiryRequest expiry,
            Instant requestedAt) {
        if (!client.server().hasExtension(Capabilities.EXT_SNAPSHOT_EXPIRY_CREATION)) {
            return null;
        }
        Instant base = expiry.isSet() ? expiry.resolve(requestedAt) : instanceDefault(instanceConfig, requestedAt);
        if (base == null) {
            base = requestedAt.plus(FAR_FUTURE);
        }
        return base.truncatedTo(ChronoUnit.SECONDS).plusNanos(1 + RANDOM.nextInt(999_999_999));
    }

    /** The mark recorded in the status; null when none (an older operator, or no extension). */
    static Instant of(InstanceSnapshotStatus status) {
        return status == null || status.getCreationMark() == null ? null : Instant.parse(status.getCreationMark());
    }

    /** The snapshot carrying {@code mark} exactly, if any. */
    static Optional<Snapshot> carrying(List<Snapshot> snapshots, Instant mark) {
        return snapshots.stream().filter(s -> mark.equals(s.expiresAt())).findFirst();
    }

    /** Whether {@code s} still carries the mark recorded in {@code status}. */
    static boolean carries(Snapshot s, InstanceSnapshotStatus status) {
        Instant mark = of(status);
        return mark != null && mark.equals(s.expiresAt());
    }

    /**
     * The expiry LXD gives a snapshot created at {@code created} without an explicit one: from the
     * instance's (expanded) {@code snapshots.expiry}; null = never, also for an expression LXD
     * itself would not accept.
     */
    static Instant instanceDefault(Map<String, String> instanceConfig, Instant created) {
        try {
            return SnapshotExpiry.resolve(instanceConfig == null ? null : instanceConfig.get(KEY_EXPIRY), created)
                    .orElse(null);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
