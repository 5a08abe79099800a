package io.lxdbackup.operator.transfer;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Admits transfers within {@link TransferLimits}: a count over all transfers, a count per LXD
 * remote, and one memory budget for their part buffers. It never blocks: {@link #tryAcquire}
 * answers at once with a {@link Permit} or with why the transfer waits and its place in line,
 * so a reconcile can report {@code Queued} and come back later instead of holding its thread.
 *
 * <p>First come, first served: a transfer is admitted only when no transfer that asked earlier
 * and is still waiting would fit now (one held back by its own remote's limit does not hold
 * back others). A waiter that stops asking (its resource was deleted) leaves the line after
 * {@link #STALE_AFTER}.
 */
public final class TransferLimiter {
    /** A waiter not seen again for this long has gone away. */
    public static final Duration STALE_AFTER = Duration.ofMinutes(2);

    /** One transfer: {@code id} is stable across reconciles (the resource's uid). */
    public record Request(String id, String kind, String remote, long bytes) {}

    /** The answer to {@link #tryAcquire}: a permit, or why not. */
    public sealed interface Decision permits Permit, Queued {}

    /** Waiting: {@code position} in line (1 = next), and a message saying for what. */
    public record Queued(int position, int waiting, String message) implements Decision {}

    /** A running transfer's share; released exactly once. */
    public final class Permit implements Decision, AutoCloseable {
        private final Request request;
        private long bytes;
        private boolean released;

        private Permit(Request request) {
            this.request = request;
            this.bytes = request.bytes();
        }

        public long bytes() {
            synchronized (TransferLimiter.this) {
                return bytes;
            }
        }

        /**
         * Raises this permit's memory to {@code total} bytes if the budget has room now (a larger
         * object needs larger parts than first assumed); false leaves it as it was.
         */
        public boolean tryGrow(long total) {
            synchronized (TransferLimiter.this) {
                if (total <= bytes) {
                    return true;
                }
                if (memoryInUse + total - bytes > limits.memoryBytes()) {
                    return false;
                }
                memoryInUse += total - bytes;
                bytes = total;
                return true;
            }
        }

        @Override
        public void close() {
            release(this);
        }
    }

    private final TransferLimits limits;
    private final Clock clock;
    /**
     * The threads transfers run on, off the shared reconcile threads: as many as
     * {@link TransferLimits#maxConcurrent()}, since only a transfer holding a permit is started.
     */
    private final ThreadPoolExecutor executor;

    private final Map<String, Permit> running = new HashMap<>();
    private final Map<String, Integer> perRemote = new HashMap<>();
    /** Waiting transfers in order of their first request, with the time they last asked. */
    private final LinkedHashMap<String, Waiter> waiting = new LinkedHashMap<>();

    private long memoryInUse;

    private record Waiter(Request request, Instant lastSeen) {}

    public TransferLimiter(TransferLimits limits, Clock clock) {
        this.limits = limits;
        this.clock = clock;
        AtomicInteger n = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(
                limits.maxConcurrent(),
                limits.maxConcurrent(),
                60,
                TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(),
                r -> {
                    Thread t = new Thread(r, "transfer-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        executor.allowCoreThreadTimeOut(true);
    }

    /**
     * Takes no more transfers and waits up to {@code grace} for the running ones to end (their
     * owners stopped their streams first), as the operator's stop waits for running reconciles.
     */
    public void shutdown(Duration grace) {
        executor.shutdown();
        try {
            executor.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Where admitted transfers run: {@link TransferLimits#maxConcurrent()} threads of their own, so a
     * slow transfer (a slow or stalled server) never holds one of the reconcile threads every
     * tenant shares. Idle threads end after a minute.
     */
    public Executor executor() {
        return executor;
    }

    public TransferLimits limits() {
        return limits;
    }

    /**
     * A permit for {@code r}, or its place in line. Asking again with the same id keeps the
     * place. A request for more memory than the whole budget is trimmed to the budget: the caller
     * sizes its buffers from {@link Permit#bytes()}.
     */
    public synchronized Decision tryAcquire(Request r) {
        if (running.containsKey(r.id())) {
            throw new IllegalStateException("transfer " + r.id() + " already holds a permit");
        }
        Request req =
                r.bytes() > limits.memoryBytes() ? new Request(r.id(), r.kind(), r.remote(), limits.memoryBytes()) : r;
        Instant now = clock.instant();
        waiting.values().removeIf(w -> w.lastSeen().plus(STALE_AFTER).isBefore(now));
        String blocker = blocker(req);
        boolean earlierFits = false;
        int position = 1;
        for (Map.Entry<String, Waiter> w : waiting.entrySet()) {
            if (w.getKey().equals(req.id())) {
                break;
            }
            if (blocker(w.getValue().request()) == null) {
                earlierFits = true;
            }
            position++;
        }
        if (blocker == null && !earlierFits) {
            waiting.remove(req.id());
            Permit p = new Permit(req);
            running.put(req.id(), p);
            perRemote.merge(req.remote(), 1, Integer::sum);
            memoryInUse += req.bytes();
            return p;
        }
        Waiter previous = waiting.get(req.id());
        if (previous == null) {
            waiting.put(req.id(), new Waiter(req, now));
            position = waiting.size();
        } else {
            waiting.put(req.id(), new Waiter(req, now));
        }
        String why = blocker != null ? blocker : "transfers that asked earlier go first";
        return new Queued(
                position,
                waiting.size(),
                "Waiting for a transfer slot: number " + position + " of " + waiting.size() + " waiting; " + why);
    }

    /** What keeps {@code r} from running now, or null when it fits. */
    private String blocker(Request r) {
        if (running.size() >= limits.maxConcurrent()) {
            return running.size() + " of " + limits.maxConcurrent() + " transfers running (--max-transfers)";
        }
        int onRemote = perRemote.getOrDefault(r.remote(), 0);
        if (onRemote >= limits.maxPerRemote()) {
            return onRemote + " of " + limits.maxPerRemote() + " transfers running on remote " + r.remote()
                    + " (--max-transfers-per-remote)";
        }
        if (memoryInUse + r.bytes() > limits.memoryBytes()) {
            return "transfer memory " + mib(memoryInUse) + " of " + mib(limits.memoryBytes()) + " in use, "
                    + mib(r.bytes()) + " needed (--transfer-memory)";
        }
        return null;
    }

    private synchronized void release(Permit p) {
        if (p.released) {
            return;
        }
        p.released = true;
        running.remove(p.request.id());
        perRemote.computeIfPresent(p.request.remote(), (k, n) -> n <= 1 ? null : n - 1);
        memoryInUse -= p.bytes;
    }

    /** Forgets a waiter at once (its resource was deleted or finished another way). */
    public synchronized void forget(String id) {
        waiting.remove(id);
    }

    public synchronized int runningCount() {
        return running.size();
    }

    public synchronized int waitingCount() {
        return waiting.size();
    }

    public synchronized long memoryInUse() {
        return memoryInUse;
    }

    /** Ids of the running transfers (for tests and diagnostics). */
    public synchronized List<String> runningIds() {
        return new ArrayList<>(running.keySet());
    }

    static String mib(long bytes) {
        return (bytes + TransferLimits.MIB - 1) / TransferLimits.MIB + " MiB";
    }

    /** Bytes an upload holds: one part being filled plus {@code parallelism} parts on the wire. */
    public static long uploadMemory(long partSize, int parallelism) {
        return partSize * (parallelism + 1L);
    }
}
