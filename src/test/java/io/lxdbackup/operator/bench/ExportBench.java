package io.lxdbackup.operator.bench;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.AccessMode;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.DeletionPolicy;
import io.lxdbackup.operator.api.v1alpha1.InstanceExport;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportSpec;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
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
import java.util.concurrent.atomic.AtomicLong;

/**
 * Driver of {@code bench/export-bench.sh} (not a test):
 * <ul>
 *   <li>{@code s3proxy <port> <dir>}: an s3proxy keeping objects on disk, until killed;
 *   <li>{@code export <endpoint> <bucket> <instance> <runs>}: the operator (as in production, on
 *       the in-memory API) exports the instance {@code runs} times; per run one line
 *       {@code RESULT seconds=.. rssBaseMiB=.. rssPeakMiB=.. heapPeakMiB=.. size=.. compression=..};
 *   <li>{@code many <endpoint> <bucket> <instance> <count> <together|oneByOne>}: {@code count}
 *       exports of the instance, all created at once or each after the previous completed, with
 *       the transfer limits from the LXDBACKUP_* environment (the operator's defaults without); one line
 *       {@code MANY mode=.. seconds=.. rssBaseMiB=.. rssPeakMiB=.. heapPeakMiB=.. completed=.. queuedSeen=..}.
 * </ul>
 * RSS is read from {@code /proc/self/status} and heap from the MemoryMXBean every 50 ms while
 * an export runs.
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
            case "many" ->
                many(URI.create(args[1]), args[2], args[3], Integer.parseInt(args[4]), "together".equals(args[5]));
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

    static void many(URI endpoint, String bucket, String instance, int count, boolean together) throws Exception {
        S3Server.quietLogs();
        LxdRig rig = LxdRig.require();
        // the operator's flags as environment variables (LXDBACKUP_TRANSFER_MEMORY=96Mi ...), else its defaults
        io.lxdbackup.operator.transfer.TransferLimits limits = io.lxdbackup.operator.config.OperatorSettings.from(
                        new String[0], System.getenv(), false)
                .transfers();
        System.out.println("transfer limits: " + limits);
        try (OperatorHarness op = new OperatorHarness().withTransfers(limits).start()) {
            KubernetesClient kube = op.kube();
            Fixtures.remote(kube, rig, "lxd-a", "a", "5m");
            Fixtures.backupStore(
                    kube,
                    "bench",
                    endpoint,
                    bucket,
                    "many/",
                    S3Server.IDENTITY,
                    S3Server.CREDENTIAL,
                    AccessMode.READ_WRITE);
            System.gc();
            Thread.sleep(500);
            long rssBase = rssBytes();
            AtomicLong rssPeak = new AtomicLong(rssBase);
            AtomicLong heapPeak = new AtomicLong();
            java.util.Set<String> queuedSeen = java.util.concurrent.ConcurrentHashMap.newKeySet();
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
            long t0 = System.nanoTime();
            List<String> names = new java.util.ArrayList<>();
            for (int i = 1; i <= count; i++) {
                String name = "many-" + i;
                names.add(name);
                InstanceExport e = new InstanceExport();
                e.getMetadata().setName(name);
                e.getMetadata().setNamespace(Fixtures.NS);
                InstanceExportSpec spec = new InstanceExportSpec();
                spec.setRemoteRef(new ObjectRef("lxd-a"));
                spec.setInstance(instance);
                spec.setStoreRef(new ObjectRef("bench"));
                spec.setDeletionPolicy(DeletionPolicy.DELETE);
                e.setSpec(spec);
                kube.resource(e).create();
                if (!together) {
                    awaitEnd(kube, List.of(name), queuedSeen);
                }
            }
            int completed = awaitEnd(kube, names, queuedSeen);
            double seconds = (System.nanoTime() - t0) / 1e9;
            sampler.interrupt();
            sampler.join();
            System.out.printf(
                    Locale.ROOT,
                    "MANY mode=%s seconds=%.2f rssBaseMiB=%d rssPeakMiB=%d heapPeakMiB=%d completed=%d queuedSeen=%d%n",
                    together ? "together" : "oneByOne",
                    seconds,
                    rssBase >> 20,
                    rssPeak.get() >> 20,
                    heapPeak.get() >> 20,
                    completed,
                    queuedSeen.size());
            for (String name : names) {
                kube.resources(InstanceExport.class)
                        .inNamespace(Fixtures.NS)
                        .withName(name)
                        .delete();
            }
            for (String name : names) {
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

    /** Waits until every export named is Completed or Failed; returns how many completed. */
    private static int awaitEnd(KubernetesClient kube, List<String> names, java.util.Set<String> queuedSeen)
            throws Exception {
        while (true) {
            int completed = 0;
            int ended = 0;
            for (String name : names) {
                InstanceExport e = kube.resources(InstanceExport.class)
                        .inNamespace(Fixtures.NS)
                        .withName(name)
                        .get();
                if (e == null || e.getStatus() == null) {
                    continue;
                }
                e.getStatus()
                        .findCondition(Condition.COMPLETE)
                        .filter(c -> "Queued".equals(c.getReason()))
                        .ifPresent(c -> queuedSeen.add(name));
                if (e.getStatus().getPhase() == InstanceExportPhase.COMPLETED) {
                    completed++;
                    ended++;
                } else if (e.getStatus().getPhase() == InstanceExportPhase.FAILED) {
                    System.err.println(name + " failed: "
                            + e.getStatus().findCondition(Condition.COMPLETE).orElse(null));
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
