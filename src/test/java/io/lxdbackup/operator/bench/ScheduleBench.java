package io.lxdbackup.operator.bench;

import ch.qos.logback.classic.Level;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshot;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotPhase;
import io.lxdbackup.operator.api.v1alpha1.LxdRemote;
import io.lxdbackup.operator.api.v1alpha1.LxdRemotePhase;
import io.lxdbackup.operator.api.v1alpha1.LxdRemoteSpec;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.api.v1alpha1.RetentionSpec;
import io.lxdbackup.operator.api.v1alpha1.SchedulePhase;
import io.lxdbackup.operator.api.v1alpha1.SnapshotSchedule;
import io.lxdbackup.operator.api.v1alpha1.SnapshotScheduleSpec;
import io.lxdbackup.operator.config.OperatorSettings;
import io.lxdbackup.operator.controller.ScheduleReconcilerBase;
import io.lxdbackup.operator.lxd.Certificates;
import io.lxdbackup.operator.schedule.CronSchedule;
import io.lxdbackup.operator.testing.Fixtures;
import io.lxdbackup.operator.testing.MutableClock;
import io.lxdbackup.operator.testing.OperatorHarness;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import org.slf4j.LoggerFactory;

/**
 * Schedule engine benchmark (run with {@code bench/schedule-bench.sh}; not a test).
 *
 * <p>The operator runs as in production ({@link io.lxdbackup.operator.OperatorRuntime} through
 * {@link OperatorHarness}) against the in-memory API server, with every schedule pointing at a
 * {@link FakeLxdServer} (an in-process HTTPS stand-in for LXD that creates snapshots
 * instantly), so the figures are those of the scheduling engine, not of LXD's storage.
 *
 * <ol>
 *   <li><b>Simulated time</b>: N schedules with a mix of crons over M instances (1–3 each,
 *       keepLast 3), an injected clock moved in 15-minute steps; after each step the bench waits
 *       until every due run was started, every child is Ready and retention has pruned. Per
 *       simulated hour: runs, children alive, heap after GC, CPU time.
 *   <li><b>Real time</b>: N schedules firing every minute on the real clock; the firing delay
 *       of each run is the time the bench's watch sees the child InstanceSnapshot appear minus
 *       the run's scheduled time.
 * </ol>
 *
 * Heap and CPU are those of the whole JVM: operator, in-memory API server, fake LXD and the
 * bench's own informers. Events are trimmed every simulated hour, as kube-apiserver's
 * {@code --event-ttl} (1 h) would, so the in-memory API server does not grow with them.
 */
public final class ScheduleBench {
    static final String NS = Fixtures.NS;
    static final String REMOTE = "fake-lxd";
    static final int KEEP_LAST = 3;
    /**
     * Real-time phase: also watch the children from the bench (a third informer on them, beside the
     * operator's two) and print when the watch saw each. Off by default: the bench's own watch is
     * load on the same two CPUs that no production operator carries.
     */
    boolean watchChildren;
    /** The scheduled-time annotation in a child's JSON, as the operator posts it. */
    static final java.util.regex.Pattern SCHEDULED_TIME = java.util.regex.Pattern.compile(
            "\"" + java.util.regex.Pattern.quote(ScheduleReconcilerBase.ANNOTATION_SCHEDULED_TIME)
                    + "\"\\s*:\\s*\"([^\"]+)\"");
    /** Cron mix of the simulated-time phase: expression and share (percent). */
    static final String[][] CRONS_ALL = {
        {"*/15 * * * *", "20"},
        {"@hourly", "30"},
        {"0 */2 * * *", "20"},
        {"*/30 * * * *", "10"},
        {"0 */6 * * *", "10"},
        {"@daily", "10"}
    };
    /**
     * Only crons that fire at least every two hours: with keepLast 3 every schedule reaches its
     * plateau of live children within six simulated hours, so a short run shows whether the heap
     * stays flat once the number of live objects does (with {@link #CRONS_ALL} the daily schedules
     * need three simulated days).
     */
    static final String[][] CRONS_SUBDAILY = {
        {"*/15 * * * *", "30"}, {"@hourly", "30"}, {"0 */2 * * *", "30"}, {"*/30 * * * *", "10"}
    };

    static final java.util.logging.Logger JUL_MOCK = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");
    final int schedules;
    final int instances;
    final int simHours;
    final int realMinutes;
    /** Real-time phase: minutes the schedules fire before measuring starts (JIT warm-up). */
    final int warmupMinutes;
    /** Real-time phase: schedule i fires at minutes congruent to i mod realSpread (1 = all every minute). */
    final int realSpread;
    /** Real-time phase: all schedules fire together every realEvery minutes (with realSpread 1). */
    final int realEvery;

    final Duration maxWait;
    final String phase;
    final String[][] crons;
    final Duration stepTimeout;
    final FakeLxdServer lxd;
    final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    ScheduleBench(Map<String, String> opts) {
        schedules = Integer.parseInt(opts.getOrDefault("schedules", "1000"));
        instances = Integer.parseInt(opts.getOrDefault("instances", "100"));
        simHours = Integer.parseInt(opts.getOrDefault("sim-hours", "24"));
        realMinutes = Integer.parseInt(opts.getOrDefault("real-minutes", "3"));
        warmupMinutes = Integer.parseInt(opts.getOrDefault("warmup-minutes", "2"));
        realSpread = Integer.parseInt(opts.getOrDefault("real-spread", "1"));
        realEvery = Integer.parseInt(opts.getOrDefault("real-every", "1"));
        watchChildren = Boolean.parseBoolean(opts.getOrDefault("watch-children", "false"));
        if (realSpread > 1 && realEvery > 1) {
            throw new IllegalArgumentException("--real-spread and --real-every cannot be combined");
        }
        maxWait = Duration.ofMillis(Long.parseLong(opts.getOrDefault("max-wait-ms", "1000")));
        phase = opts.getOrDefault("phase", "all");
        crons = switch (opts.getOrDefault("cron-mix", "all")) {
            case "all" -> CRONS_ALL;
            case "subdaily" -> CRONS_SUBDAILY;
            default -> throw new IllegalArgumentException("--cron-mix must be all or subdaily");
        };
        stepTimeout = Duration.ofMinutes(Long.parseLong(opts.getOrDefault("step-timeout-minutes", "10")));
        List<String> names = new ArrayList<>();
        for (int i = 0; i < instances; i++) {
            names.add(String.format(Locale.ROOT, "bench-%03d", i));
        }
        lxd = new FakeLxdServer(names);
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new HashMap<>();
        for (String a : args) {
            if (!a.startsWith("--") || !a.contains("=")) {
                System.err.println(
                        "usage: ScheduleBench [--schedules=1000] [--instances=100] [--sim-hours=24] "
                                + "[--real-minutes=3] [--warmup-minutes=2] [--real-spread=1] [--real-every=1] [--watch-children=false] [--max-wait-ms=1000] [--phase=all|sim|real] [--cron-mix=all|subdaily] [--debug=logger,...]");
                System.exit(2);
            }
            opts.put(a.substring(2, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
        }
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                .setLevel(Level.toLevel(opts.getOrDefault("log-level", "WARN")));
        // --debug=a.b.C,d.e: those loggers at DEBUG (e.g. the schedule engine's per-run timings)
        for (String name : opts.getOrDefault("debug", "").split(",")) {
            if (!name.isBlank()) {
                ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(name.trim())).setLevel(Level.DEBUG);
            }
        }
        // the mock API server logs every request through java.util.logging
        JUL_MOCK.setLevel(java.util.logging.Level.WARNING);
        ScheduleBench b = new ScheduleBench(opts);
        int rc = 0;
        try {
            b.header();
            if (b.phase.equals("all") || b.phase.equals("sim")) {
                b.simulated();
            }
            if (b.phase.equals("all") || b.phase.equals("real")) {
                rc = b.realTime() ? 0 : 1;
            }
        } finally {
            b.lxd.close();
        }
        System.out.flush();
        System.exit(rc);
    }

    void header() {
        System.out.printf(
                "Schedule benchmark: %d schedules over %d instances, keepLast %d%n", schedules, instances, KEEP_LAST);
        System.out.printf(
                "LXD: in-process fake LXD server at %s (answers GET /1.0, instances, snapshot list/get/create/delete;"
                        + " snapshots are created instantly) -- this measures the operator's scheduling engine, not LXD%n",
                lxd.url());
        System.out.printf(
                "JVM: %s %s, %d CPUs, max heap %d MiB; heap/CPU figures are the whole JVM (operator + in-memory API"
                        + " server + fake LXD + bench informers)%n%n",
                System.getProperty("java.vm.name"),
                System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20);
    }

    // ------------------------------------------------------------------ phase 1: simulated time

    void simulated() {
        Instant realNow = Instant.now();
        MutableClock clock = new MutableClock(realNow);
        System.out.printf(
                "== Phase 1: simulated time (injected clock, 15-minute steps, scheduleMaxWait %d ms)%n",
                maxWait.toMillis());
        System.out.printf("cron mix: %s%n", mix());
        try (OperatorHarness op = debug(new OperatorHarness(clock, maxWait)).start()) {
            KubernetesClient kube = op.kube();
            remote(kube);
            Random rnd = new Random(42);
            Map<String, CronSchedule> crons = new HashMap<>();
            long t0 = System.nanoTime();
            for (int i = 0; i < schedules; i++) {
                String cron = pickCron(i);
                String name = String.format(Locale.ROOT, "s%04d", i);
                kube.resource(schedule(name, cron, pickInstances(rnd))).create();
                crons.put(name, CronSchedule.parse(cron, null));
            }
            System.out.printf("created %d schedules in %.1f s%n", schedules, (System.nanoTime() - t0) / 1e9);

            KubernetesClient watcher = op.api().newClient();
            AtomicLong added = new AtomicLong();
            AtomicLong removed = new AtomicLong();
            SharedIndexInformer<SnapshotSchedule> sInf =
                    watcher.resources(SnapshotSchedule.class).inNamespace(NS).inform();
            SharedIndexInformer<InstanceSnapshot> cInf = watcher.resources(InstanceSnapshot.class)
                    .inNamespace(NS)
                    .inform(new ResourceEventHandler<>() {
                        @Override
                        public void onAdd(InstanceSnapshot obj) {
                            added.incrementAndGet();
                        }

                        @Override
                        public void onUpdate(InstanceSnapshot oldObj, InstanceSnapshot newObj) {}

                        @Override
                        public void onDelete(InstanceSnapshot obj, boolean deletedFinalStateUnknown) {
                            removed.incrementAndGet();
                        }
                    });
            await(
                    "all schedules Active",
                    () -> sInf.getStore().list().size() == schedules
                            && sInf.getStore().list().stream()
                                    .allMatch(s -> s.getStatus() != null
                                            && s.getStatus().getPhase() == SchedulePhase.ACTIVE));

            // first step: to the next full hour, after every schedule's creation
            Instant start = realNow.truncatedTo(ChronoUnit.HOURS).plus(Duration.ofHours(1));
            clock.set(start);
            settle(clock, crons, sInf, cInf, "warm-up at " + start);
            trimEvents(kube);
            System.out.printf(
                    "%n%5s | %6s | %6s | %8s | %8s | %13s | %8s | %8s%n",
                    "hour", "runs", "pruned", "children", "LXD snaps", "heap after GC", "CPU s", "wall s");
            System.out.printf(
                    "%5s | %6s | %6s | %8s | %8s | %13s | %8s | %8s%n",
                    "0", "-", "-", cInf.getStore().list().size(), lxd.snapshotsAlive(), mib(heapAfterGc()), "-", "-");
            long prevAdded = added.get();
            long prevRemoved = removed.get();
            List<Long> heaps = new ArrayList<>();
            for (int h = 1; h <= simHours; h++) {
                long cpu0 = os.getProcessCpuTime();
                long w0 = System.nanoTime();
                for (int step = 0; step < 4; step++) {
                    clock.advance(Duration.ofMinutes(15));
                    settle(clock, crons, sInf, cInf, "hour " + h + " step " + step);
                }
                double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
                double wall = (System.nanoTime() - w0) / 1e9;
                trimEvents(kube);
                long heap = heapAfterGc();
                heaps.add(heap);
                System.out.printf(
                        "%5d | %6d | %6d | %8d | %8d | %13s | %8.1f | %8.1f%n",
                        h,
                        added.get() - prevAdded,
                        removed.get() - prevRemoved,
                        cInf.getStore().list().size(),
                        lxd.snapshotsAlive(),
                        mib(heap),
                        cpu,
                        wall);
                prevAdded = added.get();
                prevRemoved = removed.get();
            }
            if (heaps.size() >= 4) {
                int q = heaps.size() / 4;
                System.out.printf(
                        "%nheap after GC: mean of first quarter of hours %s, of last quarter %s; min %s, max %s%n",
                        mib(mean(heaps.subList(0, q))),
                        mib(mean(heaps.subList(heaps.size() - q, heaps.size()))),
                        mib(Collections.min(heaps)),
                        mib(Collections.max(heaps)));
            }
            System.out.printf(
                    "fake LXD: %d requests, %d snapshots created, %d deleted%n%n",
                    lxd.requests(), lxd.snapshotsCreated(), lxd.snapshotsDeleted());
            sInf.close();
            cInf.close();
            watcher.close();
        }
    }

    /**
     * Waits until every schedule has started its latest due run, every child is Ready, and no
     * schedule keeps more than keepLast children per instance (retention is done).
     */
    void settle(
            MutableClock clock,
            Map<String, CronSchedule> crons,
            SharedIndexInformer<SnapshotSchedule> sInf,
            SharedIndexInformer<InstanceSnapshot> cInf,
            String what) {
        Instant now = clock.instant();
        Map<String, Instant> due = new HashMap<>();
        crons.forEach((n, c) -> c.lastFireAtOrBefore(now).ifPresent(t -> due.put(n, t.toInstant())));
        try {
            await(what, () -> settled(due, sInf, cInf, false));
        } catch (IllegalStateException e) {
            settled(due, sInf, cInf, true);
            throw e;
        }
    }

    boolean settled(
            Map<String, Instant> due,
            SharedIndexInformer<SnapshotSchedule> sInf,
            SharedIndexInformer<InstanceSnapshot> cInf,
            boolean report) {
        int behind = 0;
        int notReady = 0;
        int deleting = 0;
        int over = 0;
        {
            for (SnapshotSchedule s : sInf.getStore().list()) {
                Instant want = due.get(s.getMetadata().getName());
                Instant created = Instant.parse(s.getMetadata().getCreationTimestamp());
                if (want == null || !want.isAfter(created)) {
                    continue;
                }
                String last = s.getStatus() == null ? null : s.getStatus().getLastScheduleTime();
                if (last == null || Instant.parse(last).isBefore(want)) {
                    behind++;
                    if (!report) {
                        return false;
                    }
                }
            }
            Map<String, Integer> perInstance = new HashMap<>();
            for (InstanceSnapshot c : cInf.getStore().list()) {
                if (c.getMetadata().getDeletionTimestamp() != null) {
                    deleting++;
                } else if (c.getStatus() == null || c.getStatus().getPhase() != InstanceSnapshotPhase.READY) {
                    notReady++;
                }
                String key = c.getMetadata().getLabels().get(ScheduleReconcilerBase.LABEL_SCHEDULE) + "/"
                        + c.getSpec().getInstance();
                if (perInstance.merge(key, 1, Integer::sum) == KEEP_LAST + 1) {
                    over++;
                }
                if (!report && (notReady + deleting + over) > 0) {
                    return false;
                }
            }
        }
        if (report) {
            System.out.printf(
                    "not settled: %d schedules behind, %d children not Ready, %d being deleted, %d instances over keepLast%n",
                    behind, notReady, deleting, over);
        }
        return behind + notReady + deleting + over == 0;
    }

    // ------------------------------------------------------------------ phase 2: real time

    boolean realTime() throws InterruptedException {
        System.out.printf(
                "== Phase 2: real time (system clock, default scheduleMaxWait), %d schedules %s, %d minutes measured"
                        + " after %d minutes of warm-up%n",
                schedules,
                "\"" + realCron(0).replace("0/", "<i mod " + realSpread + ">/") + "\""
                        + (realSpread > 1
                                ? " (1/" + realSpread + " of them each minute)"
                                : realEvery > 1 ? " (all at once)" : ""),
                realMinutes,
                warmupMinutes);
        // When the API server answered the operator's POST of a run's child (201): the run has
        // started. Taken from the operator's own HTTP client, so it does not include the time the
        // bench's watch takes to hear of the child (the in-memory API writes watch events on the same
        // thread that serves requests, so in a burst they queue behind the requests).
        ConcurrentLinkedQueue<long[]> created = new ConcurrentLinkedQueue<>(); // {scheduledEpochMs, delayMs}
        OperatorHarness harness = new OperatorHarness(Clock.systemUTC(), OperatorSettings.DEFAULT_SCHEDULE_MAX_WAIT)
                .withOperatorClient(b -> b.withHttpClientBuilderConsumer(hb -> hb.addOrReplaceInterceptor(
                        "bench-run-started", new io.fabric8.kubernetes.client.http.Interceptor() {
                            @Override
                            public void after(
                                    io.fabric8.kubernetes.client.http.HttpRequest request,
                                    io.fabric8.kubernetes.client.http.HttpResponse<?> response,
                                    io.fabric8.kubernetes.client.http.AsyncBody.Consumer<List<java.nio.ByteBuffer>>
                                            consumer) {
                                long now = System.currentTimeMillis();
                                if (response.code() == 201
                                        && "POST".equals(request.method())
                                        && request.uri().getPath().endsWith("/instancesnapshots")) {
                                    Matcher m = SCHEDULED_TIME.matcher(String.valueOf(request.bodyString()));
                                    if (m.find()) {
                                        long t = Instant.parse(m.group(1)).toEpochMilli();
                                        created.add(new long[] {t, now - t});
                                    }
                                }
                            }
                        })));
        try (OperatorHarness op = harness.start()) {
            KubernetesClient kube = op.kube();
            remote(kube);
            Random rnd = new Random(7);
            for (int i = 0; i < schedules; i++) {
                String cron = realCron(i);
                kube.resource(schedule(String.format(Locale.ROOT, "m%04d", i), cron, pickInstances(rnd)))
                        .create();
            }
            KubernetesClient watcher = op.api().newClient();
            SharedIndexInformer<SnapshotSchedule> sInf =
                    watcher.resources(SnapshotSchedule.class).inNamespace(NS).inform();
            await(
                    "all schedules Active",
                    () -> sInf.getStore().list().size() == schedules
                            && sInf.getStore().list().stream()
                                    .allMatch(s -> s.getStatus() != null
                                            && s.getStatus().getPhase() == SchedulePhase.ACTIVE));
            // The schedules' specs, then no more watching them: the bench's own informers are load on
            // the same two CPUs, and it only needs the children's.
            List<SnapshotSchedule> specs = List.copyOf(sInf.getStore().list());
            sInf.close();
            // measure runs scheduled from the next full minute after the warm-up on: the first runs
            // of a fresh JVM pay for class loading and JIT compilation (the C2 compiler alone took
            // 30-45 % of the CPU in the second minute), which a long-running operator paid once
            Instant from = Instant.now().truncatedTo(ChronoUnit.MINUTES).plus(Duration.ofMinutes(1 + warmupMinutes));
            Instant until = from.plus(Duration.ofMinutes(realMinutes));
            Instant warmFrom = from.minus(Duration.ofMinutes(warmupMinutes));
            ConcurrentLinkedQueue<long[]> childDelays = new ConcurrentLinkedQueue<>(); // {scheduledEpochMs, delayMs}
            ConcurrentLinkedQueue<Long> lxdDelays = new ConcurrentLinkedQueue<>();
            lxd.onSnapshotCreate(t -> {
                Instant minute = t.truncatedTo(ChronoUnit.MINUTES);
                if (!minute.isBefore(from) && minute.isBefore(until)) {
                    lxdDelays.add(Duration.between(minute, t).toMillis());
                }
            });
            SharedIndexInformer<InstanceSnapshot> cInf = !watchChildren
                    ? null
                    : watcher.resources(InstanceSnapshot.class).inNamespace(NS).inform(new ResourceEventHandler<>() {
                        @Override
                        public void onAdd(InstanceSnapshot c) {
                            long seen = System.currentTimeMillis();
                            String a = c.getMetadata().getAnnotations() == null
                                    ? null
                                    : c.getMetadata()
                                            .getAnnotations()
                                            .get(ScheduleReconcilerBase.ANNOTATION_SCHEDULED_TIME);
                            if (a != null) {
                                Instant t = Instant.parse(a);
                                if (!t.isBefore(warmFrom) && t.isBefore(until)) {
                                    childDelays.add(new long[] {t.toEpochMilli(), seen - t.toEpochMilli()});
                                }
                            }
                        }

                        @Override
                        public void onUpdate(InstanceSnapshot oldObj, InstanceSnapshot newObj) {}

                        @Override
                        public void onDelete(InstanceSnapshot obj, boolean deletedFinalStateUnknown) {}
                    });
            System.out.printf(
                    "warm-up runs at %s .. %s, measuring runs scheduled at %s .. %s (exclusive)%n",
                    warmFrom, from, from, until);
            while (Instant.now().isBefore(from)) {
                Thread.sleep(100);
            }
            long cpu0 = os.getProcessCpuTime();
            // all runs of the last minute should have started well within it; give one more minute
            while (Instant.now().isBefore(until.plus(Duration.ofSeconds(50)))) {
                Thread.sleep(1000);
            }
            double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
            long expectedRuns = 0;
            for (SnapshotSchedule s : specs) {
                int offset = Integer.parseInt(s.getMetadata().getName().substring(1)) % Math.max(1, realSpread);
                for (Instant m = from; m.isBefore(until); m = m.plus(Duration.ofMinutes(1))) {
                    int minute = m.atZone(java.time.ZoneOffset.UTC).getMinute();
                    if ((realSpread <= 1 || minute % realSpread == offset)
                            && (realEvery <= 1 || minute % realEvery == 0)) {
                        expectedRuns += s.getSpec().getInstances().size();
                    }
                }
            }
            System.out.printf(
                    "%nfiring delay per scheduled minute: run started (API server answered the operator's POST of"
                            + " the child)%s, minus the scheduled time%n",
                    watchChildren ? " and child seen by the bench's watch" : "");
            System.out.printf(
                    "%-22s | %6s | %8s | %8s | %8s%s%n",
                    "minute (scheduled)",
                    "runs",
                    "p50 ms",
                    "p99 ms",
                    "max ms",
                    watchChildren ? String.format(" || %8s | %8s | %8s", "seen p50", "seen p99", "seen max") : "");
            Map<Long, List<Long>> byMinute = new java.util.TreeMap<>();
            created.forEach(d -> {
                if (d[0] >= warmFrom.toEpochMilli() && d[0] < until.toEpochMilli()) {
                    byMinute.computeIfAbsent(d[0], k -> new ArrayList<>()).add(d[1]);
                }
            });
            Map<Long, List<Long>> seenByMinute = new java.util.TreeMap<>();
            childDelays.forEach(d ->
                    seenByMinute.computeIfAbsent(d[0], k -> new ArrayList<>()).add(d[1]));
            byMinute.forEach((t, l) -> {
                List<Long> seen = seenByMinute.getOrDefault(t, List.of());
                System.out.printf(
                        "%-22s | %6d | %8d | %8d | %8d%s%s%n",
                        Instant.ofEpochMilli(t),
                        l.size(),
                        pct(l, 50),
                        pct(l, 99),
                        Collections.max(l),
                        !watchChildren
                                ? ""
                                : String.format(
                                        " || %8d | %8d | %8d",
                                        pct(seen, 50), pct(seen, 99), seen.isEmpty() ? -1 : Collections.max(seen)),
                        t < from.toEpochMilli() ? "  (warm-up, not counted)" : "");
            });
            List<Long> all = created.stream()
                    .filter(d -> d[0] >= from.toEpochMilli() && d[0] < until.toEpochMilli())
                    .map(d -> d[1])
                    .toList();
            List<Long> seenAll = childDelays.stream()
                    .filter(d -> d[0] >= from.toEpochMilli())
                    .map(d -> d[1])
                    .toList();
            List<Long> lx = new ArrayList<>(lxdDelays);
            System.out.printf(
                    "%nfiring delay (run started: the API server answered the POST of the run's child - scheduled time),"
                            + " %d of %d expected runs: p50 %d ms, p99 %d ms, max %d ms%n",
                    all.size(), expectedRuns, pct(all, 50), pct(all, 99), all.isEmpty() ? -1 : Collections.max(all));
            if (watchChildren) {
                System.out.printf(
                        "child seen by the bench's watch - scheduled time, %d runs: p50 %d ms, p99 %d ms, max %d ms%n",
                        seenAll.size(),
                        pct(seenAll, 50),
                        pct(seenAll, 99),
                        seenAll.isEmpty() ? -1 : Collections.max(seenAll));
            }
            System.out.printf(
                    "LXD snapshot request arrival - minute boundary, %d requests: p50 %d ms, p99 %d ms, max %d ms%n",
                    lx.size(), pct(lx, 50), pct(lx, 99), lx.isEmpty() ? -1 : Collections.max(lx));
            System.out.printf(
                    "CPU %.1f s over %.0f s of wall time (%.0f%% of one CPU); heap after GC %s; children alive %d%n",
                    cpu,
                    Duration.between(from, until).plusSeconds(50).toSeconds() * 1.0,
                    100 * cpu / (Duration.between(from, until).toSeconds() + 50),
                    mib(heapAfterGc()),
                    kube.resources(InstanceSnapshot.class)
                            .inNamespace(NS)
                            .list()
                            .getItems()
                            .size());
            boolean ok = all.size() == expectedRuns && pct(all, 99) < 2000;
            System.out.printf("target p99 < 2000 ms with every run started: %s%n", ok ? "MET" : "NOT MET");
            if (cInf != null) {
                cInf.close();
            }
            watcher.close();
            return ok;
        }
    }

    /** The real-time phase's cron of schedule i. */
    String realCron(int i) {
        if (realSpread > 1) {
            return (i % realSpread) + "/" + realSpread + " * * * *";
        }
        return realEvery > 1 ? "*/" + realEvery + " * * * *" : "* * * * *";
    }

    // ------------------------------------------------------------------ helpers

    static OperatorHarness debug(OperatorHarness h) {
        if (!Boolean.getBoolean("bench.debugPatches")) {
            return h;
        }
        return h.withOperatorClient(b -> b.withHttpClientBuilderConsumer(hb ->
                hb.addOrReplaceInterceptor("debug", new io.fabric8.kubernetes.client.http.Interceptor() {
                    @Override
                    public void before(
                            io.fabric8.kubernetes.client.http.BasicBuilder builder,
                            io.fabric8.kubernetes.client.http.HttpRequest request,
                            RequestTags tags) {
                        if (request.method().equals("PATCH")
                                && String.valueOf(request.bodyString()).contains("remove")) {
                            System.err.println("PATCH " + request.uri() + " " + request.header("Content-Type") + " "
                                    + request.bodyString());
                        }
                    }
                })));
    }

    void remote(KubernetesClient kube) {
        Certificates.GeneratedIdentity id = Certificates.generate("bench");
        kube.secrets()
                .inNamespace(NS)
                .resource(Fixtures.tlsSecret("fake-lxd-client", id.certificatePem(), id.privateKeyPem()))
                .create();
        LxdRemote r = new LxdRemote();
        r.getMetadata().setName(REMOTE);
        r.getMetadata().setNamespace(NS);
        LxdRemoteSpec spec = new LxdRemoteSpec();
        spec.setUrl(lxd.url());
        spec.setClientCertificateSecretRef(new ObjectRef("fake-lxd-client"));
        spec.setServerCertificateFingerprint(lxd.fingerprint());
        spec.setProbeInterval("5m");
        r.setSpec(spec);
        kube.resource(r).create();
        await("LxdRemote Ready", () -> {
            LxdRemote x = kube.resources(LxdRemote.class)
                    .inNamespace(NS)
                    .withName(REMOTE)
                    .get();
            return x != null && x.getStatus() != null && x.getStatus().getPhase() == LxdRemotePhase.READY;
        });
    }

    SnapshotSchedule schedule(String name, String cron, List<String> insts) {
        SnapshotSchedule s = new SnapshotSchedule();
        s.getMetadata().setName(name);
        s.getMetadata().setNamespace(NS);
        SnapshotScheduleSpec spec = new SnapshotScheduleSpec();
        spec.setRemoteRef(new ObjectRef(REMOTE));
        spec.setSchedule(cron);
        spec.setInstances(insts);
        spec.setIncludeStopped(true);
        RetentionSpec r = new RetentionSpec();
        r.setKeepLast(KEEP_LAST);
        spec.setRetention(r);
        s.setSpec(spec);
        return s;
    }

    List<String> pickInstances(Random rnd) {
        int n = 1 + rnd.nextInt(3);
        List<String> names = lxd.instanceNames();
        Collections.shuffle(names, rnd);
        return new ArrayList<>(names.subList(0, Math.min(n, names.size())));
    }

    String pickCron(int i) {
        int slot = i % 100;
        int acc = 0;
        for (String[] c : crons) {
            acc += Integer.parseInt(c[1]);
            if (slot < acc) {
                return c[0];
            }
        }
        return crons[crons.length - 1][0];
    }

    String mix() {
        StringBuilder sb = new StringBuilder();
        for (String[] c : crons) {
            sb.append(sb.isEmpty() ? "" : ", ")
                    .append('"')
                    .append(c[0])
                    .append("\" ")
                    .append(c[1])
                    .append('%');
        }
        return sb.toString();
    }

    void await(String what, BooleanSupplier cond) {
        long deadline = System.nanoTime() + stepTimeout.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + stepTimeout + " waiting for: " + what);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    static void trimEvents(KubernetesClient kube) {
        kube.v1().events().inNamespace(NS).delete();
    }

    static long heapAfterGc() {
        System.gc();
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    static long mean(List<Long> l) {
        return (long) l.stream().mapToLong(Long::longValue).average().orElse(0);
    }

    static long pct(List<Long> values, int p) {
        if (values.isEmpty()) {
            return -1;
        }
        List<Long> s = new ArrayList<>(values);
        Collections.sort(s);
        int idx = (int) Math.ceil(p / 100.0 * s.size()) - 1;
        return s.get(Math.max(0, Math.min(idx, s.size() - 1)));
    }
}
