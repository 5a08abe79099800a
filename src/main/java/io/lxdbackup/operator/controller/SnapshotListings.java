package io.lxdbackup.operator.controller;

import io.lxdbackup.operator.lxd.LxdApi;
import io.lxdbackup.operator.lxd.LxdTarget;
import io.lxdbackup.operator.lxd.Snapshot;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.function.LongSupplier;

/**
 * One snapshot listing of an instance (or custom volume) shared by the periodic checks of all its
 * InstanceSnapshots. Every Ready InstanceSnapshot re-reads its snapshot on the server at a fixed
 * interval; one {@code GET} per snapshot would make the operator's idle load on LXD grow with the
 * number of snapshots it keeps. Here the checks of one instance, which {@link ResyncSlots} lines up
 * at the same moment, share one {@code GET .../snapshots?recursion=1}: the idle load grows with the
 * instances that have snapshots, not with the snapshots.
 *
 * <p>A listing is used for at most {@link #MAX_AGE} after it was requested, only through the
 * connection that made it (a changed remote never sees an old server's answer), and a failed one is
 * not kept. Finished listings older than that are dropped on the next call, so the map holds the
 * instances checked in the last moments only.
 */
final class SnapshotListings {
    static final Duration MAX_AGE = Duration.ofSeconds(30);

    private record Listing(Object connection, long madeNanos, CompletableFuture<Map<String, Snapshot>> result) {}

    private final Map<String, Listing> latest = new ConcurrentHashMap<>();
    private final LongSupplier nanos;
    private final long maxAgeNanos;

    SnapshotListings() {
        this(System::nanoTime, MAX_AGE);
    }

    SnapshotListings(LongSupplier nanos, Duration maxAge) {
        this.nanos = nanos;
        this.maxAgeNanos = maxAge.toNanos();
    }

    /**
     * The snapshot {@code name} of {@code target} as a recent listing shows it, or null when the
     * listing does not hold it (the caller confirms a missing snapshot with a direct read).
     */
    Snapshot find(LxdApi client, LxdTarget target, String name) {
        return snapshots(client, target).get(name);
    }

    /** The snapshots of {@code target} by name, from a listing at most {@link #MAX_AGE} old. */
    Map<String, Snapshot> snapshots(LxdApi client, LxdTarget target) {
        String key = client.endpoint().url() + "|" + client.endpoint().target() + "|" + client.project() + "|" + target;
        Object connection = client.connection();
        long now = nanos.getAsLong();
        sweep(now);
        Listing[] mine = new Listing[1];
        Listing use = latest.compute(key, (k, cur) -> {
            if (cur != null
                    && cur.connection() == connection
                    && now - cur.madeNanos() <= maxAgeNanos
                    && !cur.result().isCompletedExceptionally()) {
                return cur;
            }
            mine[0] = new Listing(connection, now, new CompletableFuture<>());
            return mine[0];
        });
        if (use == mine[0]) {
            try {
                Map<String, Snapshot> byName = new LinkedHashMap<>();
                client.listSnapshots(target).forEach(s -> byName.put(s.name(), s));
                use.result().complete(Map.copyOf(byName));
            } catch (RuntimeException | Error e) {
                use.result().completeExceptionally(e);
                latest.remove(key, use);
                throw e;
            }
        }
        try {
            return use.result().get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new CompletionException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CompletionException(e);
        }
    }

    /** How many listings are held (for tests). */
    int size() {
        return latest.size();
    }

    private void sweep(long now) {
        latest.values().removeIf(l -> l.result().isDone() && now - l.madeNanos() > maxAgeNanos);
    }
}
