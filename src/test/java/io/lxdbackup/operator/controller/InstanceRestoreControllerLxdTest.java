package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.AccessMode;
import io.lxdbackup.operator.api.v1alpha1.BackupStore;
import io.lxdbackup.operator.api.v1alpha1.BackupStoreSpec;
import io.lxdbackup.operator.api.v1alpha1.BackupStoreStatus;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.ExistingInstancePolicy;
import io.lxdbackup.operator.api.v1alpha1.InstanceExport;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportSpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestore;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestorePhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestoreSpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshot;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotSpec;
import io.lxdbackup.operator.api.v1alpha1.LxdSnapshotRef;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.api.v1alpha1.ObjectSource;
import io.lxdbackup.operator.api.v1alpha1.RestoreSource;
import io.lxdbackup.operator.api.v1alpha1.S3Store;
import io.lxdbackup.operator.api.v1alpha1.StoredExport;
import io.lxdbackup.operator.lxd.Instance;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.lxd.Snapshot;
import io.lxdbackup.operator.store.BackupManifest;
import io.lxdbackup.operator.store.ObjectKeys;
import io.lxdbackup.operator.store.ObjectStore;
import io.lxdbackup.operator.store.S3ObjectStore;
import io.lxdbackup.operator.store.UploadOptions;
import io.lxdbackup.operator.store.UploadResult;
import io.lxdbackup.operator.testing.Fixtures;
import io.lxdbackup.operator.testing.GatedStores;
import io.lxdbackup.operator.testing.IndependentS3Client;
import io.lxdbackup.operator.testing.LxdRig;
import io.lxdbackup.operator.testing.OperatorHarness;
import io.lxdbackup.operator.testing.S3Implementation;
import io.lxdbackup.operator.testing.S3Server;
import io.lxdbackup.operator.testing.S3TestServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.CreateBucketRequest;

/**
 * InstanceRestore on the real LXD rig and s3proxy: snapshot restores in place, and imports of
 * exported files (written to the bucket here the way any export writes them, or made by the
 * operator's own InstanceExport) on the same or the other server, with file contents compared
 * byte for byte; operator restarts mid-import and interrupted swaps, rebuilt on the server as a
 * stopped operator leaves them; and a fresh operator restoring from the bucket alone. The tests
 * taking an {@link S3Implementation} also run against moto's server, through a BackupStore of
 * their own; the others stay on s3proxy.
 */
@Tag("lxd")
class InstanceRestoreControllerLxdTest {
    static final Duration T = Duration.ofMinutes(2);
    static final String BUCKET = "restore-tests";
    static LxdRig rig;
    static OperatorHarness op;
    static KubernetesClient kube;
    static LxdClient a;
    static LxdClient b;
    static S3Server s3;
    static ObjectStore store;
    static final GatedStores gates = new GatedStores();
    static final byte[] PAYLOAD = new byte[200_000];
    static final java.util.concurrent.atomic.AtomicInteger EXPORTS = new java.util.concurrent.atomic.AtomicInteger();
    static final List<String> onA = new CopyOnWriteArrayList<>();
    static final List<String> onB = new CopyOnWriteArrayList<>();
    /** Per S3 implementation: its server, the BackupStore pointing at it, and a store on it for the tests' own writes. */
    record Target(S3TestServer server, String storeName, ObjectStore store) {}

    static final Map<S3Implementation, Target> targets = new ConcurrentHashMap<>();

    @BeforeAll
    static void start() throws Exception {
        rig = LxdRig.require();
        a = rig.clientA();
        b = rig.clientB();
        new Random(7).nextBytes(PAYLOAD);
        s3 = S3Server.start();
        try (var raw = s3.rawClient()) {
            raw.createBucket(CreateBucketRequest.builder().bucket(BUCKET).build());
        }
        store = S3ObjectStore.open(s3.config(BUCKET).build());
        op = new OperatorHarness(Clock.systemUTC(), gates).start();
        kube = op.kube();
        Fixtures.remote(kube, rig, "lxd-a", "a", "5m");
        Fixtures.remote(kube, rig, "lxd-b", "b", "5m");
        createStore(kube, "s3-main");
        targets.put(S3Implementation.S3PROXY, new Target(s3, "s3-main", store));
    }

    /** The target for {@code impl}; moto's is started on first use (skipped, or failing in CI, without moto). */
    static synchronized Target target(S3Implementation impl) throws Exception {
        Target t = targets.get(impl);
        if (t == null) {
            S3TestServer server = impl.start();
            server.createBucket(BUCKET);
            t = new Target(
                    server,
                    impl.id() + "-main",
                    S3ObjectStore.open(server.config(BUCKET).build()));
            targets.put(impl, t);
            createStore(kube, t.storeName(), server);
        }
        return t;
    }

    @AfterAll
    static void stop() throws Exception {
        if (op != null) {
            op.close();
        }
        if (a != null) {
            LxdRig.deleteQuietly(a, onA.toArray(String[]::new));
            LxdRig.deleteQuietly(b, onB.toArray(String[]::new));
            a.close();
            b.close();
        }
        for (Target t : targets.values()) {
            if (t.server() != s3) {
                t.store().close();
                t.server().close();
            }
        }
        if (store != null) {
            store.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    static void createStore(KubernetesClient k, String name) {
        createStore(k, name, s3, "s3-creds");
    }

    static void createStore(KubernetesClient k, String name, S3TestServer server) {
        createStore(k, name, server, name + "-creds");
    }

    static void createStore(KubernetesClient k, String name, S3TestServer server, String secret) {
        k.secrets()
                .inNamespace(Fixtures.NS)
                .resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
                        .withNewMetadata()
                        .withName(secret)
                        .withNamespace(Fixtures.NS)
                        .endMetadata()
                        .withType("lxdbackup.io/s3-credentials")
                        .withStringData(Map.of(
                                "AWS_ACCESS_KEY_ID", server.identity(), "AWS_SECRET_ACCESS_KEY", server.credential()))
                        .build())
                .createOr(r -> r.update());
        BackupStore bs = new BackupStore();
        bs.getMetadata().setName(name);
        bs.getMetadata().setNamespace(Fixtures.NS);
        BackupStoreSpec spec = new BackupStoreSpec();
        S3Store s = new S3Store();
        s.setEndpoint(server.endpoint().toString());
        s.setBucket(BUCKET);
        s.setForcePathStyle(true);
        s.setRegion("us-east-1");
        s.setCredentialsSecretRef(new ObjectRef(secret));
        spec.setS3(s);
        spec.setAccessMode(AccessMode.READ_WRITE);
        bs.setSpec(spec);
        k.resource(bs).create();
    }

    /** An instance on A with a payload file and a snapshot, as most tests need. */
    static String sourceInstance(String prefix) {
        String n = rig.createInstance(a, prefix);
        onA.add(n);
        a.writeFile(n, "/root/payload.bin", PAYLOAD, 0600);
        a.waitFor(a.createSnapshot(n, LxdClient.SnapshotRequest.named("snap1")), T);
        return n;
    }

    /** Writes an export of {@code instance} to the bucket (object + manifest), as an export does. */
    static String exportToBucket(String instance, String sha256Override) throws Exception {
        return exportToBucket(store, instance, sha256Override);
    }

    static String exportToBucket(ObjectStore store, String instance, String sha256Override) throws Exception {
        String backup = "t-" + instance;
        a.waitFor(
                a.createBackup(
                        instance,
                        new LxdClient.BackupRequest(
                                backup, Instant.now().plusSeconds(3600), false, false, "zstd", null)),
                T);
        String name = "manual-" + EXPORTS.incrementAndGet();
        String key = ObjectKeys.exportKey("", Fixtures.NS, "lxd-a", "default", instance, name, "zstd");
        UploadResult up;
        try (LxdClient.Download d = a.downloadBackup(instance, backup)) {
            up = store.upload(key, d.stream(), d.contentLength(), UploadOptions.defaults());
        } finally {
            a.waitFor(a.deleteBackup(instance, backup), T);
        }
        BackupManifest m = new BackupManifest(
                1,
                key,
                instance,
                "lxd-a",
                "default",
                "5.0.2",
                "rig-a",
                "zstd",
                up.size(),
                sha256Override != null ? sha256Override : up.sha256(),
                false,
                false,
                List.of("snap1"),
                Instant.now(),
                Instant.now(),
                name,
                Fixtures.NS,
                null,
                null,
                null);
        store.putSmall(ObjectKeys.manifestKey(key), m.toJson(), "application/json");
        return key;
    }

    static InstanceRestore restore(String name, String remote, String instance, RestoreSource source) {
        InstanceRestore r = new InstanceRestore();
        r.getMetadata().setName(name);
        r.getMetadata().setNamespace(Fixtures.NS);
        InstanceRestoreSpec spec = new InstanceRestoreSpec();
        spec.setRemoteRef(new ObjectRef(remote));
        spec.setInstance(instance);
        spec.setSource(source);
        r.setSpec(spec);
        return r;
    }

    static RestoreSource fromObject(String key) {
        return fromObject(key, "s3-main");
    }

    static RestoreSource fromObject(String key, String storeName) {
        RestoreSource s = new RestoreSource();
        ObjectSource o = new ObjectSource();
        o.setStoreRef(new ObjectRef(storeName));
        o.setKey(key);
        s.setObject(o);
        return s;
    }

    static InstanceRestore awaitRestore(KubernetesClient k, String name, Predicate<InstanceRestore> p) {
        await().atMost(T).pollInterval(Duration.ofMillis(250)).until(() -> {
            InstanceRestore r = k.resources(InstanceRestore.class)
                    .inNamespace(Fixtures.NS)
                    .withName(name)
                    .get();
            return r != null && r.getStatus() != null && p.test(r);
        });
        return k.resources(InstanceRestore.class)
                .inNamespace(Fixtures.NS)
                .withName(name)
                .get();
    }

    static InstanceRestore awaitDone(KubernetesClient k, String name) {
        return awaitRestore(
                k,
                name,
                r -> r.getStatus().getPhase() == InstanceRestorePhase.COMPLETED
                        || r.getStatus().getPhase() == InstanceRestorePhase.FAILED);
    }

    static Condition complete(InstanceRestore r) {
        return r.getStatus().findCondition(Condition.COMPLETE).orElseThrow();
    }

    @Test
    void snapshotRestoreInPlaceByRefAndByName() {
        String inst = rig.createInstance(a, "rs-snap");
        onA.add(inst);
        a.writeFile(inst, "/root/f.txt", "v1".getBytes(StandardCharsets.UTF_8), 0644);
        InstanceSnapshot is = new InstanceSnapshot();
        is.getMetadata().setName("rs-snap");
        is.getMetadata().setNamespace(Fixtures.NS);
        InstanceSnapshotSpec ss = new InstanceSnapshotSpec();
        ss.setRemoteRef(new ObjectRef("lxd-a"));
        ss.setInstance(inst);
        ss.setSnapshotName("good");
        is.setSpec(ss);
        kube.resource(is).create();
        await().atMost(T).until(() -> {
            InstanceSnapshot x = kube.resources(InstanceSnapshot.class)
                    .inNamespace(Fixtures.NS)
                    .withName("rs-snap")
                    .get();
            return x.getStatus() != null && x.getStatus().getPhase() == InstanceSnapshotPhase.READY;
        });
        a.writeFile(inst, "/root/f.txt", "v2-broken".getBytes(StandardCharsets.UTF_8), 0644);

        RestoreSource byRef = new RestoreSource();
        byRef.setSnapshotRef(new ObjectRef("rs-snap"));
        kube.resource(restore("rs-by-ref", "lxd-a", inst, byRef)).create();
        InstanceRestore done = awaitDone(kube, "rs-by-ref");
        assertThat(done.getStatus().getPhase()).isEqualTo(InstanceRestorePhase.COMPLETED);
        assertThat(done.getStatus().getInstanceState()).isEqualTo("Stopped");
        assertThat(done.getStatus().getRestoredAt()).isNotNull();
        assertThat(new String(a.readFile(inst, "/root/f.txt"), StandardCharsets.UTF_8))
                .isEqualTo("v1");

        a.writeFile(inst, "/root/f.txt", "v3".getBytes(StandardCharsets.UTF_8), 0644);
        RestoreSource byName = new RestoreSource();
        LxdSnapshotRef n = new LxdSnapshotRef();
        n.setName("good");
        byName.setSnapshot(n);
        kube.resource(restore("rs-by-name", "lxd-a", inst, byName)).create();
        assertThat(awaitDone(kube, "rs-by-name").getStatus().getPhase()).isEqualTo(InstanceRestorePhase.COMPLETED);
        assertThat(new String(a.readFile(inst, "/root/f.txt"), StandardCharsets.UTF_8))
                .isEqualTo("v1");

        RestoreSource missing = new RestoreSource();
        LxdSnapshotRef m = new LxdSnapshotRef();
        m.setName("no-such-snapshot");
        missing.setSnapshot(m);
        kube.resource(restore("rs-missing-snap", "lxd-a", inst, missing)).create();
        InstanceRestore failed = awaitDone(kube, "rs-missing-snap");
        assertThat(failed.getStatus().getPhase()).isEqualTo(InstanceRestorePhase.FAILED);
        assertThat(complete(failed).getReason()).isEqualTo(Reasons.SOURCE_NOT_FOUND);
        assertThat(complete(failed).getMessage()).contains("no-such-snapshot");
    }

    @Test
    void diskVolumesModeIsRefusedWhereTheServerLacksItAndRootRestoresAsBefore() {
        org.junit.jupiter.api.Assumptions.assumeFalse(
                a.server().capabilities().diskVolumesMode(), "this server has instance_snapshot_multi_volume");
        String inst = rig.createInstance(a, "rs-dv");
        onA.add(inst);
        a.writeFile(inst, "/root/f.txt", "v1".getBytes(StandardCharsets.UTF_8), 0644);
        a.waitFor(a.createSnapshot(inst, LxdClient.SnapshotRequest.named("s1")), T);
        a.writeFile(inst, "/root/f.txt", "v2".getBytes(StandardCharsets.UTF_8), 0644);
        // the real daemon refuses the field for itself: LXD 5.0.2 does not know restore_disk_volumes_mode
        RestoreSource src = new RestoreSource();
        LxdSnapshotRef n = new LxdSnapshotRef();
        n.setName("s1");
        src.setSnapshot(n);

        InstanceRestore all = restore("rs-dv-all", "lxd-a", inst, src);
        all.getSpec().setDiskVolumesMode(io.lxdbackup.operator.api.v1alpha1.DiskVolumesMode.ALL_EXCLUSIVE);
        kube.resource(all).create();
        InstanceRestore failed = awaitDone(kube, "rs-dv-all");
        assertThat(failed.getStatus().getPhase()).isEqualTo(InstanceRestorePhase.FAILED);
        assertThat(complete(failed).getReason()).isEqualTo(Reasons.NOT_SUPPORTED);
        assertThat(complete(failed).getMessage()).contains("instance_snapshot_multi_volume", "all-exclusive");
        // nothing was restored
        assertThat(new String(a.readFile(inst, "/root/f.txt"), StandardCharsets.UTF_8))
                .isEqualTo("v2");

        InstanceRestore root = restore("rs-dv-root", "lxd-a", inst, src);
        root.getSpec().setDiskVolumesMode(io.lxdbackup.operator.api.v1alpha1.DiskVolumesMode.ROOT);
        kube.resource(root).create();
        assertThat(awaitDone(kube, "rs-dv-root").getStatus().getPhase()).isEqualTo(InstanceRestorePhase.COMPLETED);
        assertThat(new String(a.readFile(inst, "/root/f.txt"), StandardCharsets.UTF_8))
                .isEqualTo("v1");

        // and it is meaningless for an import
        InstanceRestore imp = restore("rs-dv-import", "lxd-a", inst + "-x", fromObject("some/key.tar.gz"));
        imp.getSpec().setDiskVolumesMode(io.lxdbackup.operator.api.v1alpha1.DiskVolumesMode.ALL_EXCLUSIVE);
        kube.resource(imp).create();
        InstanceRestore invalid = awaitDone(kube, "rs-dv-import");
        assertThat(complete(invalid).getReason()).isEqualTo(Reasons.INVALID_SPEC);
        assertThat(complete(invalid).getMessage()).contains("diskVolumesMode");
    }

    @Test
    void importOnSameServerUnderNewNameAndOnTheOtherServer() throws Exception {
        String src = sourceInstance("rs-imp");
        String key = exportToBucket(src, null);

        String same = src + "-copy";
        onA.add(same);
        kube.resource(restore("rs-same", "lxd-a", same, fromObject(key))).create();
        InstanceRestore r1 = awaitDone(kube, "rs-same");
        assertThat(r1.getStatus().getPhase()).isEqualTo(InstanceRestorePhase.COMPLETED);
        assertThat(a.readFile(same, "/root/payload.bin")).isEqualTo(PAYLOAD);
        assertThat(a.listSnapshots(same)).extracting(Snapshot::name).containsExactly("snap1");
        assertThat(r1.getStatus().getSha256()).hasSize(64);

        String other = src + "-on-b";
        onB.add(other);
        kube.resource(restore("rs-other", "lxd-b", other, fromObject(key))).create();
        assertThat(awaitDone(kube, "rs-other").getStatus().getPhase()).isEqualTo(InstanceRestorePhase.COMPLETED);
        assertThat(b.readFile(other, "/root/payload.bin")).isEqualTo(PAYLOAD);
        assertThat(b.getInstance(other).isRunning()).isFalse();
    }

    @Test
    void replaceSwapsOnlyAfterASuccessfulImportAndFailKeepsTheExistingInstance() throws Exception {
        String src = sourceInstance("rs-rep");
        String key = exportToBucket(src, null);
        String existing = rig.createInstance(b, "rs-existing");
        onB.add(existing);
        b.writeFile(existing, "/root/payload.bin", "old content".getBytes(StandardCharsets.UTF_8), 0600);

        // Fail (default): refused before any transfer, existing untouched
        kube.resource(restore("rs-fail", "lxd-b", existing, fromObject(key))).create();
        InstanceRestore refused = awaitDone(kube, "rs-fail");
        assertThat(complete(refused).getReason()).isEqualTo(Reasons.ALREADY_EXISTS);
        assertThat(complete(refused).getMessage()).contains("existingInstance: Replace");
        assertThat(new String(b.readFile(existing, "/root/payload.bin"), StandardCharsets.UTF_8))
                .isEqualTo("old content");

        // Replace with a corrupted object: the import fails, the existing instance survives
        String badKey = exportToBucket(src, "0".repeat(64));
        InstanceRestore bad = restore("rs-replace-bad", "lxd-b", existing, fromObject(badKey));
        bad.getSpec().setExistingInstance(ExistingInstancePolicy.REPLACE);
        kube.resource(bad).create();
        InstanceRestore badDone = awaitDone(kube, "rs-replace-bad");
        assertThat(complete(badDone).getReason()).isEqualTo(Reasons.CHECKSUM_MISMATCH);
        assertThat(new String(b.readFile(existing, "/root/payload.bin"), StandardCharsets.UTF_8))
                .isEqualTo("old content");
        assertThat(b.listInstances()).extracting(i -> i.name()).noneMatch(n -> n.contains("-restore-"));

        // Replace with a good object
        InstanceRestore good = restore("rs-replace", "lxd-b", existing, fromObject(key));
        good.getSpec().setExistingInstance(ExistingInstancePolicy.REPLACE);
        kube.resource(good).create();
        assertThat(awaitDone(kube, "rs-replace").getStatus().getPhase()).isEqualTo(InstanceRestorePhase.COMPLETED);
        assertThat(b.readFile(existing, "/root/payload.bin")).isEqualTo(PAYLOAD);
        assertThat(b.listInstances()).extracting(i -> i.name()).noneMatch(n -> n.contains("-restore-"));
    }

    @Test
    void corruptedMissingAndUnsupportedInputsLeaveNothingBehind() throws Exception {
        String src = sourceInstance("rs-bad");
        String corrupt = exportToBucket(src, "f".repeat(64));
        String target = src + "-corrupt";
        kube.resource(restore("rs-corrupt", "lxd-b", target, fromObject(corrupt)))
                .create();
        InstanceRestore c = awaitDone(kube, "rs-corrupt");
        assertThat(c.getStatus().getPhase()).isEqualTo(InstanceRestorePhase.FAILED);
        assertThat(complete(c).getReason()).isEqualTo(Reasons.CHECKSUM_MISMATCH);
        assertThat(complete(c).getMessage()).contains("f".repeat(64));
        assertThat(b.instanceExists(target)).isFalse();

        // a name LXD would refuse at the rename is refused before any byte moves
        kube.resource(restore("rs-bad-name", "lxd-b", "1st_" + src, fromObject(corrupt)))
                .create();
        InstanceRestore badName = awaitDone(kube, "rs-bad-name");
        assertThat(complete(badName).getReason()).isEqualTo(Reasons.INVALID_SPEC);
        assertThat(complete(badName).getMessage()).contains("not a valid LXD instance name");
        assertThat(restoreInstances(b, InstanceRestoreReconciler.restoreId(badName), "1st_" + src))
                .isEmpty();
        // the names a restore uses are valid LXD names themselves, well within 63 characters
        String id = InstanceRestoreReconciler.restoreId(badName);
        assertThat(InstanceRestoreReconciler.stagingName(id)).hasSize(50).matches(InstanceRestoreReconciler.VALID_NAME);
        assertThat(InstanceRestoreReconciler.asideName(id)).hasSize(51).matches(InstanceRestoreReconciler.VALID_NAME);

        kube.resource(restore("rs-no-object", "lxd-b", src + "-x", fromObject("no/such/key.tar.zst")))
                .create();
        assertThat(complete(awaitDone(kube, "rs-no-object")).getReason()).isEqualTo(Reasons.OBJECT_NOT_FOUND);

        String key = exportToBucket(src, null);
        InstanceRestore dev = restore("rs-devices", "lxd-b", src + "-dev", fromObject(key));
        dev.getSpec().setDevices(Map.of("eth0", Map.of("type", "nic", "nictype", "bridged", "parent", "lxdbr0")));
        kube.resource(dev).create();
        InstanceRestore devDone = awaitDone(kube, "rs-devices");
        assertThat(complete(devDone).getReason()).isEqualTo(Reasons.NOT_SUPPORTED);
        assertThat(complete(devDone).getMessage()).contains("import_instance_devices");
        assertThat(b.instanceExists(src + "-dev")).isFalse();
    }

    @Test
    void aFreshOperatorRestoresFromTheBucketAlone() throws Exception {
        String src = sourceInstance("rs-dr");
        exportToBucket(src, null);
        // a file someone put in the bucket by hand: reported, not guessed at
        String stray = "hand-made/" + src + ".tar.gz";
        try (var raw = s3.rawClient()) {
            raw.putObject(b -> b.bucket(BUCKET).key(stray), RequestBody.fromString("not an export"));
        }
        try (OperatorHarness fresh = new OperatorHarness().start()) {
            KubernetesClient k = fresh.kube();
            Fixtures.remote(k, rig, "lxd-b", "b", "5m");
            createStore(k, "s3-main");
            // what is in the bucket, as the new cluster's BackupStore reports it
            await().atMost(T).until(() -> {
                BackupStore bs = k.resources(BackupStore.class)
                        .inNamespace(Fixtures.NS)
                        .withName("s3-main")
                        .get();
                return bs.getStatus() != null
                        && bs.getStatus().getExports() != null
                        && bs.getStatus().getExports().stream().anyMatch(e -> src.equals(e.getInstance()));
            });
            BackupStoreStatus listed = k.resources(BackupStore.class)
                    .inNamespace(Fixtures.NS)
                    .withName("s3-main")
                    .get()
                    .getStatus();
            StoredExport found = listed.getExports().stream()
                    .filter(e -> src.equals(e.getInstance()))
                    .findFirst()
                    .orElseThrow();
            assertThat(found.getSha256()).hasSize(64);
            assertThat(listed.getUnmanifestedObjects()).contains(stray);
            assertThat(listed.getExports()).extracting(StoredExport::getKey).doesNotContain(stray);
            String target = src + "-dr";
            onB.add(target);
            k.resource(restore("rs-dr", "lxd-b", target, fromObject(found.getKey())))
                    .create();
            assertThat(awaitDone(k, "rs-dr").getStatus().getPhase()).isEqualTo(InstanceRestorePhase.COMPLETED);
            assertThat(b.readFile(target, "/root/payload.bin")).isEqualTo(PAYLOAD);
        }
    }

    // ------------------------------------------------------------------ restarts and interrupted swaps

    /** Instances on {@code c} that are {@code target} or the restore's staging or aside instance. */
    static List<String> restoreInstances(LxdClient c, String id, String target) {
        String staging = InstanceRestoreReconciler.stagingName(id);
        String aside = InstanceRestoreReconciler.asideName(id);
        return c.listInstances().stream()
                .map(Instance::name)
                .filter(n -> n.equals(target) || n.equals(staging) || n.equals(aside))
                .toList();
    }

    /** The restore's id on the server; its staging and aside names are removed at the end should a test fail half-way. */
    static String idOf(String restore) {
        String id = InstanceRestoreReconciler.restoreId(kube.resources(InstanceRestore.class)
                .inNamespace(Fixtures.NS)
                .withName(restore)
                .get());
        onB.add(InstanceRestoreReconciler.stagingName(id));
        onB.add(InstanceRestoreReconciler.asideName(id));
        return id;
    }

    /** Tags an instance by a config key; an import made again from the object would not carry it. */
    static void tag(LxdClient c, String instance, String value) {
        c.updateInstanceConfig(instance, Map.of("user.test.tag", value), null);
    }

    static String tagOf(LxdClient c, String instance) {
        return c.getInstance(instance).config().get("user.test.tag");
    }

    /** Imports the object under {@code name} by hand, as an earlier operator would have; {@code marked} = verified. */
    static void importByHand(LxdClient c, String key, String name, boolean marked) throws Exception {
        try (var in = store.download(key)) {
            c.waitFor(c.importBackup(in, -1, new LxdClient.ImportRequest(null, name, null)), T);
        }
        if (marked) {
            c.updateInstanceConfig(name, Map.of(InstanceRestoreReconciler.OWNER_KEY, name), null);
        }
    }

    /** Starts the restore, stops the operator while the object is being streamed into LXD, starts a new one. */
    static InstanceRestore restartMidImport(String name, String target, String key, ExistingInstancePolicy policy)
            throws Exception {
        GatedStores.Gate gate = gates.armDownload(key, 64 * 1024);
        InstanceRestore r = restore(name, "lxd-b", target, fromObject(key));
        r.getSpec().setExistingInstance(policy);
        kube.resource(r).create();
        assertThat(gate.awaitReached(120)).isTrue();
        CompletableFuture<Void> stopping = CompletableFuture.runAsync(op::stop);
        Thread.sleep(1000);
        gate.release();
        stopping.get(2, TimeUnit.MINUTES);
        InstanceRestore stopped = kube.resources(InstanceRestore.class)
                .inNamespace(Fixtures.NS)
                .withName(name)
                .get();
        assertThat(stopped.getStatus().getPhase()).isEqualTo(InstanceRestorePhase.RUNNING);
        op.start();
        InstanceRestore done = awaitDone(kube, name);
        assertThat(done.getStatus().getPhase()).as("%s", done.getStatus()).isEqualTo(InstanceRestorePhase.COMPLETED);
        assertThat(restoreInstances(b, InstanceRestoreReconciler.restoreId(done), target))
                .containsExactly(target);
        return done;
    }

    @Test
    void operatorRestartMidImportEndsWithExactlyOneInstance() throws Exception {
        String src = sourceInstance("rs-rst");
        String key = exportToBucket(src, null);

        String target = src + "-new";
        onB.add(target);
        restartMidImport("rs-restart-fail", target, key, ExistingInstancePolicy.FAIL);
        assertThat(b.readFile(target, "/root/payload.bin")).isEqualTo(PAYLOAD);

        String existing = rig.createInstance(b, "rs-rst-old");
        onB.add(existing);
        b.writeFile(existing, "/root/payload.bin", "old content".getBytes(StandardCharsets.UTF_8), 0600);
        restartMidImport("rs-restart-replace", existing, key, ExistingInstancePolicy.REPLACE);
        assertThat(b.readFile(existing, "/root/payload.bin")).isEqualTo(PAYLOAD);
    }

    @Test
    void interruptedImportsAndSwapsAreFinishedFromWhatIsOnTheServer() throws Exception {
        String src = sourceInstance("rs-swap");
        String key = exportToBucket(src, null);
        String movedAside = rig.createInstance(b, "rs-swap-a");
        String renamedIn = rig.createInstance(b, "rs-swap-b");
        String partial = src + "-partial";
        String verified = src + "-verified";
        String taken = rig.createInstance(b, "rs-swap-user");
        onB.addAll(List.of(movedAside, renamedIn, partial, verified, taken));
        b.writeFile(taken, "/root/payload.bin", "user content".getBytes(StandardCharsets.UTF_8), 0600);
        for (String n : List.of(movedAside, renamedIn)) {
            b.writeFile(n, "/root/payload.bin", "old content".getBytes(StandardCharsets.UTF_8), 0600);
        }
        op.stop();
        try {
            // 1. Replace, stopped after the old instance was renamed aside, before the import was renamed in
            InstanceRestore r1 = restore("rs-swap-1", "lxd-b", movedAside, fromObject(key));
            r1.getSpec().setExistingInstance(ExistingInstancePolicy.REPLACE);
            kube.resource(r1).create();
            String id1 = idOf("rs-swap-1");
            importByHand(b, key, InstanceRestoreReconciler.stagingName(id1), true);
            b.waitFor(b.renameInstance(movedAside, InstanceRestoreReconciler.asideName(id1)), T);

            // 2. Replace, stopped after the import got the name, before the old instance was deleted
            InstanceRestore r2 = restore("rs-swap-2", "lxd-b", renamedIn, fromObject(key));
            r2.getSpec().setExistingInstance(ExistingInstancePolicy.REPLACE);
            kube.resource(r2).create();
            String id2 = idOf("rs-swap-2");
            importByHand(b, key, InstanceRestoreReconciler.stagingName(id2), true);
            b.waitFor(b.renameInstance(renamedIn, InstanceRestoreReconciler.asideName(id2)), T);
            b.waitFor(b.renameInstance(InstanceRestoreReconciler.stagingName(id2), renamedIn), T);
            tag(b, renamedIn, "renamed-in");

            // 3. Fail, stopped mid-import: a staging instance without the mark is not trusted
            kube.resource(restore("rs-swap-3", "lxd-b", partial, fromObject(key)))
                    .create();
            String id3 = idOf("rs-swap-3");
            importByHand(b, key, InstanceRestoreReconciler.stagingName(id3), false);
            tag(b, InstanceRestoreReconciler.stagingName(id3), "partial");

            // 4. Fail, stopped after the verified import, before the rename (LXD copies created_at from
            //    the backup file, so the import looks older than the restore)
            kube.resource(restore("rs-swap-4", "lxd-b", verified, fromObject(key)))
                    .create();
            String id4 = idOf("rs-swap-4");
            importByHand(b, key, InstanceRestoreReconciler.stagingName(id4), true);
            tag(b, InstanceRestoreReconciler.stagingName(id4), "verified");

            // 5. Fail, stopped after the verified import; meanwhile a user created an instance of that name
            kube.resource(restore("rs-swap-5", "lxd-b", taken, fromObject(key))).create();
            String id5 = idOf("rs-swap-5");
            importByHand(b, key, InstanceRestoreReconciler.stagingName(id5), true);
        } finally {
            op.start();
        }

        for (String[] c : new String[][] {
            {"rs-swap-1", movedAside}, {"rs-swap-2", renamedIn}, {"rs-swap-3", partial}, {"rs-swap-4", verified}
        }) {
            InstanceRestore done = awaitDone(kube, c[0]);
            assertThat(done.getStatus().getPhase())
                    .as(c[0] + ": %s", done.getStatus())
                    .isEqualTo(InstanceRestorePhase.COMPLETED);
            assertThat(restoreInstances(b, InstanceRestoreReconciler.restoreId(done), c[1]))
                    .as(c[0])
                    .containsExactly(c[1]);
            assertThat(b.readFile(c[1], "/root/payload.bin")).as(c[0]).isEqualTo(PAYLOAD);
        }
        // finished, not redone: the import that already carried the name is the one kept
        // the user's instance is kept, the import removed, the name conflict reported
        InstanceRestore conflict = awaitDone(kube, "rs-swap-5");
        assertThat(conflict.getStatus().getPhase()).isEqualTo(InstanceRestorePhase.FAILED);
        assertThat(complete(conflict).getReason()).isEqualTo(Reasons.ALREADY_EXISTS);
        assertThat(complete(conflict).getMessage()).contains(taken).contains("existingInstance: Replace");
        assertThat(restoreInstances(b, InstanceRestoreReconciler.restoreId(conflict), taken))
                .containsExactly(taken);
        assertThat(new String(b.readFile(taken, "/root/payload.bin"), StandardCharsets.UTF_8))
                .isEqualTo("user content");
        assertThat(tagOf(b, renamedIn)).isEqualTo("renamed-in");
        assertThat(tagOf(b, verified)).isEqualTo("verified");
        // the unverified one was removed and the object imported again (LXD copies volatile.uuid
        // and created_at from the backup file, so only a mark set here tells the imports apart)
        assertThat(tagOf(b, partial)).isNull();
        assertThat(b.getInstance(partial).config()).containsKey(InstanceRestoreReconciler.OWNER_KEY);
    }

    // ------------------------------------------------------------------ exportRef, corruption, snapshotRef checks

    @ParameterizedTest(name = "{0}")
    @EnumSource(S3Implementation.class)
    void restoresFromAnInstanceExportMadeByTheOperator(S3Implementation impl) throws Exception {
        Target t = target(impl);
        String name = "rs-exref-" + impl.id();
        String src = sourceInstance(name);
        // the export's upload is held so the restore sees it unfinished first
        GatedStores.Gate gate = gates.arm("/" + src + "/", 16 * 1024);
        InstanceExport e = new InstanceExport();
        e.getMetadata().setName(name);
        e.getMetadata().setNamespace(Fixtures.NS);
        InstanceExportSpec es = new InstanceExportSpec();
        es.setRemoteRef(new ObjectRef("lxd-a"));
        es.setInstance(src);
        es.setStoreRef(new ObjectRef(t.storeName()));
        e.setSpec(es);
        kube.resource(e).create();
        assertThat(gate.awaitReached(120)).isTrue();

        RestoreSource source = new RestoreSource();
        source.setExportRef(new ObjectRef(name));
        String target = src + "-from-export";
        onB.add(target);
        kube.resource(restore(name, "lxd-b", target, source)).create();
        InstanceRestore waiting = awaitRestore(
                kube,
                name,
                r -> r.getStatus()
                        .findCondition(Condition.COMPLETE)
                        .map(c -> Reasons.EXPORT_NOT_READY.equals(c.getReason()))
                        .orElse(false));
        assertThat(waiting.getStatus().getPhase()).isEqualTo(InstanceRestorePhase.RUNNING);
        assertThat(complete(waiting).getMessage()).contains(name);
        assertThat(b.instanceExists(target)).isFalse();

        gate.release();
        InstanceRestore done = awaitDone(kube, name);
        assertThat(done.getStatus().getPhase()).as("%s", done.getStatus()).isEqualTo(InstanceRestorePhase.COMPLETED);
        InstanceExport exported = kube.resources(InstanceExport.class)
                .inNamespace(Fixtures.NS)
                .withName(name)
                .get();
        assertThat(exported.getStatus().getPhase()).isEqualTo(InstanceExportPhase.COMPLETED);
        assertThat(done.getStatus().getObjectKey())
                .isEqualTo(exported.getStatus().getObject().getKey());
        assertReadsBackIndependently(t.server(), exported);
        assertThat(done.getStatus().getSha256())
                .isEqualTo(exported.getStatus().getObject().getSha256());
        assertThat(b.readFile(target, "/root/payload.bin")).isEqualTo(PAYLOAD);
        assertThat(b.listSnapshots(target)).extracting(Snapshot::name).containsExactly("snap1");
    }

    /** The exported object, read by a client that shares no code with the operator: size and SHA-256 as the status says. */
    static void assertReadsBackIndependently(S3TestServer server, InstanceExport exported) throws Exception {
        IndependentS3Client aws = server.independentClient(Files.createTempDirectory("rs-aws"));
        String key = exported.getStatus().getObject().getKey();
        assertThat(aws.head(BUCKET, key).orElseThrow().size())
                .isEqualTo(exported.getStatus().getObject().getSize());
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        aws.read(BUCKET, key, in -> {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                d.update(buf, 0, n);
            }
        });
        assertThat(HexFormat.of().formatHex(d.digest()))
                .isEqualTo(exported.getStatus().getObject().getSha256());
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(S3Implementation.class)
    void bytesChangedAfterTheManifestWasWrittenAreRefusedAndLeaveNothingOnLxd(S3Implementation impl) throws Exception {
        Target t = target(impl);
        ObjectStore store = t.store();
        String name = "rs-rot-" + impl.id();
        String src = sourceInstance(name);
        String key = exportToBucket(store, src, null);
        byte[] bytes;
        try (var in = store.download(key)) {
            bytes = in.readAllBytes();
        }
        long recordedSize = bytes.length;
        bytes[bytes.length / 2] ^= 0x5a; // same size, other content
        byte[] rotten = bytes;
        try (var raw = t.server().rawClient()) {
            raw.putObject(x -> x.bucket(BUCKET).key(key), RequestBody.fromBytes(rotten));
        }
        assertThat(store.head(key).orElseThrow().size()).isEqualTo(recordedSize);

        String pool = rig.get("storage.pool");
        String target = src + "-rot";
        List<String> volumesBefore = b.listStorageVolumes(pool);
        assertThat(volumesBefore).noneMatch(v -> v.endsWith("/" + target));
        kube.resource(restore(name, "lxd-b", target, fromObject(key, t.storeName())))
                .create();
        InstanceRestore failed = awaitDone(kube, name);
        assertThat(failed.getStatus().getPhase()).isEqualTo(InstanceRestorePhase.FAILED);
        assertThat(complete(failed).getReason()).isEqualTo(Reasons.CHECKSUM_MISMATCH);
        String id = InstanceRestoreReconciler.restoreId(failed);
        // nothing of this restore on the server: no instance, no storage volume (other tests may
        // create their own instances on the shared daemons meanwhile, so only this restore's names count)
        assertThat(restoreInstances(b, id, target)).isEmpty();
        String staging = InstanceRestoreReconciler.stagingName(id);
        List<String> volumesAfter = b.listStorageVolumes(pool);
        assertThat(volumesAfter).noneMatch(v -> v.endsWith("/" + target) || v.endsWith("/" + staging));
        assertThat(volumesAfter.stream().filter(v -> !volumesBefore.contains(v)))
                .noneMatch(v -> v.contains(target) || v.contains(staging));
    }

    @Test
    void aSnapshotRefOfAnotherRemoteOrProjectIsRefused() {
        String inst = rig.createInstance(a, "rs-xref");
        onA.add(inst);
        InstanceSnapshot is = new InstanceSnapshot();
        is.getMetadata().setName("rs-xref");
        is.getMetadata().setNamespace(Fixtures.NS);
        InstanceSnapshotSpec ss = new InstanceSnapshotSpec();
        ss.setRemoteRef(new ObjectRef("lxd-a"));
        ss.setInstance(inst);
        ss.setSnapshotName("s1");
        is.setSpec(ss);
        kube.resource(is).create();
        await().atMost(T).until(() -> {
            InstanceSnapshot x = kube.resources(InstanceSnapshot.class)
                    .inNamespace(Fixtures.NS)
                    .withName("rs-xref")
                    .get();
            return x.getStatus() != null && x.getStatus().getPhase() == InstanceSnapshotPhase.READY;
        });
        RestoreSource byRef = new RestoreSource();
        byRef.setSnapshotRef(new ObjectRef("rs-xref"));

        kube.resource(restore("rs-xref-remote", "lxd-b", inst, byRef)).create();
        InstanceRestore otherRemote = awaitDone(kube, "rs-xref-remote");
        assertThat(otherRemote.getStatus().getPhase()).isEqualTo(InstanceRestorePhase.FAILED);
        assertThat(complete(otherRemote).getReason()).isEqualTo(Reasons.INVALID_SPEC);
        assertThat(complete(otherRemote).getMessage()).contains("remote lxd-a").contains("spec.remoteRef");

        InstanceRestore p = restore("rs-xref-project", "lxd-a", inst, byRef);
        p.getSpec().setProject("elsewhere");
        kube.resource(p).create();
        InstanceRestore otherProject = awaitDone(kube, "rs-xref-project");
        assertThat(complete(otherProject).getReason()).isEqualTo(Reasons.INVALID_SPEC);
        assertThat(complete(otherProject).getMessage())
                .contains("project default")
                .contains("spec.project");
    }

    @Test
    void snapshotRestoreOfARunningInstanceReportsItsStateAndRefusesAStatelessSnapshotAsStateful() {
        String inst = rig.createInstance(a, "rs-run");
        onA.add(inst);
        a.writeFile(inst, "/root/f.txt", "v1".getBytes(StandardCharsets.UTF_8), 0644);
        a.waitFor(a.createSnapshot(inst, LxdClient.SnapshotRequest.named("good")), T);
        a.writeFile(inst, "/root/f.txt", "v2".getBytes(StandardCharsets.UTF_8), 0644);
        a.waitFor(a.changeState(inst, "start", false, 30), T);
        try {
            RestoreSource src = new RestoreSource();
            LxdSnapshotRef n = new LxdSnapshotRef();
            n.setName("good");
            src.setSnapshot(n);
            kube.resource(restore("rs-running", "lxd-a", inst, src)).create();
            InstanceRestore done = awaitDone(kube, "rs-running");
            assertThat(done.getStatus().getPhase())
                    .as("%s", done.getStatus())
                    .isEqualTo(InstanceRestorePhase.COMPLETED);
            assertThat(done.getStatus().getInstanceState())
                    .isEqualTo(a.getInstance(inst).status())
                    .isEqualTo("Running");
            assertThat(complete(done).getMessage()).contains("Running");
            assertThat(new String(a.readFile(inst, "/root/f.txt"), StandardCharsets.UTF_8))
                    .isEqualTo("v1");

            InstanceRestore stateful = restore("rs-stateful", "lxd-a", inst, src);
            stateful.getSpec().setStateful(true);
            kube.resource(stateful).create();
            InstanceRestore refused = awaitDone(kube, "rs-stateful");
            assertThat(refused.getStatus().getPhase()).isEqualTo(InstanceRestorePhase.FAILED);
            assertThat(complete(refused).getReason()).isEqualTo(Reasons.INVALID_SPEC);
            assertThat(complete(refused).getMessage()).contains("good").contains("stateful: false");
            assertThat(a.getInstance(inst).isRunning()).isTrue();
        } finally {
            a.waitFor(a.changeState(inst, "stop", true, 30), T);
        }
    }

    @Test
    void storagePoolIsUsedAndAMissingPoolLeavesNothingBehind() throws Exception {
        String src = sourceInstance("rs-pool");
        String key = exportToBucket(src, null);
        String pool = rig.get("storage.pool");

        String target = src + "-in-pool";
        onB.add(target);
        InstanceRestore r = restore("rs-pool", "lxd-b", target, fromObject(key));
        r.getSpec().setStoragePool(pool);
        kube.resource(r).create();
        InstanceRestore done = awaitDone(kube, "rs-pool");
        assertThat(done.getStatus().getPhase()).as("%s", done.getStatus()).isEqualTo(InstanceRestorePhase.COMPLETED);
        assertThat(b.listStorageVolumes(pool)).contains("container/" + target);
        assertThat(b.readFile(target, "/root/payload.bin")).isEqualTo(PAYLOAD);

        String nowhere = src + "-nowhere";
        InstanceRestore missing = restore("rs-no-pool", "lxd-b", nowhere, fromObject(key));
        missing.getSpec().setStoragePool("no-such-pool");
        kube.resource(missing).create();
        InstanceRestore failed = awaitDone(kube, "rs-no-pool");
        assertThat(failed.getStatus().getPhase()).isEqualTo(InstanceRestorePhase.FAILED);
        assertThat(complete(failed).getReason()).isEqualTo(Reasons.NOT_FOUND);
        assertThat(complete(failed).getMessage()).contains("no-such-pool").contains("spec.storagePool");
        assertThat(restoreInstances(b, InstanceRestoreReconciler.restoreId(failed), nowhere))
                .isEmpty();
        assertThat(b.listStorageVolumes(pool))
                .noneMatch(v -> v.endsWith("/" + nowhere)
                        || v.endsWith("/"
                                + InstanceRestoreReconciler.stagingName(InstanceRestoreReconciler.restoreId(failed))));
    }

    @Test
    void aReplacedInstanceLxdRefusesToDeleteIsKeptAsideAndReported() throws Exception {
        String src = sourceInstance("rs-prot");
        String key = exportToBucket(src, null);
        String existing = rig.createInstance(b, "rs-prot-old");
        onB.add(existing);
        b.writeFile(existing, "/root/payload.bin", "old content".getBytes(StandardCharsets.UTF_8), 0600);
        b.updateInstanceConfig(existing, Map.of("security.protection.delete", "true"), null);
        InstanceRestore r = restore("rs-protected", "lxd-b", existing, fromObject(key));
        r.getSpec().setExistingInstance(ExistingInstancePolicy.REPLACE);
        kube.resource(r).create();
        InstanceRestore done = awaitDone(kube, "rs-protected");
        String aside = InstanceRestoreReconciler.asideName(InstanceRestoreReconciler.restoreId(done));
        onB.add(aside);
        try {
            assertThat(done.getStatus().getPhase())
                    .as("%s", done.getStatus())
                    .isEqualTo(InstanceRestorePhase.COMPLETED);
            assertThat(b.readFile(existing, "/root/payload.bin")).isEqualTo(PAYLOAD);
            assertThat(complete(done).getMessage()).contains("kept as " + aside);
            assertThat(new String(b.readFile(aside, "/root/payload.bin"), StandardCharsets.UTF_8))
                    .isEqualTo("old content");
        } finally {
            if (b.instanceExists(aside)) {
                b.updateInstanceConfig(aside, null, java.util.Set.of("security.protection.delete"));
            }
        }
    }
}
