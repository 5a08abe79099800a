package io.lxdbackup.operator.bench;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.AccessMode;
import io.lxdbackup.operator.api.v1alpha1.BackupStore;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.DeletionPolicy;
import io.lxdbackup.operator.api.v1alpha1.InstanceExport;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportSpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestore;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestorePhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestoreSpec;
import io.lxdbackup.operator.api.v1alpha1.LxdRemote;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.api.v1alpha1.ObjectSource;
import io.lxdbackup.operator.api.v1alpha1.RestoreSource;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.lxd.Operation;
import io.lxdbackup.operator.store.ObjectInfo;
import io.lxdbackup.operator.store.ObjectStore;
import io.lxdbackup.operator.store.S3ObjectStore;
import io.lxdbackup.operator.store.StoreConfig;
import io.lxdbackup.operator.store.UploadOptions;
import io.lxdbackup.operator.store.UploadResult;
import io.lxdbackup.operator.testing.Fixtures;
import io.lxdbackup.operator.testing.LxdRig;
import io.lxdbackup.operator.testing.OperatorHarness;
import io.lxdbackup.operator.testing.S3Server;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Driver of {@code bench/restore-bench.sh} (not a test):
 * <ul>
 *   <li>{@code export <endpoint> <bucket> <instance>}: the operator exports the instance once
 *       (kept in the store) and prints {@code KEY <key> SIZE <bytes>};
 *   <li>{@code restore <endpoint> <bucket> <key> <runs> <parallel>}: the operator (as in
 *       production, on the in-memory API) restores the object {@code runs} times on daemon A
 *       (with {@code parallel > 1}, that many restores at once per run); per run one line
 *       {@code RESULT seconds=.. downloadSeconds=.. rssBaseMiB=.. rssPeakMiB=.. heapPeakMiB=..}, where
 *       downloadSeconds is the time until the operator read the object's last byte (LXD has
 *       then received everything) and the rest is LXD unpacking, renaming and status writes;
 *   <li>{@code lxdimport <file> <name>}: LXD's own import of a local file through its API, split
 *       into receiving (until LXD answers the upload) and unpacking (the import operation);
 *       prints {@code IMPORT receiveSeconds=.. unpackSeconds=..}.
 * </ul>
 */
public final class RestoreBench {
    private RestoreBench() {}

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "export" -> export(URI.create(args[1]), args[2], args[3]);
            case "restore" ->
                restore(URI.create(args[1]), args[2], args[3], Integer.parseInt(args[4]), Integer.parseInt(args[5]));
            case "lxdimport" -> lxdImport(Path.of(args[1]), args[2]);
            default ->
                throw new IllegalArgumentException(
                        "usage: export <endpoint> <bucket> <instance> | restore <endpoint> <bucket> <key> <runs> <parallel> | lxdimport <file> <name>");
        }
    }

    static void export(URI endpoint, String bucket, String instance) throws Exception {
        S3Server.quietLogs();
        LxdRig rig = LxdRig.require();
        try (OperatorHarness op = new OperatorHarness().start()) {
            KubernetesClient kube = op.kube();
            setUp(kube, rig, endpoint, bucket);
            InstanceExport e = new InstanceExport();
            e.getMetadata().setName("restore-source");
            e.getMetadata().setNamespace(Fixtures.NS);
            InstanceExportSpec spec = new InstanceExportSpec();
            spec.setRemoteRef(new ObjectRef("lxd-a"));
            spec.setInstance(instance);
            spec.setStoreRef(new ObjectRef("bench"));
            spec.setDeletionPolicy(DeletionPolicy.RETAIN);
            e.setSpec(spec);
            kube.resource(e).create();
            while (true) {
                InstanceExport done = kube.resources(InstanceExport.class)
                        .inNamespace(Fixtures.NS)
                        .withName("restore-source")
                        .get();
                if (done.getStatus() != null && done.getStatus().getPhase() == InstanceExportPhase.COMPLETED) {
                    System.out.println("KEY " + done.getStatus().getObject().getKey() + " SIZE "
                            + done.getStatus().getObject().getSize());
                    return;
                }
                if (done.getStatus() != null && done.getStatus().getPhase() == InstanceExportPhase.FAILED) {
                    throw new IllegalStateException("export failed: "
                            + done.getStatus().findCondition(Condition.COMPLETE).orElse(null));
                }
                Thread.sleep(100);
            }
        }
    }

    /** The remote and the store, both ready before anything is timed (in production they exist long before). */
    static void setUp(KubernetesClient kube, LxdRig rig, URI endpoint, String bucket) throws InterruptedException {
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
        for (int i = 0; i < 1200; i++) {
            LxdRemote r = kube.resources(LxdRemote.class)
                    .inNamespace(Fixtures.NS)
                    .withName("lxd-a")
                    .get();
            BackupStore s = kube.resources(BackupStore.class)
                    .inNamespace(Fixtures.NS)
                    .withName("bench")
                    .get();
            if (r.getStatus() != null
                    && r.getStatus().isConditionTrue(Condition.READY)
                    && s.getStatus() != null
                    && s.getStatus().isConditionTrue(Condition.AVAILABLE)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("the remote or the store never became ready");
    }

    /** When the operator read the first and the last byte of each download (the last restore's). */
    static final AtomicLong firstByte = new AtomicLong();

    static final AtomicLong lastByte = new AtomicLong();

    static void restore(URI endpoint, String bucket, String key, int runs, int parallel) throws Exception {
        S3Server.quietLogs();
        LxdRig rig = LxdRig.require();
        try (OperatorHarness op = new OperatorHarness(Clock.systemUTC(), TimedStore::new).start();
                LxdClient a = rig.clientA()) {
            KubernetesClient kube = op.kube();
            setUp(kube, rig, endpoint, bucket);
            for (int run = 1; run <= runs; run++) {
                System.gc();
                Thread.sleep(500);
                long rssBase = ExportBench.rssBytes();
                AtomicLong rssPeak = new AtomicLong(rssBase);
                AtomicLong heapPeak = new AtomicLong();
                Thread sampler = Thread.ofPlatform().daemon().start(() -> {
                    while (!Thread.currentThread().isInterrupted()) {
                        rssPeak.accumulateAndGet(ExportBench.rssBytes(), Math::max);
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
                List<String> names = new ArrayList<>();
                for (int i = 0; i < parallel; i++) {
                    names.add("rbench-" + ProcessHandle.current().pid() + "-" + run + "-" + i);
                }
                long t0 = System.nanoTime();
                firstByte.set(0);
                lastByte.set(0);
                for (String name : names) {
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
                }
                List<CompletableFuture<Double>> ends = new ArrayList<>();
                for (String name : names) {
                    ends.add(CompletableFuture.supplyAsync(() -> awaitRestore(kube, name, t0)));
                }
                double seconds = 0;
                for (CompletableFuture<Double> f : ends) {
                    seconds = Math.max(seconds, f.join());
                }
                sampler.interrupt();
                sampler.join();
                double download = lastByte.get() == 0 ? -1 : (lastByte.get() - t0) / 1e9;
                double first = firstByte.get() == 0 ? -1 : (firstByte.get() - t0) / 1e9;
                System.out.printf(
                        Locale.ROOT,
                        "RESULT seconds=%.2f firstByteSeconds=%.2f downloadSeconds=%.2f rssBaseMiB=%d rssPeakMiB=%d "
                                + "heapPeakMiB=%d parallel=%d%n",
                        seconds,
                        first,
                        download,
                        rssBase >> 20,
                        rssPeak.get() >> 20,
                        heapPeak.get() >> 20,
                        parallel);
                for (String name : names) {
                    kube.resources(InstanceRestore.class)
                            .inNamespace(Fixtures.NS)
                            .withName(name)
                            .delete();
                    a.waitFor(a.deleteInstance(name), Duration.ofMinutes(5));
                }
            }
        }
    }

    static double awaitRestore(KubernetesClient kube, String name, long t0) {
        try {
            while (true) {
                InstanceRestore r = kube.resources(InstanceRestore.class)
                        .inNamespace(Fixtures.NS)
                        .withName(name)
                        .get();
                if (r.getStatus() != null && r.getStatus().getPhase() == InstanceRestorePhase.COMPLETED) {
                    return (System.nanoTime() - t0) / 1e9;
                }
                if (r.getStatus() != null && r.getStatus().getPhase() == InstanceRestorePhase.FAILED) {
                    throw new IllegalStateException("restore failed: "
                            + r.getStatus().findCondition(Condition.COMPLETE).orElse(null));
                }
                Thread.sleep(20);
            }
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    static void lxdImport(Path file, String name) throws Exception {
        LxdRig rig = LxdRig.require();
        try (LxdClient a = rig.clientA();
                InputStream in = Files.newInputStream(file)) {
            long t0 = System.nanoTime();
            Operation op = a.importBackup(in, Files.size(file), new LxdClient.ImportRequest(null, name, null));
            long t1 = System.nanoTime();
            a.waitFor(op, Duration.ofMinutes(30));
            long t2 = System.nanoTime();
            System.out.printf(
                    Locale.ROOT, "IMPORT receiveSeconds=%.2f unpackSeconds=%.2f%n", (t1 - t0) / 1e9, (t2 - t1) / 1e9);
        }
    }

    /** An S3 store that records when a download's first and last bytes were read. */
    static final class TimedStore implements ObjectStore {
        private final ObjectStore delegate;

        TimedStore(StoreConfig config) {
            this.delegate = S3ObjectStore.open(config);
        }

        @Override
        public StoreConfig config() {
            return delegate.config();
        }

        @Override
        public void validate() {
            delegate.validate();
        }

        @Override
        public UploadResult upload(String key, InputStream data, long expectedSize, UploadOptions options)
                throws IOException {
            return delegate.upload(key, data, expectedSize, options);
        }

        @Override
        public int abortStaleUploads(String key) {
            return delegate.abortStaleUploads(key);
        }

        @Override
        public boolean hasUnfinishedUploads(String key) {
            return delegate.hasUnfinishedUploads(key);
        }

        @Override
        public InputStream download(String key) {
            if (io.lxdbackup.operator.store.ObjectKeys.isManifestKey(key)) {
                return delegate.download(key);
            }
            return new FilterInputStream(delegate.download(key)) {
                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    int n = super.read(b, off, len);
                    if (n > 0) {
                        firstByte.compareAndSet(0, System.nanoTime());
                    } else if (n < 0) {
                        lastByte.accumulateAndGet(System.nanoTime(), Math::max);
                    }
                    return n;
                }
            };
        }

        @Override
        public Optional<ObjectInfo> head(String key) {
            return delegate.head(key);
        }

        @Override
        public void delete(String key) {
            delegate.delete(key);
        }

        @Override
        public List<ObjectInfo> list(String prefix) {
            return delegate.list(prefix);
        }

        @Override
        public void putSmall(String key, byte[] body, String contentType) {
            delegate.putSmall(key, body, contentType);
        }

        @Override
        public byte[] getSmall(String key) {
            return delegate.getSmall(key);
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
