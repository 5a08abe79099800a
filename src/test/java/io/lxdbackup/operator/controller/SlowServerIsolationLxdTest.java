package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.CopyMode;
import io.lxdbackup.operator.api.v1alpha1.InstanceCopy;
import io.lxdbackup.operator.api.v1alpha1.InstanceCopyPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceCopySpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceExport;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportSpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestore;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestorePhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestoreSpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshot;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotSpec;
import io.lxdbackup.operator.api.v1alpha1.LxdRemote;
import io.lxdbackup.operator.api.v1alpha1.LxdRemoteSpec;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.api.v1alpha1.RestoreSource;
import io.lxdbackup.operator.api.v1alpha1.VolumeRef;
import io.lxdbackup.operator.lxd.Certificates;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.lxd.LxdTarget;
import io.lxdbackup.operator.lxd.LxdTimeouts;
import io.lxdbackup.operator.testing.CountingProxy;
import io.lxdbackup.operator.testing.Fixtures;
import io.lxdbackup.operator.testing.GatedStores;
import io.lxdbackup.operator.testing.LxdRig;
import io.lxdbackup.operator.testing.OperatorHarness;
import io.lxdbackup.operator.testing.S3Server;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * One slow tenant does not starve the others. Tenant A's work is stuck, tenant B (another
 * namespace, the real LXD rig) gets its snapshot while A is still stuck, with a reconcile pool
 * far smaller than A's stuck work:
 *
 * <ul>
 *   <li>A's export is paused in the middle of its upload (held at a gate in the store): it runs on
 *       a transfer thread, so even the only reconcile thread stays free for B;</li>
 *   <li>A's remote is a server that accepts the connection, sends the headers and then trickles
 *       its answer without end (a fault a real LXD cannot produce on demand): every call to it
 *       ends at {@code --lxd-request-timeout} as {@code ServerUnresponsive}, a retryable
 *       condition, so A's reconciles give their threads back.</li>
 * </ul>
 */
@Tag("lxd")
class SlowServerIsolationLxdTest {
    static final String TENANT_A = "tenant-a";
    static final String TENANT_B = "tenant-b";
    static final String BUCKET = "isolation";
    static final byte[] RANDOM = new byte[12 * 1024 * 1024];

    static {
        new Random(5).nextBytes(RANDOM);
    }

    static LxdRig rig;
    static LxdClient lxd;
    static LxdClient lxdB;
    static S3Server s3;
    static final List<String> instances = new ArrayList<>();
    static final List<String> instancesB = new ArrayList<>();
    static final List<String> volumes = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        rig = LxdRig.require();
        lxd = rig.clientA();
        lxdB = rig.clientB();
        s3 = S3Server.start();
        try (S3Client raw = s3.rawClient()) {
            raw.createBucket(b -> b.bucket(BUCKET));
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (lxd != null) {
            LxdRig.deleteQuietly(lxd, instances.toArray(String[]::new));
            rig.deleteVolumesQuietly(lxd, volumes.toArray(String[]::new));
            lxd.close();
        }
        if (lxdB != null) {
            LxdRig.deleteQuietly(lxdB, instancesB.toArray(String[]::new));
            lxdB.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    /**
     * Both tenants get a remote "lxd" for rig daemon A; tenant A gets the store "s3" (bucket
     * {@code BUCKET} under {@code prefix}).
     */
    private void twoTenantsOnServerA(KubernetesClient kube, String prefix) {
        remote(kube, TENANT_A, "lxd", rig.get("a.url"), rig.get("a.fingerprint"));
        remote(kube, TENANT_B, "lxd", rig.get("a.url"), rig.get("a.fingerprint"));
        Fixtures.backupStore(kube, "s3", s3, BUCKET, prefix);
        moveStore(kube, "s3", TENANT_A);
    }

    @Test
    void aStalledExportDoesNotHoldTheOnlyReconcileThread() throws Exception {
        GatedStores gates = new GatedStores();
        try (OperatorHarness op = new OperatorHarness(Clock.systemUTC(), gates)
                .withReconcileThreads(1)
                .start()) {
            KubernetesClient kube = op.kube();
            twoTenantsOnServerA(kube, "a/");
            String slowInstance = rig.createInstance(lxd, "isoa");
            instances.add(slowInstance);
            lxd.writeFile(slowInstance, "/root/random.bin", RANDOM, 0600);
            String other = rig.createInstance(lxd, "isob");
            instances.add(other);

            // A's export stops in the middle of its upload and stays there
            GatedStores.Gate gate = gates.arm("/" + slowInstance + "/", 4L * 1024 * 1024);
            kube.resource(export(TENANT_A, "stuck", "lxd", slowInstance)).create();
            assertThat(gate.awaitReached(180)).as("A's upload reached the gate").isTrue();

            // B's snapshot, in another namespace, completes meanwhile on the only reconcile thread
            long t0 = System.nanoTime();
            kube.resource(snapshot(TENANT_B, "b-snap", "lxd", other)).create();
            await().atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> phase(kube, TENANT_B, "b-snap") == InstanceSnapshotPhase.READY);
            long readyMs = (System.nanoTime() - t0) / 1_000_000;
            InstanceExport held = kube.resources(InstanceExport.class)
                    .inNamespace(TENANT_A)
                    .withName("stuck")
                    .get();
            assertThat(held.getStatus().getPhase())
                    .as("A's export is still held at the gate while B's snapshot became Ready in " + readyMs + " ms")
                    .isEqualTo(InstanceExportPhase.UPLOADING);
            assertThat(op.runtime().transfers().runningCount()).isEqualTo(1);

            // released, A's export completes as before: the transfer's outcome reaches the status
            gate.release();
            await().atMost(Duration.ofMinutes(3))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> {
                        InstanceExport e = kube.resources(InstanceExport.class)
                                .inNamespace(TENANT_A)
                                .withName("stuck")
                                .get();
                        return e.getStatus().getPhase() == InstanceExportPhase.COMPLETED;
                    });
            InstanceExport done = kube.resources(InstanceExport.class)
                    .inNamespace(TENANT_A)
                    .withName("stuck")
                    .get();
            assertThat(done.getStatus()
                            .findCondition(Condition.COMPLETE)
                            .orElseThrow()
                            .getReason())
                    .isEqualTo(Reasons.EXPORT_COMPLETED);
            assertThat(done.getStatus().getObject().getSize()).isGreaterThan(0L);
            assertThat(done.getStatus().getBackupName()).isNull();
            assertThat(lxd.listBackups(slowInstance)).isEmpty();
            assertThat(op.runtime().transfers().runningCount()).isZero();
        }
    }

    @Test
    void aServerThatTricklesEndsAsServerUnresponsiveAndOthersGoOn() throws Exception {
        try (TricklingServer slow = new TricklingServer();
                OperatorHarness op = new OperatorHarness(Clock.systemUTC())
                        .withReconcileThreads(2)
                        .withLxdTimeouts(new LxdTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(2)))
                        .start()) {
            KubernetesClient kube = op.kube();
            remote(kube, TENANT_A, "slow", slow.url(), slow.fingerprint());
            remote(kube, TENANT_B, "lxd", rig.get("a.url"), rig.get("a.fingerprint"));
            String other = rig.createInstance(lxd, "isoc");
            instances.add(other);
            // more of A's work than there are reconcile threads
            for (int i = 0; i < 4; i++) {
                kube.resource(snapshot(TENANT_A, "a-snap-" + i, "slow", "c" + i))
                        .create();
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> slow.connections.get() >= 2);

            long t0 = System.nanoTime();
            kube.resource(snapshot(TENANT_B, "b-snap", "lxd", other)).create();
            await().atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> phase(kube, TENANT_B, "b-snap") == InstanceSnapshotPhase.READY);
            long readyMs = (System.nanoTime() - t0) / 1_000_000;
            assertThat(readyMs)
                    .as("B's snapshot became Ready in " + readyMs + " ms")
                    .isLessThan(90_000);

            // A: each of its snapshots ends with the deadline's reason (retryable) and a message saying what happened
            await().atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> {
                        for (int i = 0; i < 4; i++) {
                            InstanceSnapshot s = kube.resources(InstanceSnapshot.class)
                                    .inNamespace(TENANT_A)
                                    .withName("a-snap-" + i)
                                    .get();
                            Condition ready = s.getStatus() == null
                                    ? null
                                    : s.getStatus()
                                            .findCondition(Condition.READY)
                                            .orElse(null);
                            assertThat(ready).as("a-snap-" + i).isNotNull();
                            assertThat(ready.getReason()).isEqualTo(Reasons.SERVER_UNRESPONSIVE);
                            assertThat(ready.getMessage())
                                    .contains("did not answer in time")
                                    .contains("--lxd-request-timeout 2 s");
                        }
                    });
        }
    }

    @Test
    void aRelayCopyDoesNotHoldTheOnlyReconcileThreadAndItsDeletionLeavesNothingBehind() throws Exception {
        URI bUrl = URI.create(rig.get("b.url"));
        // the target's side of the relay is slowed to 128 KiB/s: the relay lasts minutes
        try (CountingProxy slowB = new CountingProxy(bUrl.getHost(), bUrl.getPort()).throttleUpstream(128 * 1024);
                OperatorHarness op = new OperatorHarness(Clock.systemUTC())
                        .withReconcileThreads(1)
                        .start()) {
            KubernetesClient kube = op.kube();
            remote(kube, TENANT_A, "src", rig.get("a.url"), rig.get("a.fingerprint"));
            remote(kube, TENANT_A, "slow-b", "https://127.0.0.1:" + slowB.port(), rig.get("b.fingerprint"));
            remote(kube, TENANT_B, "lxd", rig.get("a.url"), rig.get("a.fingerprint"));
            String source = rig.createInstance(lxd, "isorelay");
            instances.add(source);
            lxd.writeFile(source, "/root/random.bin", RANDOM, 0600);
            String target = source + "-bk";
            String staging = CopyNames.staging(target);
            instancesB.add(target);
            instancesB.add(staging);
            String other = rig.createInstance(lxd, "isod");
            instances.add(other);

            kube.resource(relayCopy(TENANT_A, "relay", source, target)).create();
            // the relay streams into the target's import
            await().atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> slowB.bytes() > 1024 * 1024);

            // B's snapshot, in another namespace, completes meanwhile on the only reconcile thread
            long t0 = System.nanoTime();
            kube.resource(snapshot(TENANT_B, "b-snap", "lxd", other)).create();
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> phase(kube, TENANT_B, "b-snap") == InstanceSnapshotPhase.READY);
            long readyMs = (System.nanoTime() - t0) / 1_000_000;
            InstanceCopy running = kube.resources(InstanceCopy.class)
                    .inNamespace(TENANT_A)
                    .withName("relay")
                    .get();
            assertThat(running.getStatus().getPhase())
                    .as("the relay still runs while B's snapshot became Ready in " + readyMs + " ms")
                    .isEqualTo(InstanceCopyPhase.COPYING);
            assertThat(running.getStatus().getProgress()).contains("streamed through the operator");
            assertThat(lxd.listBackups(source))
                    .as("the relay's backup on the source")
                    .hasSize(1);
            assertThat(op.runtime().transfers().runningCount()).isEqualTo(1);

            // deleted mid-relay: the relay stops first, then the clean-up; nothing is left on either server
            kube.resources(InstanceCopy.class)
                    .inNamespace(TENANT_A)
                    .withName("relay")
                    .delete();
            await().atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> kube.resources(InstanceCopy.class)
                                    .inNamespace(TENANT_A)
                                    .withName("relay")
                                    .get()
                            == null);
            assertThat(lxd.listBackups(source))
                    .as("LXD backup left on the source")
                    .isEmpty();
            assertThat(lxdB.instanceExists(staging))
                    .as("staging instance left on the target")
                    .isFalse();
            assertThat(lxdB.instanceExists(target)).as("target instance").isFalse();
            assertThat(op.runtime().transfers().runningCount()).isZero();
            // nothing streams any more (what the sockets still buffered drains within seconds)
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> {
                        long carried = slowB.bytes();
                        Thread.sleep(2000);
                        return slowB.bytes() == carried;
                    });

            // suspended mid-relay (a new spec): the relay stops, nothing of it is left, the copy is Suspended
            String target2 = source + "-bk2";
            instancesB.add(target2);
            instancesB.add(CopyNames.staging(target2));
            kube.resource(relayCopy(TENANT_A, "relay2", source, target2)).create();
            long before = slowB.bytes();
            await().atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> slowB.bytes() > before + 1024 * 1024);
            kube.resources(InstanceCopy.class)
                    .inNamespace(TENANT_A)
                    .withName("relay2")
                    .edit(c -> {
                        c.getSpec().setSuspend(true);
                        return c;
                    });
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> {
                        InstanceCopy c = kube.resources(InstanceCopy.class)
                                .inNamespace(TENANT_A)
                                .withName("relay2")
                                .get();
                        return c.getStatus() != null
                                && c.getStatus().getPhase() == InstanceCopyPhase.SUSPENDED
                                && c.getStatus().getSyncId() == null;
                    });
            assertThat(lxd.listBackups(source))
                    .as("LXD backup left on the source")
                    .isEmpty();
            assertThat(lxdB.instanceExists(CopyNames.staging(target2)))
                    .as("staging instance left on the target")
                    .isFalse();
            assertThat(lxdB.instanceExists(target2)).isFalse();
            assertThat(op.runtime().transfers().runningCount()).isZero();
        }
    }

    @Test
    void aVolumeRestoreFromAnObjectRunsOffTheReconcileThreadsAndItsDeletionLeavesNothingBehind() throws Exception {
        GatedStores gates = new GatedStores();
        String pool = rig.get("storage.pool");
        try (OperatorHarness op = new OperatorHarness(Clock.systemUTC(), gates)
                .withReconcileThreads(1)
                .start()) {
            KubernetesClient kube = op.kube();
            twoTenantsOnServerA(kube, "v/");
            String vol = rig.createVolume(lxd, "isovol");
            volumes.add(vol);
            Files.write(rig.volumeDir("a", pool, vol).resolve("random.bin"), RANDOM);
            String other = rig.createInstance(lxd, "isoe");
            instances.add(other);
            InstanceExport e = export(TENANT_A, "vol-exp", "lxd", null);
            e.getSpec().setVolume(new VolumeRef(pool, vol));
            kube.resource(e).create();
            await().atMost(Duration.ofMinutes(3))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> {
                        InstanceExport x = kube.resources(InstanceExport.class)
                                .inNamespace(TENANT_A)
                                .withName("vol-exp")
                                .get();
                        return x.getStatus() != null && x.getStatus().getPhase() == InstanceExportPhase.COMPLETED;
                    });
            InstanceExport exported = kube.resources(InstanceExport.class)
                    .inNamespace(TENANT_A)
                    .withName("vol-exp")
                    .get();
            String key = exported.getStatus().getObject().getKey();

            // the import is held in the middle of its download: the only reconcile thread stays free
            String restored = LxdRig.uniqueName("isovr");
            volumes.add(restored);
            GatedStores.Gate gate = gates.armDownload(key, 64 * 1024);
            kube.resource(volumeRestore(TENANT_A, "vol-restore", pool, restored))
                    .create();
            assertThat(gate.awaitReached(120)).as("the import reached the gate").isTrue();
            kube.resource(snapshot(TENANT_B, "b-snap", "lxd", other)).create();
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> phase(kube, TENANT_B, "b-snap") == InstanceSnapshotPhase.READY);
            assertThat(restorePhase(kube, "vol-restore")).isEqualTo(InstanceRestorePhase.RUNNING);
            assertThat(op.runtime().transfers().runningCount()).isEqualTo(1);
            gate.release();
            await().atMost(Duration.ofMinutes(3))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> restorePhase(kube, "vol-restore") == InstanceRestorePhase.COMPLETED);
            InstanceRestore done = kube.resources(InstanceRestore.class)
                    .inNamespace(TENANT_A)
                    .withName("vol-restore")
                    .get();
            assertThat(done.getStatus().getSha256())
                    .as("the import was verified against the export's checksum")
                    .isEqualTo(exported.getStatus().getObject().getSha256());
            assertThat(Files.readAllBytes(rig.volumeDir("a", pool, restored).resolve("random.bin")))
                    .isEqualTo(RANDOM);

            // deleted in the middle of its import: the import stops, its staging volume goes, nothing is restored
            String second = LxdRig.uniqueName("isovs");
            volumes.add(second);
            GatedStores.Gate gate2 = gates.armDownload(key, 64 * 1024);
            kube.resource(volumeRestore(TENANT_A, "vol-deleted", pool, second)).create();
            assertThat(gate2.awaitReached(120))
                    .as("the second import reached the gate")
                    .isTrue();
            InstanceRestore r = kube.resources(InstanceRestore.class)
                    .inNamespace(TENANT_A)
                    .withName("vol-deleted")
                    .get();
            String staging = InstanceRestoreReconciler.stagingName(InstanceRestoreReconciler.restoreId(r));
            volumes.add(staging);
            kube.resource(r).delete();
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> kube.resources(InstanceRestore.class)
                                    .inNamespace(TENANT_A)
                                    .withName("vol-deleted")
                                    .get()
                            == null);
            Thread.sleep(1000); // the informer has seen the deletion
            gate2.release();
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> op.runtime().transfers().runningCount() == 0);
            assertThat(VolumeRestore.find(lxd, pool, staging))
                    .as("staging volume left")
                    .isNull();
            assertThat(VolumeRestore.find(lxd, pool, second))
                    .as("volume of a deleted restore")
                    .isNull();
            assertThat(lxd.listBackups(LxdTarget.volume(pool, vol))).isEmpty();
        }
    }

    // ------------------------------------------------------------------ fixtures

    static InstanceCopy relayCopy(String ns, String name, String instance, String target) {
        InstanceCopy c = new InstanceCopy();
        c.getMetadata().setName(name);
        c.getMetadata().setNamespace(ns);
        InstanceCopySpec spec = new InstanceCopySpec();
        spec.setSourceRemoteRef(new ObjectRef("src"));
        spec.setTargetRemoteRef(new ObjectRef("slow-b"));
        spec.setInstance(instance);
        spec.setTargetInstance(target);
        spec.setMode(CopyMode.RELAY);
        c.setSpec(spec);
        return c;
    }

    static InstanceRestore volumeRestore(String ns, String name, String pool, String volume) {
        InstanceRestore r = new InstanceRestore();
        r.getMetadata().setName(name);
        r.getMetadata().setNamespace(ns);
        InstanceRestoreSpec spec = new InstanceRestoreSpec();
        spec.setRemoteRef(new ObjectRef("lxd"));
        spec.setVolume(new VolumeRef(pool, volume));
        RestoreSource src = new RestoreSource();
        src.setExportRef(new ObjectRef("vol-exp"));
        spec.setSource(src);
        r.setSpec(spec);
        return r;
    }

    static InstanceRestorePhase restorePhase(KubernetesClient kube, String name) {
        InstanceRestore r = kube.resources(InstanceRestore.class)
                .inNamespace(TENANT_A)
                .withName(name)
                .get();
        return r == null || r.getStatus() == null ? null : r.getStatus().getPhase();
    }

    static void remote(KubernetesClient kube, String ns, String name, String url, String fingerprint) {
        String secret = name + "-client";
        var tls = Fixtures.tlsSecret(secret, rig.read("client.crt"), rig.read("client.key"));
        tls.getMetadata().setNamespace(ns);
        kube.secrets().inNamespace(ns).resource(tls).createOr(r -> r.update());
        LxdRemote r = new LxdRemote();
        r.getMetadata().setName(name);
        r.getMetadata().setNamespace(ns);
        LxdRemoteSpec spec = new LxdRemoteSpec();
        spec.setUrl(url);
        spec.setClientCertificateSecretRef(new ObjectRef(secret));
        spec.setServerCertificateFingerprint(fingerprint);
        spec.setProbeInterval("5m");
        r.setSpec(spec);
        kube.resource(r).create();
    }

    /** Copies the BackupStore and its Secret made by {@link Fixtures} in the default namespace to {@code ns}. */
    static void moveStore(KubernetesClient kube, String name, String ns) {
        var secret = kube.secrets()
                .inNamespace(Fixtures.NS)
                .withName(name + "-creds")
                .get();
        secret.getMetadata().setNamespace(ns);
        secret.getMetadata().setResourceVersion(null);
        secret.getMetadata().setUid(null);
        kube.resource(secret).create();
        var store = kube.resources(io.lxdbackup.operator.api.v1alpha1.BackupStore.class)
                .inNamespace(Fixtures.NS)
                .withName(name)
                .get();
        store.getMetadata().setNamespace(ns);
        store.getMetadata().setResourceVersion(null);
        store.getMetadata().setUid(null);
        store.setStatus(null);
        kube.resource(store).create();
    }

    static InstanceExport export(String ns, String name, String remote, String instance) {
        InstanceExport e = new InstanceExport();
        e.getMetadata().setName(name);
        e.getMetadata().setNamespace(ns);
        InstanceExportSpec spec = new InstanceExportSpec();
        spec.setRemoteRef(new ObjectRef(remote));
        spec.setInstance(instance);
        spec.setStoreRef(new ObjectRef("s3"));
        e.setSpec(spec);
        return e;
    }

    static InstanceSnapshot snapshot(String ns, String name, String remote, String instance) {
        InstanceSnapshot s = new InstanceSnapshot();
        s.getMetadata().setName(name);
        s.getMetadata().setNamespace(ns);
        InstanceSnapshotSpec spec = new InstanceSnapshotSpec();
        spec.setRemoteRef(new ObjectRef(remote));
        spec.setInstance(instance);
        s.setSpec(spec);
        return s;
    }

    static InstanceSnapshotPhase phase(KubernetesClient kube, String ns, String name) {
        InstanceSnapshot s = kube.resources(InstanceSnapshot.class)
                .inNamespace(ns)
                .withName(name)
                .get();
        return s == null || s.getStatus() == null ? null : s.getStatus().getPhase();
    }

    /**
     * An HTTPS server that accepts every request, answers {@code 200} with its headers, then sends
     * one byte of body every 200 ms for ever: a read deadline never fires, only a whole-call one.
     */
    static final class TricklingServer implements AutoCloseable {
        final HttpsServer server;
        final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        final String fingerprint;
        final AtomicInteger connections = new AtomicInteger();

        TricklingServer() throws Exception {
            Certificates.GeneratedIdentity id = Certificates.generate("slow-lxd");
            Certificates.ClientIdentity parsed = Certificates.parseIdentity(id.certificatePem(), id.privateKeyPem());
            fingerprint = parsed.fingerprint();
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("server", parsed.key(), new char[0], parsed.chain().toArray(new Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, new char[0]);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(kmf.getKeyManagers(), null, new SecureRandom());
            server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
            server.setHttpsConfigurator(new HttpsConfigurator(ssl));
            server.setExecutor(executor);
            server.createContext("/", this::trickle);
            server.start();
        }

        private void trickle(HttpExchange x) throws IOException {
            connections.incrementAndGet();
            x.getResponseHeaders().add("Content-Type", "application/json");
            x.sendResponseHeaders(200, 0);
            try (OutputStream out = x.getResponseBody()) {
                out.write('{');
                out.flush();
                while (true) {
                    Thread.sleep(200);
                    out.write(' ');
                    out.flush();
                }
            } catch (InterruptedException | IOException e) {
                // the client gave up: what the deadline is for
            } finally {
                x.close();
            }
        }

        String url() {
            return "https://127.0.0.1:" + server.getAddress().getPort();
        }

        String fingerprint() {
            return fingerprint;
        }

        @Override
        public void close() {
            server.stop(0);
            executor.shutdownNow();
        }
    }
}
