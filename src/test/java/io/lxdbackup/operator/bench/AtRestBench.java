package io.lxdbackup.operator.bench;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.ReconcilerUtils;
import io.lxdbackup.operator.api.v1alpha1.AccessMode;
import io.lxdbackup.operator.api.v1alpha1.Compression;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.DeletionPolicy;
import io.lxdbackup.operator.api.v1alpha1.InstanceExport;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportSpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportStatus;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshot;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotSpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotStatus;
import io.lxdbackup.operator.api.v1alpha1.LxdRemote;
import io.lxdbackup.operator.api.v1alpha1.LxdRemoteSpec;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.api.v1alpha1.SnapshotSchedule;
import io.lxdbackup.operator.api.v1alpha1.SnapshotScheduleSpec;
import io.lxdbackup.operator.api.v1alpha1.StoredObjectInfo;
import io.lxdbackup.operator.local.InMemoryApiServer;
import io.lxdbackup.operator.lxd.Certificates;
import io.lxdbackup.operator.testing.Fixtures;
import io.lxdbackup.operator.testing.S3Server;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Driver of {@code bench/at-rest-bench.sh} (not a test): the world an operator finds at rest,
 * {@code env <kubeconfig> <remotes> <snapshots> <schedules> <exports>}. It starts the in-memory
 * API server (writing a kubeconfig for the operator, which the script runs as its own process,
 * {@code java -jar}), one fake LXD server per remote ({@link FakeLxdServer}, counting what it is
 * asked), an s3proxy for the one BackupStore, and creates:
 * <ul>
 *   <li>{@code remotes} LxdRemotes (probe every 5m, the default);
 *   <li>{@code snapshots} InstanceSnapshots spread over the remotes (4 instances each), already
 *       Ready with the operator's finalizer, each with its snapshot on the fake server;
 *   <li>{@code schedules} SnapshotSchedules with a cron that is not due for months ({@code 0 0 1 1 *});
 *   <li>{@code exports} InstanceExports already Completed (no ttl).
 * </ul>
 * Then, every 10 s, one line {@code T s=<seconds since ready> api=<requests> lxd=<requests>
 * snapshotsRead=.. schedulesWritten=.. exportsWritten=.. remotesProbed=..} (cumulative counts:
 * requests served by the API server after creation, read from its journal, and by all fake LXD
 * servers; how many distinct snapshots were read back from LXD, and how many distinct schedules
 * and exports had their status written), and every minute the API requests by verb and
 * resource and the LXD calls by kind. Runs until killed.
 */
public final class AtRestBench {
    private AtRestBench() {}

    static final String NS = Fixtures.NS;
    static final String BUCKET = "at-rest";
    static final Pattern RESOURCE =
            Pattern.compile("^/apis?/(?:[^/]+/)?v1[^/]*/(?:namespaces/[^/]+/)?([a-z]+)(?:/([^/?]+))?(?:/(status))?");

    public static void main(String[] args) throws Exception {
        if (!args[0].equals("env")) {
            throw new IllegalArgumentException("usage: env <kubeconfig> <remotes> <snapshots> <schedules> <exports>");
        }
        Path kubeconfig = Path.of(args[1]);
        int remotes = Integer.parseInt(args[2]);
        int snapshots = Integer.parseInt(args[3]);
        int schedules = Integer.parseInt(args[4]);
        int exports = Integer.parseInt(args[5]);
        S3Server.quietLogs();
        InMemoryApiServer api = new InMemoryApiServer(0);
        KubernetesClient kube = api.client();
        S3Server s3 = S3Server.start();
        s3.createBucket(BUCKET);
        List<FakeLxdServer> lxd = new ArrayList<>();
        Certificates.GeneratedIdentity id = Certificates.generate("bench");
        kube.secrets()
                .inNamespace(NS)
                .resource(Fixtures.tlsSecret("fake-lxd-client", id.certificatePem(), id.privateKeyPem()))
                .create();
        for (int r = 0; r < remotes; r++) {
            List<String> instances = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                instances.add(String.format(Locale.ROOT, "r%02d-i%d", r, i));
            }
            FakeLxdServer f = new FakeLxdServer(instances);
            lxd.add(f);
            LxdRemote remote = new LxdRemote();
            remote.getMetadata().setName(remoteName(r));
            remote.getMetadata().setNamespace(NS);
            LxdRemoteSpec spec = new LxdRemoteSpec();
            spec.setUrl(f.url());
            spec.setClientCertificateSecretRef(new ObjectRef("fake-lxd-client"));
            spec.setServerCertificateFingerprint(f.fingerprint());
            spec.setProbeInterval("5m");
            remote.setSpec(spec);
            kube.resource(remote).create();
        }
        Fixtures.backupStore(
                kube,
                "store",
                s3.endpoint(),
                BUCKET,
                "bench/",
                S3Server.IDENTITY,
                S3Server.CREDENTIAL,
                AccessMode.READ_WRITE);
        Instant created = Instant.now().minusSeconds(86_400);
        String ts = created.toString();
        for (int n = 0; n < snapshots; n++) {
            int r = n % Math.max(1, remotes);
            String inst = String.format(Locale.ROOT, "r%02d-i%d", r, (n / Math.max(1, remotes)) % 4);
            String snapName = "snap" + n;
            lxd.get(r).addSnapshot(inst, snapName, created);
            InstanceSnapshot s = new InstanceSnapshot();
            s.getMetadata().setName(String.format(Locale.ROOT, "s%05d", n));
            s.getMetadata().setNamespace(NS);
            s.getMetadata().setFinalizers(List.of(ReconcilerUtils.getDefaultFinalizerName(InstanceSnapshot.class)));
            InstanceSnapshotSpec spec = new InstanceSnapshotSpec();
            spec.setRemoteRef(new ObjectRef(remoteName(r)));
            spec.setInstance(inst);
            spec.setSnapshotName(snapName);
            s.setSpec(spec);
            InstanceSnapshotStatus st = new InstanceSnapshotStatus();
            st.setPhase(InstanceSnapshotPhase.READY);
            st.setSnapshotName(snapName);
            st.setCreationTime(ts);
            st.setStateful(false);
            st.setSize(0L);
            st.setReadyToUse(true);
            st.setObservedGeneration(1L);
            st.setConditions(List.of(condition(
                    Condition.READY,
                    "SnapshotReady",
                    "Snapshot " + snapName + " of " + inst + " exists on the server",
                    ts)));
            // the API server ignores a status on create (status subresource): written after
            InstanceSnapshot made = kube.resource(s).create();
            made.setStatus(st);
            kube.resource(made).updateStatus();
        }
        for (int n = 0; n < schedules; n++) {
            int r = n % Math.max(1, remotes);
            SnapshotSchedule s = new SnapshotSchedule();
            s.getMetadata().setName(String.format(Locale.ROOT, "sch%04d", n));
            s.getMetadata().setNamespace(NS);
            SnapshotScheduleSpec spec = new SnapshotScheduleSpec();
            spec.setRemoteRef(new ObjectRef(remoteName(r)));
            spec.setSchedule("0 0 1 1 *");
            spec.setInstances(List.of(String.format(Locale.ROOT, "r%02d-i%d", r, n % 4)));
            s.setSpec(spec);
            kube.resource(s).create();
        }
        for (int n = 0; n < exports; n++) {
            int r = n % Math.max(1, remotes);
            String inst = String.format(Locale.ROOT, "r%02d-i%d", r, n % 4);
            InstanceExport e = new InstanceExport();
            e.getMetadata().setName(String.format(Locale.ROOT, "e%04d", n));
            e.getMetadata().setNamespace(NS);
            e.getMetadata().setFinalizers(List.of(ReconcilerUtils.getDefaultFinalizerName(InstanceExport.class)));
            InstanceExportSpec spec = new InstanceExportSpec();
            spec.setRemoteRef(new ObjectRef(remoteName(r)));
            spec.setInstance(inst);
            spec.setStoreRef(new ObjectRef("store"));
            spec.setDeletionPolicy(DeletionPolicy.RETAIN);
            e.setSpec(spec);
            InstanceExportStatus st = new InstanceExportStatus();
            st.setPhase(InstanceExportPhase.COMPLETED);
            st.setCompression(Compression.ZSTD);
            StoredObjectInfo o = new StoredObjectInfo();
            o.setBucket(BUCKET);
            o.setKey("bench/" + NS + "/" + remoteName(r) + "/default/" + inst + "/"
                    + e.getMetadata().getName() + ".tar.zst");
            o.setSize(1L << 20);
            o.setSha256("0".repeat(64));
            st.setObject(o);
            st.setStartTime(ts);
            st.setCompletionTime(ts);
            st.setObservedGeneration(1L);
            st.setConditions(List.of(condition(Condition.COMPLETE, "Exported", "exported", ts)));
            InstanceExport made = kube.resource(e).create();
            made.setStatus(st);
            kube.resource(made).updateStatus();
        }

        checkStored(kube);
        // from here on, what the operator asks
        Map<String, AtomicLong> apiByCall = new ConcurrentHashMap<>();
        AtomicLong apiTotal = new AtomicLong();
        Set<String> schedulesWritten = ConcurrentHashMap.newKeySet();
        Set<String> exportsWritten = ConcurrentHashMap.newKeySet();
        Set<String> snapshotsWritten = ConcurrentHashMap.newKeySet();
        Thread.sleep(6000); // the journal of the creations drained
        api.onRequest((method, path) -> {
            apiTotal.incrementAndGet();
            Matcher m = RESOURCE.matcher(path);
            String what = m.find()
                    ? m.group(1)
                            + (m.group(3) != null ? "/status" : m.group(2) != null ? "/{name}" : "")
                            + (path.contains("watch=true") ? " (watch)" : "")
                    : path.replaceAll("\\?.*", "");
            apiByCall
                    .computeIfAbsent(method + " " + what, k -> new AtomicLong())
                    .incrementAndGet();
            if (m.find(0) && m.group(2) != null && !method.equals("GET")) {
                switch (m.group(1)) {
                    case "snapshotschedules" -> schedulesWritten.add(m.group(2));
                    case "instanceexports" -> exportsWritten.add(m.group(2));
                    case "instancesnapshots" -> snapshotsWritten.add(m.group(2));
                    default -> {}
                }
            }
        });
        Files.writeString(kubeconfig, api.kubeconfig());
        System.out.printf(
                Locale.ROOT,
                "READY remotes=%d snapshots=%d schedules=%d exports=%d%n",
                remotes,
                snapshots,
                schedules,
                exports);
        long t0 = System.nanoTime();
        long lastMinute = 0;
        Map<String, Long> apiBefore = new TreeMap<>();
        Map<String, Long> lxdBefore = new TreeMap<>();
        while (true) {
            Thread.sleep(10_000);
            long s = (System.nanoTime() - t0) / 1_000_000_000L;
            long lxdTotal = lxd.stream().mapToLong(FakeLxdServer::requests).sum();
            int read = lxd.stream().mapToInt(FakeLxdServer::snapshotsRead).sum();
            long probed = lxd.stream()
                    .filter(f -> f.calls().getOrDefault("GET /1.0", 0L) > 0)
                    .count();
            System.out.printf(
                    Locale.ROOT,
                    "T s=%d api=%d lxd=%d snapshotsRead=%d snapshotsWritten=%d schedulesWritten=%d exportsWritten=%d"
                            + " remotesProbed=%d%n",
                    s,
                    apiTotal.get(),
                    lxdTotal,
                    read,
                    snapshotsWritten.size(),
                    schedulesWritten.size(),
                    exportsWritten.size(),
                    probed);
            if (s / 60 > lastMinute) {
                lastMinute = s / 60;
                Map<String, Long> apiNow = new TreeMap<>();
                apiByCall.forEach((k, v) -> apiNow.put(k, v.get()));
                Map<String, Long> lxdNow = new TreeMap<>();
                for (FakeLxdServer f : lxd) {
                    f.calls().forEach((k, v) -> lxdNow.merge(k, v, Long::sum));
                }
                System.out.println("MINUTE " + lastMinute + " api " + delta(apiNow, apiBefore) + " lxd "
                        + delta(lxdNow, lxdBefore) + " lxdPerServer "
                        + lxd.stream().mapToLong(FakeLxdServer::requests).summaryStatistics());
                apiBefore = apiNow;
                lxdBefore = lxdNow;
            }
        }
    }

    static String delta(Map<String, Long> now, Map<String, Long> before) {
        Map<String, Long> d = new TreeMap<>();
        now.forEach((k, v) -> {
            long x = v - before.getOrDefault(k, 0L);
            if (x > 0) {
                d.put(k, x);
            }
        });
        return d.toString();
    }

    /** Some statuses, as they were stored (a check that the world is at rest before the operator starts). */
    static void checkStored(KubernetesClient kube) {
        InstanceSnapshot s = kube.resources(InstanceSnapshot.class)
                .inNamespace(NS)
                .withName("s00000")
                .get();
        if (s != null && (s.getStatus() == null || s.getStatus().getPhase() != InstanceSnapshotPhase.READY)) {
            throw new IllegalStateException("InstanceSnapshot status not stored: " + s.getStatus());
        }
        InstanceExport e = kube.resources(InstanceExport.class)
                .inNamespace(NS)
                .withName("e0000")
                .get();
        if (e != null && (e.getStatus() == null || e.getStatus().getPhase() != InstanceExportPhase.COMPLETED)) {
            throw new IllegalStateException("InstanceExport status not stored: " + e.getStatus());
        }
    }

    static Condition condition(String type, String reason, String message, String time) {
        Condition c = new Condition(type, Condition.TRUE, reason, message);
        c.setLastTransitionTime(time);
        c.setObservedGeneration(1L);
        return c;
    }

    static String remoteName(int r) {
        return String.format(Locale.ROOT, "lxd%02d", r);
    }
}
