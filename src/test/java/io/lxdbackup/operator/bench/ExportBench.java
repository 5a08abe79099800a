package io.lxdbackup.operator.bench;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.AccessMode;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.DeletionPolicy;
import io.lxdbackup.operator.api.v1alpha1.InstanceExport;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportSpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestore;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestorePhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestoreSpec;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.api.v1alpha1.ObjectSource;
import io.lxdbackup.operator.api.v1alpha1.RestoreSource;
import io.lxdbackup.operator.testing.Fixtures;
import io.lxdbackup.operator.testing.LxdRig;
import io.lxdbackup.operator.testing.OperatorHarness;
import io.lxdbackup.operator.testing.S3Server;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Driver of {@code bench/export-bench.sh} (not a test):
 * <ul>
 *   <li>{@code s3proxy <port> <dir>}: an s3proxy keeping objects on disk, until killed;
 *   <li>{@code export <endpoint> <bucket> <instance> <runs>}: the operator (as in production, on
 *       the in-memory API) exports the instance {@code runs} times; per run one line
 *       {@code RESULT seconds=.. rssBaseMiB=.. rssPeakMiB=.. heapPeakMiB=.. size=.. compression=..};
 *   <li>{@code many <kubeconfig> <pidfile> <endpoint> <bucket> <instance> <count> <together|oneByOne>
 *       <export|restore> <sizeMiB> [<lxdPid> [<s3Pid>]]}: the in-memory API server (its kubeconfig
 *       written for the operator the script then starts as its own process, whose pid it writes
 *       to {@code pidfile}), one export of the instance (not timed: a warm-up, and what restores
 *       read), then {@code count} exports of the instance, or restores of that export, all created at once or each after the previous completed, with the transfer limits
 *       from the LXDBACKUP_* environment (the operator's defaults without); one line
 *       {@code MANY kind=.. mode=.. seconds=.. rssBaseMiB=.. rssPeakMiB=.. heapPeakMiB=.. completed=..
 *       queuedSeen=.. cpuSeconds=.. gib=.. cpuPerGiB=.. cpusAvg=.. cpusPeak10s=.. lxdCpuSeconds=..
 *       s3CpuSeconds=..}: the operator process's own CPU (utime + stime), per GiB of instance data
 *       moved, on average and over its busiest 10 s, beside the CPU of LXD (with the processes it
 *       ran) and the s3proxy over the same time.
 * </ul>
 * In {@code export}, RSS is read from {@code /proc/self/status} and heap from the MemoryMXBean
 * every 50 ms while an export runs; in {@code many}, RSS from {@code /proc/<pid>/status} every
 * 50 ms and heap from {@code jstat -gc} every 250 ms.
 */
public final class ExportBench {
    private ExportBench() {}

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "s3proxy" -> {
                S3Server s = S3Server.startOnDisk(Path.of(args[2]), Integer.parseInt(args[1]));
                System.out.println("s3proxy listening on " + s.endpoint());
                Thread.currentThread().join();
            }
            case "export" -> export(URI.create(args[1]), args[2], args[3], Integer.parseInt(args[4]));
            case "many" -> many(args);
            default ->
                throw new IllegalArgumentException(
                        "usage: s3proxy <port> <dir> | export <endpoint> <bucket> <instance> <runs>");
        }
    }

    static void export(URI endpoint, String bucket, String instance, int runs) throws Exception {
        S3Server.quietLogs();
        // timestamps of the export's steps (stderr, kept with BENCH_LOGS=<dir>)
        for (Class<?> c : List.of(
                io.lxdbackup.operator.controller.InstanceExportReconciler.class,
                io.lxdbackup.operator.store.S3ObjectStore.class)) {
            ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(c))
                    .setLevel(ch.qos.logback.classic.Level.DEBUG);
        }
        LxdRig rig = LxdRig.require();
        try (OperatorHarness op = new OperatorHarness().start()) {
            KubernetesClient kube = op.kube();
            Fixtures.remote(kube, rig, "lxd-a", "a", "5m");
            Fixtures.backupStore(
                    kube,
                    "bench",
                    endpoint,
                    bucket,
                    "bench/",
                    S3Server.IDENTITY,
                    S3Server.CREDENTIAL,
                    AccessMode.READ_WRITE);
            for (int run = 1; run <= runs; run++) {
                String name = "bench-" + run;
                System.gc();
                Thread.sleep(500);
                long rssBase = rssBytes();
                AtomicLong rssPeak = new AtomicLong(rssBase);
                AtomicLong heapPeak = new AtomicLong();
                Thread sampler = Thread.ofPlatform().daemon().start(() -> {
                    while (!Thread.currentThread().isInterrupted()) {
                        rssPeak.accumulateAndGet(rssBytes(), Math::max);
                        heapPeak.accumulateAndGet(
                                ManagementFactory.getMemoryMXBean()
                                        .getHeapMemoryUsage()
                                        .getUsed(),
                                Math::max);
                        try {
                            Thread.sleep(50);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                });
                InstanceExport e = new InstanceExport();
                e.getMetadata().setName(name);
                e.getMetadata().setNamespace(Fixtures.NS);
                InstanceExportSpec spec = new InstanceExportSpec();
                spec.setRemoteRef(new ObjectRef("lxd-a"));
                spec.setInstance(instance);
                spec.setStoreRef(new ObjectRef("bench"));
                spec.setDeletionPolicy(DeletionPolicy.DELETE);
                e.setSpec(spec);
                long t0 = System.nanoTime();
                kube.resource(e).create();
                InstanceExport done;
                while (true) {
                    done = kube.resources(InstanceExport.class)
                            .inNamespace(Fixtures.NS)
                            .withName(name)
                            .get();
                    if (done.getStatus() != null
                            && (done.getStatus().getPhase() == InstanceExportPhase.COMPLETED
                                    || done.getStatus().getPhase() == InstanceExportPhase.FAILED)) {
                        break;
                    }
                    Thread.sleep(20);
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                sampler.interrupt();
                sampler.join();
                if (done.getStatus().getPhase() == InstanceExportPhase.FAILED) {
                    throw new IllegalStateException("export failed: "
                            + done.getStatus().findCondition(Condition.COMPLETE).orElse(null));
                }
                System.out.printf(
                        Locale.ROOT,
                        "RESULT seconds=%.2f rssBaseMiB=%d rssPeakMiB=%d heapPeakMiB=%d size=%d compression=%s%n",
                        seconds,
                        rssBase >> 20,
                        rssPeak.get() >> 20,
                        heapPeak.get() >> 20,
                        done.getStatus().getObject().getSize(),
                        done.getStatus().getCompression().value());
                kube.resource(done).delete();
                while (kube.resources(InstanceExport.class)
                                .inNamespace(Fixtures.NS)
                                .withName(name)
                                .get()
                        != null) {
                    Thread.sleep(100);
                }
            }
        }
    }

    /**
     * The world of one concurrent run, for an operator the script starts as its own process
     * ({@code java -jar}, the chart's JVM flags) once the kubeconfig is written: the in-memory API
     * server, the remote (rig daemon A) and the store. Everything about the operator is measured
     * from outside its process: RSS and CPU (utime + stime) from {@code /proc/<pid>}, heap from its
     * performance counters ({@code jstat -gc}, which costs the operator nothing).
     */
    static void many(String[] args) throws Exception {
        Path kubeconfig = Path.of(args[1]);
        Path pidFile = Path.of(args[2]);
        URI endpoint = URI.create(args[3]);
        String bucket = args[4];
        String instance = args[5];
        int count = Integer.parseInt(args[6]);
        boolean together = "together".equals(args[7]);
        boolean restore = "restore".equals(args[8]);
        long sizeBytes = Long.parseLong(args[9]) << 20;
        long lxdPid = args.length > 10 ? Long.parseLong(args[10]) : 0;
        long s3Pid = args.length > 11 ? Long.parseLong(args[11]) : 0;
        S3Server.quietLogs();
        LxdRig rig = LxdRig.require();
        // the operator's flags as environment variables (LXDBACKUP_TRANSFER_MEMORY=96Mi ...), else its defaults
        System.out.println("transfer limits: "
                + io.lxdbackup.operator.config.OperatorSettings.from(new String[0], System.getenv(), false)
                        .transfers());
        io.lxdbackup.operator.local.InMemoryApiServer api = new io.lxdbackup.operator.local.InMemoryApiServer(0);
        KubernetesClient kube = api.client();
        Files.writeString(kubeconfig, api.kubeconfig());
        System.out.println("READY");
        while (!Files.exists(pidFile) || Files.readString(pidFile).isBlank()) {
            Thread.sleep(100);
        }
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        RestoreBench.setUp(kube, rig, endpoint, bucket);
        // one export first, not timed: the operator's code warmed up (the JIT's work after a start
        // is not what a transfer costs), and the object the restores read
        // (deleted with what it wrote at the end: its key, like every name here, is this run's own)
        String warmUp = "warmup-" + pid;
        String key = exportOnce(kube, warmUp, instance);
        Thread.sleep(2000);
        long rssBase = procRss(pid);
        AtomicLong rssPeak = new AtomicLong(rssBase);
        java.util.Set<String> queuedSeen = java.util.concurrent.ConcurrentHashMap.newKeySet();
        List<long[]> cpuSamples = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        Process jstat = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "jstat").toString(),
                        "-gc",
                        Long.toString(pid),
                        "250")
                .redirectErrorStream(true)
                .start();
        AtomicLong heapPeakKb = new AtomicLong();
        Thread heapReader = Thread.ofPlatform().daemon().start(() -> readJstat(jstat, heapPeakKb));
        long cpu0 = procCpuTicks(pid, false);
        long lxd0 = lxdPid > 0 ? procCpuTicks(lxdPid, true) : 0;
        long s30 = s3Pid > 0 ? procCpuTicks(s3Pid, false) : 0;
        long t0 = System.nanoTime();
        Thread sampler = Thread.ofPlatform().daemon().start(() -> {
            long next = System.nanoTime();
            while (!Thread.currentThread().isInterrupted()) {
                rssPeak.accumulateAndGet(procRss(pid), Math::max);
                if (System.nanoTime() >= next) {
                    cpuSamples.add(new long[] {System.nanoTime(), procCpuTicks(pid, false)});
                    next += 1_000_000_000L;
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        List<String> names = new java.util.ArrayList<>();
        String prefix = (restore ? "mrestore-" : "many-") + pid + "-";
        for (int i = 1; i <= count; i++) {
            String name = prefix + i;
            names.add(name);
            if (restore) {
                InstanceRestore r = new InstanceRestore();
                r.getMetadata().setName(name);
                r.getMetadata().setNamespace(Fixtures.NS);
                InstanceRestoreSpec spec = new InstanceRestoreSpec();
                spec.setRemoteRef(new ObjectRef("lxd-a"));
                spec.setInstance(name);
                RestoreSource src = new RestoreSource();
                ObjectSource os = new ObjectSource();
                os.setStoreRef(new ObjectRef("bench"));
                os.setKey(key);
                src.setObject(os);
                spec.setSource(src);
                r.setSpec(spec);
                kube.resource(r).create();
            } else {
                kube.resource(newExport(name, instance, DeletionPolicy.DELETE)).create();
            }
            if (!together) {
                awaitEnd(kube, List.of(name), queuedSeen, restore);
            }
        }
        int completed = awaitEnd(kube, names, queuedSeen, restore);
        double seconds = (System.nanoTime() - t0) / 1e9;
        long cpu1 = procCpuTicks(pid, false);
        long lxd1 = lxdPid > 0 ? procCpuTicks(lxdPid, true) : 0;
        long s31 = s3Pid > 0 ? procCpuTicks(s3Pid, false) : 0;
        sampler.interrupt();
        sampler.join();
        jstat.destroy();
        heapReader.join(2000);
        double hz = clockTicks();
        double cpuSeconds = (cpu1 - cpu0) / hz;
        double gib = (double) count * sizeBytes / (1L << 30);
        // the busiest 10 s of the operator's CPU (CPUs in use on average over that window)
        double peak10 = 0;
        synchronized (cpuSamples) {
            for (int i = 0; i < cpuSamples.size(); i++) {
                for (int j = i + 1; j < cpuSamples.size(); j++) {
                    double dt = (cpuSamples.get(j)[0] - cpuSamples.get(i)[0]) / 1e9;
                    if (dt >= 10) {
                        peak10 = Math.max(
                                peak10, (cpuSamples.get(j)[1] - cpuSamples.get(i)[1]) / hz / dt);
                        break;
                    }
                }
            }
        }
        System.out.printf(
                Locale.ROOT,
                "MANY kind=%s mode=%s seconds=%.2f rssBaseMiB=%d rssPeakMiB=%d heapPeakMiB=%d completed=%d"
                        + " queuedSeen=%d cpuSeconds=%.2f gib=%.2f cpuPerGiB=%.2f cpusAvg=%.2f cpusPeak10s=%.2f"
                        + " lxdCpuSeconds=%.2f s3CpuSeconds=%.2f%n",
                restore ? "restore" : "export",
                together ? "together" : "oneByOne",
                seconds,
                rssBase >> 20,
                rssPeak.get() >> 20,
                heapPeakKb.get() >> 10,
                completed,
                queuedSeen.size(),
                cpuSeconds,
                gib,
                cpuSeconds / gib,
                cpuSeconds / seconds,
                peak10,
                (lxd1 - lxd0) / hz,
                (s31 - s30) / hz);
        System.out.flush();
        Class<? extends io.fabric8.kubernetes.api.model.HasMetadata> type =
                restore ? InstanceRestore.class : InstanceExport.class;
        for (String name : names) {
            kube.resources(type).inNamespace(Fixtures.NS).withName(name).delete();
        }
        kube.resources(InstanceExport.class)
                .inNamespace(Fixtures.NS)
                .withName(warmUp)
                .delete();
        for (String name : names) {
            while (kube.resources(type).inNamespace(Fixtures.NS).withName(name).get() != null) {
                Thread.sleep(100);
            }
        }
        while (kube.resources(InstanceExport.class)
                        .inNamespace(Fixtures.NS)
                        .withName(warmUp)
                        .get()
                != null) {
            Thread.sleep(100);
        }
        if (restore) {
            try (io.lxdbackup.operator.lxd.LxdClient a = rig.clientA()) {
                for (String name : names) {
                    LxdRig.deleteQuietly(a, name);
                }
            }
        }
        System.out.println("DONE");
        System.exit(0);
    }

    static InstanceExport newExport(String name, String instance, DeletionPolicy policy) {
        InstanceExport e = new InstanceExport();
        e.getMetadata().setName(name);
        e.getMetadata().setNamespace(Fixtures.NS);
        InstanceExportSpec spec = new InstanceExportSpec();
        spec.setRemoteRef(new ObjectRef("lxd-a"));
        spec.setInstance(instance);
        spec.setStoreRef(new ObjectRef("bench"));
        spec.setDeletionPolicy(policy);
        e.setSpec(spec);
        return e;
    }

    /** One export kept in the store (not timed): a warm-up, and what the restores read. */
    static String exportOnce(KubernetesClient kube, String name, String instance) throws Exception {
        kube.resource(newExport(name, instance, DeletionPolicy.DELETE)).create();
        while (true) {
            InstanceExport done = kube.resources(InstanceExport.class)
                    .inNamespace(Fixtures.NS)
                    .withName(name)
                    .get();
            if (done.getStatus() != null && done.getStatus().getPhase() == InstanceExportPhase.COMPLETED) {
                return done.getStatus().getObject().getKey();
            }
            if (done.getStatus() != null && done.getStatus().getPhase() == InstanceExportPhase.FAILED) {
                throw new IllegalStateException("export failed: "
                        + done.getStatus().findCondition(Condition.COMPLETE).orElse(null));
            }
            Thread.sleep(100);
        }
    }

    /** The largest heap in use (S0U + S1U + EU + OU, KiB) in {@code jstat -gc} lines. */
    static void readJstat(Process jstat, AtomicLong peakKb) {
        try (var r = new java.io.BufferedReader(new java.io.InputStreamReader(jstat.getInputStream()))) {
            List<String> header = null;
            String line;
            while ((line = r.readLine()) != null) {
                List<String> cols = List.of(line.trim().split("\\s+"));
                if (cols.contains("EU")) {
                    header = cols;
                } else if (header != null && cols.size() == header.size()) {
                    double used = 0;
                    for (String c : List.of("S0U", "S1U", "EU", "OU")) {
                        used += Double.parseDouble(cols.get(header.indexOf(c)));
                    }
                    peakKb.accumulateAndGet((long) used, Math::max);
                }
            }
        } catch (Exception e) {
            // jstat ended
        }
    }

    /** utime + stime of a process in clock ticks (with {@code children}, also of its waited-for children). */
    static long procCpuTicks(long pid, boolean children) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // fields 14-17 of proc(5): utime stime cutime cstime (index 0 here is field 3)
            long t = Long.parseLong(f[11]) + Long.parseLong(f[12]);
            return children ? t + Long.parseLong(f[13]) + Long.parseLong(f[14]) : t;
        } catch (Exception e) {
            return 0;
        }
    }

    static double clockTicks() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").start();
            return Double.parseDouble(new String(p.getInputStream().readAllBytes()).trim());
        } catch (Exception e) {
            return 100;
        }
    }

    static long procRss(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (Exception e) {
            // gone
        }
        return 0;
    }

    /** Waits until every export (or restore) named is Completed or Failed; returns how many completed. */
    private static int awaitEnd(
            KubernetesClient kube, List<String> names, java.util.Set<String> queuedSeen, boolean restore)
            throws Exception {
        while (true) {
            int completed = 0;
            int ended = 0;
            for (String name : names) {
                String phase;
                Optional<Condition> complete;
                if (restore) {
                    InstanceRestore r = kube.resources(InstanceRestore.class)
                            .inNamespace(Fixtures.NS)
                            .withName(name)
                            .get();
                    if (r == null || r.getStatus() == null || r.getStatus().getPhase() == null) {
                        continue;
                    }
                    phase = r.getStatus().getPhase() == InstanceRestorePhase.COMPLETED
                            ? "Completed"
                            : r.getStatus().getPhase() == InstanceRestorePhase.FAILED ? "Failed" : "";
                    complete = r.getStatus().findCondition(Condition.COMPLETE);
                } else {
                    InstanceExport e = kube.resources(InstanceExport.class)
                            .inNamespace(Fixtures.NS)
                            .withName(name)
                            .get();
                    if (e == null || e.getStatus() == null || e.getStatus().getPhase() == null) {
                        continue;
                    }
                    phase = e.getStatus().getPhase() == InstanceExportPhase.COMPLETED
                            ? "Completed"
                            : e.getStatus().getPhase() == InstanceExportPhase.FAILED ? "Failed" : "";
                    complete = e.getStatus().findCondition(Condition.COMPLETE);
                }
                complete.filter(c -> "Queued".equals(c.getReason())).ifPresent(c -> queuedSeen.add(name));
                if (phase.equals("Completed")) {
                    completed++;
                    ended++;
                } else if (phase.equals("Failed")) {
                    System.err.println(name + " failed: " + complete.orElse(null));
                    ended++;
                }
            }
            if (ended == names.size()) {
                return completed;
            }
            Thread.sleep(100);
        }
    }

    static long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (Exception e) {
            // not Linux: no figure
        }
        return 0;
    }
}
