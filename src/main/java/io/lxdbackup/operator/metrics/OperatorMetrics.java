package io.lxdbackup.operator.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The operator's own meters, beside JOSDK's reconciliation metrics. Names are documented in
 * the metrics reference in docs/operations.md; labels never carry secrets.
 */
public final class OperatorMetrics {
    public static final String OPERATIONS = "lxdbackup.operations";
    public static final String OPERATION_DURATION = "lxdbackup.operation.duration";
    public static final String LAST_SUCCESS = "lxdbackup.last.success.timestamp";
    public static final String BYTES = "lxdbackup.transferred.bytes";
    public static final String RUN_START_DELAY = "lxdbackup.schedule.run.start.delay";
    public static final String REMOTE_READY = "lxdbackup.remote.ready";
    public static final String STORE_AVAILABLE = "lxdbackup.store.available";
    public static final String CONSECUTIVE_FAILURES = "lxdbackup.consecutive.failures";
    public static final String CHECKSUM_MISMATCHES = "lxdbackup.checksum.mismatches";
    public static final String MISSED_RUNS = "lxdbackup.schedule.missed.runs";
    public static final String QUEUE_DEPTH = "lxdbackup.reconcile.queue.depth";
    public static final String ACTIVE_RECONCILES = "lxdbackup.reconcile.active";
    public static final String LAST_VERIFIED = "lxdbackup.last.verified.timestamp";
    public static final String VERIFICATION_FAILURES = "lxdbackup.verification.failures";
    public static final String INSTANCE_SNAPSHOTS = "lxdbackup.instance.snapshots";
    /** The condition reason {@link #operation} records as result for a checksum mismatch. */
    static final String CHECKSUM_MISMATCH = "ChecksumMismatch";
    /** Histogram buckets of {@link #RUN_START_DELAY}: around the 2 s a run should start within. */
    private static final Duration[] RUN_START_BUCKETS = {
        Duration.ofMillis(250),
        Duration.ofMillis(500),
        Duration.ofSeconds(1),
        Duration.ofSeconds(2),
        Duration.ofSeconds(5),
        Duration.ofSeconds(10),
        Duration.ofSeconds(30),
        Duration.ofMinutes(1),
        Duration.ofMinutes(5)
    };

    private final MeterRegistry registry;
    private final ConcurrentMap<String, AtomicLong> lastSuccess = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, FailureRun> failureRuns = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, AtomicLong> lastVerified = new ConcurrentHashMap<>();
    /** Meters of one custom resource (remote, store, schedule), removed with {@link #forget}. */
    private final ConcurrentMap<String, ResourceMeters> resources = new ConcurrentHashMap<>();
    /** Per SnapshotSchedule, the snapshot count gauge of each instance in its inventory. */
    private final ConcurrentMap<String, Map<String, AtomicLong>> instanceSnapshots = new ConcurrentHashMap<>();

    public OperatorMetrics(MeterRegistry registry) {
        this.registry = registry;
        // present from the start at 0, so that the first mismatch is an increase Prometheus sees
        for (String kind : new String[] {"InstanceExport", "InstanceRestore", "BackupVerification"}) {
            checksumMismatches(kind);
        }
        for (String level : new String[] {"Checksum", "Restore"}) {
            verificationFailures(level);
        }
    }

    /** For tests and tools that do not export metrics. */
    public static OperatorMetrics noop() {
        return new OperatorMetrics(new SimpleMeterRegistry());
    }

    public MeterRegistry registry() {
        return registry;
    }

    /**
     * Records one finished LXD-side operation.
     *
     * @param kind      custom resource kind (InstanceSnapshot, InstanceExport, ...)
     * @param operation what was done (create, delete, restore, upload, ...)
     * @param result    success or the failure reason
     */
    public void operation(String kind, String operation, String result, Duration duration) {
        Counter.builder(OPERATIONS)
                .description("LXD and store operations by kind, operation and result")
                .tag("kind", kind)
                .tag("operation", operation)
                .tag("result", result)
                .register(registry)
                .increment();
        if (CHECKSUM_MISMATCH.equals(result)) {
            checksumMismatches(kind).increment();
        }
        if (duration != null) {
            Timer.builder(OPERATION_DURATION)
                    .description("Duration of LXD and store operations")
                    .tag("kind", kind)
                    .tag("operation", operation)
                    .register(registry)
                    .record(duration);
        }
    }

    /**
     * Records a success for one instance (alert when the gauge gets old). The gauge only moves
     * forward: re-checking an older snapshot or export (a resync, an operator restart) reports its
     * own, older time, which must not hide a newer success.
     */
    public void lastSuccess(String kind, String namespace, String remote, String instance, Instant when) {
        String key = kind + '\0' + namespace + '\0' + remote + '\0' + instance;
        AtomicLong holder = lastSuccess.computeIfAbsent(key, k -> {
            AtomicLong v = new AtomicLong();
            Gauge.builder(LAST_SUCCESS, v, AtomicLong::get)
                    .description("Unix time of the last successful backup action per instance")
                    .tag("kind", kind)
                    .tag("namespace", namespace)
                    .tag("remote", remote)
                    .tag("instance", instance)
                    .register(registry);
            return v;
        });
        holder.accumulateAndGet(when.getEpochSecond(), Math::max);
        FailureRun run = failureRuns.get(key);
        if (run != null) {
            run.succeeded(when.getEpochSecond());
        }
    }

    /**
     * Records that one resource of {@code kind} for this instance failed for good (entered its
     * Failed phase). {@code lxdbackup_consecutive_failures} counts these since the instance's last
     * success of that kind; a success at or after the latest failure sets it back to 0, an older
     * one (the resync of an earlier snapshot) does not. One series per instance, as for
     * {@link #lastSuccess}.
     */
    public void failure(String kind, String namespace, String remote, String instance, Instant when) {
        String key = kind + '\0' + namespace + '\0' + orEmpty(remote) + '\0' + orEmpty(instance);
        failureRuns
                .computeIfAbsent(key, k -> {
                    FailureRun run = new FailureRun();
                    Gauge.builder(CONSECUTIVE_FAILURES, run, FailureRun::count)
                            .description("Resources of this kind that failed for the instance since its last success")
                            .tag("kind", kind)
                            .tag("namespace", namespace)
                            .tag("remote", orEmpty(remote))
                            .tag("instance", orEmpty(instance))
                            .register(registry);
                    return run;
                })
                .failed(when.getEpochSecond());
    }

    /**
     * Records that the newest export of an instance was verified at {@code level} (Checksum: its
     * object re-read and matched; Restore: also imported by a drill). Only moves forward, like
     * {@link #lastSuccess}.
     */
    public void lastVerified(String namespace, String remote, String instance, String level, Instant when) {
        String key = namespace + '\0' + orEmpty(remote) + '\0' + orEmpty(instance) + '\0' + level;
        lastVerified
                .computeIfAbsent(key, k -> {
                    AtomicLong v = new AtomicLong();
                    Gauge.builder(LAST_VERIFIED, v, AtomicLong::get)
                            .description("Unix time an export of the instance last passed verification, per level")
                            .tag("namespace", namespace)
                            .tag("remote", orEmpty(remote))
                            .tag("instance", orEmpty(instance))
                            .tag("level", level)
                            .register(registry);
                    return v;
                })
                .accumulateAndGet(when.getEpochSecond(), Math::max);
    }

    /** One export failed verification at {@code level} (its object changed or missing, or its drill failed). */
    public void verificationFailed(String level) {
        verificationFailures(level).increment();
    }

    private Counter verificationFailures(String level) {
        return Counter.builder(VERIFICATION_FAILURES)
                .description(
                        "Exports that failed verification (checksum mismatch, object missing, restore drill failed)")
                .tag("level", level)
                .register(registry);
    }

    /** Whether an LxdRemote is Ready (1) or not (0), with its condition reason. */
    public void remoteReady(String namespace, String remote, boolean ready, String reason) {
        condition(
                "LxdRemote",
                REMOTE_READY,
                "Whether the LxdRemote is Ready (1) or not (0), with the condition reason",
                namespace,
                "remote",
                remote,
                ready,
                reason);
    }

    /** Whether a BackupStore is Available (1) or not (0), with its condition reason. */
    public void storeAvailable(String namespace, String store, boolean available, String reason) {
        condition(
                "BackupStore",
                STORE_AVAILABLE,
                "Whether the BackupStore is Available (1) or not (0), with the condition reason",
                namespace,
                "store",
                store,
                available,
                reason);
    }

    /**
     * Scheduled times a schedule (or a scheduled InstanceCopy) missed, e.g. while the operator was
     * down; called at every decision, with 0 too, so that the series exists before the first miss.
     */
    public void missedRuns(String kind, String namespace, String schedule, int n) {
        Counter c = Counter.builder(MISSED_RUNS)
                .description("Scheduled times missed (operator down, past the deadline)")
                .tag("kind", kind)
                .tag("namespace", namespace)
                .tag("schedule", schedule)
                .register(registry);
        resources
                .computeIfAbsent(resourceKey(kind, namespace, schedule), k -> new ResourceMeters())
                .add(c);
        if (n > 0) {
            c.increment(n);
        }
    }

    /** Removes the meters of a deleted custom resource (called by the SDK when it is gone). */
    public void forget(String kind, String namespace, String name) {
        ResourceMeters meters = resources.remove(resourceKey(kind, namespace, name));
        if (meters != null) {
            meters.removeFrom(registry);
        }
        if ("SnapshotSchedule".equals(kind)) {
            instanceSnapshots(namespace, name, Map.of());
        }
    }

    /**
     * The snapshots the server holds per instance, as a SnapshotSchedule's latest inventory found
     * them; instances no longer in it lose their series.
     */
    public void instanceSnapshots(String namespace, String schedule, Map<String, Integer> counts) {
        instanceSnapshots.compute(resourceKey("SnapshotSchedule", namespace, schedule), (k, cur) -> {
            Map<String, AtomicLong> now = new java.util.HashMap<>(cur == null ? Map.of() : cur);
            for (var it = now.entrySet().iterator(); it.hasNext(); ) {
                var e = it.next();
                if (!counts.containsKey(e.getKey())) {
                    Meter m = registry.find(INSTANCE_SNAPSHOTS)
                            .tags("namespace", namespace, "schedule", schedule, "instance", e.getKey())
                            .meter();
                    if (m != null) {
                        registry.remove(m);
                    }
                    it.remove();
                }
            }
            counts.forEach((instance, n) -> now.computeIfAbsent(instance, i -> {
                        AtomicLong v = new AtomicLong();
                        Gauge.builder(INSTANCE_SNAPSHOTS, v, AtomicLong::get)
                                .description("Snapshots the LXD server holds of an instance a SnapshotSchedule selects")
                                .tag("namespace", namespace)
                                .tag("schedule", schedule)
                                .tag("instance", i)
                                .strongReference(true)
                                .register(registry);
                        return v;
                    })
                    .set(n));
            return now.isEmpty() ? null : now;
        });
    }

    /** Reconciles waiting for a thread, and those running, in the pool every controller shares. */
    public void reconcileExecutor(ThreadPoolExecutor executor) {
        Gauge.builder(QUEUE_DEPTH, executor, e -> e.getQueue().size())
                .strongReference(true)
                .description("Reconciles waiting for a free reconciler thread")
                .register(registry);
        Gauge.builder(ACTIVE_RECONCILES, executor, ThreadPoolExecutor::getActiveCount)
                .strongReference(true)
                .description("Reconciles running")
                .register(registry);
    }

    private Counter checksumMismatches(String kind) {
        return Counter.builder(CHECKSUM_MISMATCHES)
                .description("Stored objects whose SHA-256 or size did not match their manifest or what was uploaded")
                .tag("kind", kind)
                .register(registry);
    }

    /** One series per resource; a new reason replaces the series of the previous one. */
    private void condition(
            String kind,
            String metric,
            String description,
            String namespace,
            String nameTag,
            String name,
            boolean ok,
            String reason) {
        String why = orEmpty(reason);
        resources.compute(resourceKey(kind, namespace, name), (k, meters) -> {
            ResourceMeters m = meters != null ? meters : new ResourceMeters();
            if (m.state == null || !m.reason.equals(why)) {
                m.removeFrom(registry);
                m.state = new AtomicLong();
                m.reason = why;
                m.add(Gauge.builder(metric, m.state, AtomicLong::get)
                        .description(description)
                        .tag("namespace", namespace)
                        .tag(nameTag, name)
                        .tag("reason", why)
                        .register(registry));
            }
            m.state.set(ok ? 1 : 0);
            return m;
        });
    }

    private static String resourceKey(String kind, String namespace, String name) {
        return kind + '\0' + namespace + '\0' + name;
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }

    /** Failures of one instance and kind since its last success. */
    private static final class FailureRun {
        private long count;
        private long lastFailure;

        synchronized void failed(long when) {
            count++;
            lastFailure = Math.max(lastFailure, when);
        }

        synchronized void succeeded(long when) {
            if (when >= lastFailure) {
                count = 0;
            }
        }

        synchronized double count() {
            return count;
        }
    }

    /** The meters of one custom resource; the state gauge's holder is kept here (gauges hold it weakly). */
    private static final class ResourceMeters {
        private final java.util.List<Meter> meters = new java.util.concurrent.CopyOnWriteArrayList<>();
        private AtomicLong state;
        private String reason;

        void add(Meter m) {
            if (!meters.contains(m)) {
                meters.add(m);
            }
        }

        void removeFrom(MeterRegistry registry) {
            for (Meter m : meters) {
                registry.remove(m);
            }
            meters.clear();
            state = null;
        }
    }

    public void bytes(String kind, String direction, long n) {
        Counter.builder(BYTES)
                .description("Bytes streamed by the operator")
                .baseUnit("bytes")
                .tag("kind", kind)
                .tag("direction", direction)
                .register(registry)
                .increment(n);
    }

    /**
     * How late a schedule's run started: from its scheduled time to the API server accepting the
     * run's child (one InstanceSnapshot or InstanceExport per selected instance). A catch-up run
     * after downtime counts with its whole lateness.
     */
    public void runStartDelay(String kind, Duration delay) {
        Timer.builder(RUN_START_DELAY)
                .description("Time from a schedule's scheduled time to its run's child being created")
                .tag("kind", kind)
                .serviceLevelObjectives(RUN_START_BUCKETS)
                .register(registry)
                .record(delay.isNegative() ? Duration.ZERO : delay);
    }
}
