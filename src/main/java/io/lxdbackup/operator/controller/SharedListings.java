package io.lxdbackup.operator.controller;

import io.lxdbackup.operator.lxd.Instance;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/**
 * One LXD instance listing shared by the schedule runs that need it at the same moment. When a
 * thousand schedules of one remote fire at midnight, each run would otherwise ask LXD for the
 * whole instance list (a thousand identical requests, each listing every instance); here the
 * runs for one scheduled time share one listing per remote and project.
 *
 * <p>A run for scheduled time {@code t} only uses a listing that was requested at or after
 * {@code t} (and at most {@link #MAX_AGE} ago, and not after now: a clock set back discards it),
 * so it still sees LXD as it was at its scheduled time or later, as if it had asked itself: an
 * instance created before the run's time is always in it. A failed listing is not kept; each waiting run gets its error and retries on its own.
 */
final class SharedListings {
    static final Duration MAX_AGE = Duration.ofSeconds(10);

    /** requestedAt on the operator's clock (compared with scheduled times), madeNanos for its age. */
    private record Listing(
            Object client, Instant requestedAt, long madeNanos, CompletableFuture<List<Instance>> result) {}

    private final Map<String, Listing> latest = new ConcurrentHashMap<>();
    private final Clock clock;
    private final long maxAgeNanos;

    SharedListings(Clock clock) {
        this(clock, MAX_AGE);
    }

    SharedListings(Clock clock, Duration maxAge) {
        this.clock = clock;
        this.maxAgeNanos = maxAge.toNanos();
    }

    /**
     * The instances of {@code key} (remote and project) as listed at or after {@code notBefore}:
     * a listing in flight or just made for another run when it qualifies, else a new one through
     * {@code fetch}. {@code client} identifies the connection ({@code LxdClient.connection()}): a
     * listing made through another connection (the remote was changed) is never reused.
     */
    List<Instance> list(String key, Object client, Instant notBefore, Supplier<List<Instance>> fetch) {
        Listing[] mine = new Listing[1];
        Listing use = latest.compute(key, (k, cur) -> {
            Instant now = clock.instant();
            long nanos = System.nanoTime();
            // made for this time or later, not "later than now" (the clock was set back), and recent
            if (cur != null
                    && cur.client() == client
                    && !cur.requestedAt().isBefore(notBefore)
                    && !cur.requestedAt().isAfter(now)
                    && nanos - cur.madeNanos() <= maxAgeNanos
                    && !cur.result().isCompletedExceptionally()) {
                return cur;
            }
            mine[0] = new Listing(client, now, nanos, new CompletableFuture<>());
            return mine[0];
        });
        if (use == mine[0]) {
            try {
                use.result().complete(List.copyOf(fetch.get()));
            } catch (RuntimeException | Error e) {
                use.result().completeExceptionally(e);
                latest.remove(key, use);
                throw e;
            }
        }
        try {
            return use.result().get();
        } catch (ExecutionException e) {
            throw unwrap(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CompletionException(e);
        }
    }

    private static RuntimeException unwrap(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new CompletionException(t);
    }
}
