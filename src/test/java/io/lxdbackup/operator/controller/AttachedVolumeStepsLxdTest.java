package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.AttachedVolumesMode;
import io.lxdbackup.operator.api.v1alpha1.DeletionPolicy;
import io.lxdbackup.operator.api.v1alpha1.IncludedVolume;
import io.lxdbackup.operator.api.v1alpha1.InstanceExport;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportSpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshot;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotSpec;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.lxd.LxdTarget;
import io.lxdbackup.operator.lxd.Snapshot;
import io.lxdbackup.operator.testing.CrashWindow;
import io.lxdbackup.operator.testing.Fixtures;
import io.lxdbackup.operator.testing.GatedStores;
import io.lxdbackup.operator.testing.IndependentS3Client;
import io.lxdbackup.operator.testing.LxdRig;
import io.lxdbackup.operator.testing.OperatorHarness;
import io.lxdbackup.operator.testing.S3Server;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * attachedVolumes: Include across the steps of a backup, on the real LXD rig with s3proxy: an
 * instance with two attached custom volumes (one of 20 MiB, one small). Expiry edits of an
 * InstanceSnapshot reach the volume snapshots taken with it, and deletion removes them. An
 * operator stopped at each point between the steps of a snapshot (instance snapshot, volume
 * snapshots) or an export (instance object, volume backups, uploads, manifests) — as a crash
 * would, nothing after the point runs ({@link CrashWindow}) — is followed by one that completes
 * the resource with no second snapshot or object, and no LXD backup, snapshot or multipart
 * upload left behind.
 */
@Tag("lxd")
class AttachedVolumeStepsLxdTest {
    static final Duration T = Duration.ofMinutes(4);
    static final String BUCKET = "volsteps";
    static final String PREFIX = "vs/";
    static LxdRig rig;
    static S3Server s3;
    static final GatedStores gates = new GatedStores();
    static OperatorHarness op;
    static KubernetesClient kube;
    static LxdClient a;
    static IndependentS3Client aws;
    static String pool;
    static String inst;
    static String big;
    static String small;

    @BeforeAll
    static void start() throws Exception {
        rig = LxdRig.require();
        a = rig.clientA();
        pool = rig.get("storage.pool");
        s3 = S3Server.start();
        try (S3Client raw = s3.rawClient()) {
            raw.createBucket(x -> x.bucket(BUCKET));
        }
        aws = IndependentS3Client.require(s3.endpoint(), Files.createTempDirectory("vs-aws"));
        op = new OperatorHarness(Clock.systemUTC(), gates).start();
        kube = op.kube();
        Fixtures.remote(kube, rig, "lxd-a", "a", "5m");
        Fixtures.backupStore(kube, "s3-main", s3, BUCKET, PREFIX);
        big = rig.createVolume(a, "vsbig");
        small = rig.createVolume(a, "vssmall");
        byte[] data = new byte[20 * 1024 * 1024];
        new Random(5).nextBytes(data);
        Files.write(rig.volumeDir("a", pool, big).resolve("data.bin"), data);
        Files.writeString(rig.volumeDir("a", pool, small).resolve("note.txt"), "small");
        inst = rig.createInstance(a, "vs-i");
        rig.lxc("a", "storage", "volume", "attach", pool, big, inst, "data", "/mnt/data");
        rig.lxc("a", "storage", "volume", "attach", pool, small, inst, "logs", "/mnt/logs");
    }

    @AfterAll
    static void stop() throws Exception {
        io.lxdbackup.operator.controller.CrashPoints.install(null);
        if (op != null) {
            op.close();
        }
        if (a != null) {
            LxdRig.deleteQuietly(a, inst);
            rig.deleteVolumesQuietly(a, big, small);
            a.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    // ------------------------------------------------------------------ helpers

    static <R extends HasMetadata> R get(Class<R> kind, String name) {
        return kube.resources(kind).inNamespace(Fixtures.NS).withName(name).get();
    }

    static <R extends HasMetadata> R awaitFor(Class<R> kind, String name, Predicate<R> p) {
        await().atMost(T).pollInterval(Duration.ofMillis(300)).until(() -> {
            R r = get(kind, name);
            return r != null && p.test(r);
        });
        return get(kind, name);
    }

    static InstanceSnapshot snapshot(String name) {
        InstanceSnapshot s = new InstanceSnapshot();
        s.getMetadata().setName(name);
        s.getMetadata().setNamespace(Fixtures.NS);
        InstanceSnapshotSpec spec = new InstanceSnapshotSpec();
        spec.setRemoteRef(new ObjectRef("lxd-a"));
        spec.setInstance(inst);
        spec.setAttachedVolumes(AttachedVolumesMode.INCLUDE);
        spec.setDeletionPolicy(DeletionPolicy.DELETE);
        s.setSpec(spec);
        return s;
    }

    static InstanceSnapshot awaitReady(String name) {
        return awaitFor(
                InstanceSnapshot.class,
                name,
                s -> s.getStatus() != null
                        && s.getStatus().getPhase() == InstanceSnapshotPhase.READY
                        && InstanceSnapshotReconciler.readyAtGeneration(
                                s.getStatus(), s.getMetadata().getGeneration()));
    }

    static InstanceExport export(String name) {
        InstanceExport e = new InstanceExport();
        e.getMetadata().setName(name);
        e.getMetadata().setNamespace(Fixtures.NS);
        InstanceExportSpec spec = new InstanceExportSpec();
        spec.setRemoteRef(new ObjectRef("lxd-a"));
        spec.setInstance(inst);
        spec.setStoreRef(new ObjectRef("s3-main"));
        spec.setInstanceOnly(true);
        spec.setAttachedVolumes(AttachedVolumesMode.INCLUDE);
        spec.setDeletionPolicy(DeletionPolicy.DELETE);
        e.setSpec(spec);
        return e;
    }

    static Set<String> snapshotNames(LxdTarget t) {
        return a.listSnapshots(t).stream().map(Snapshot::name).collect(Collectors.toSet());
    }

    static LxdTarget vol(String name) {
        return LxdTarget.volume(pool, name);
    }

    static String sha256(String key) throws Exception {
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        aws.read(BUCKET, key, in -> {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                d.update(buf, 0, n);
            }
        });
        return HexFormat.of().formatHex(d.digest());
    }

    /** Stops the operator while a reconcile waits at {@code release}, as a crash there would. */
    static void crashAt(Runnable release) throws Exception {
        CompletableFuture<Void> stopping = CompletableFuture.runAsync(op::stop);
        Thread.sleep(1000);
        release.run();
        stopping.get(2, TimeUnit.MINUTES);
    }

    // ------------------------------------------------------------------ expiry

    @Test
    void expiryEditsReachTheIncludedVolumeSnapshotsAndDeletionRemovesThem() throws Exception {
        Set<String> before = snapshotNames(LxdTarget.instance(inst));
        Set<String> beforeBig = snapshotNames(vol(big));
        Set<String> beforeSmall = snapshotNames(vol(small));
        InstanceSnapshot s = snapshot("vs-exp");
        s.getSpec().setTtl("48h");
        kube.resource(s).create();
        InstanceSnapshot ready = awaitReady("vs-exp");
        String name = ready.getStatus().getSnapshotName();
        Instant created = a.getSnapshot(inst, name).createdAt();
        List<IncludedVolume> volumes = ready.getStatus().getVolumes();
        assertThat(volumes).extracting(IncludedVolume::getName).containsExactlyInAnyOrder(big, small);

        // ttl changed: instance and volume snapshots expire 72h after the instance snapshot was taken
        edit("vs-exp", x -> x.getSpec().setTtl("72h"));
        Instant want72 = created.plus(Duration.ofHours(72));
        awaitExpiries(name, volumes, Map.of(big, want72, small, want72), want72);

        // ttl replaced by expiresAt
        Instant at = Instant.now().plus(Duration.ofDays(10)).truncatedTo(ChronoUnit.SECONDS);
        edit("vs-exp", x -> {
            x.getSpec().setTtl(null);
            x.getSpec().setExpiresAt(at.toString());
        });
        awaitExpiries(name, volumes, Map.of(big, at, small, at), at);

        // expiry removed: what LXD gives by default, per volume (its snapshots.expiry) and the instance (none)
        a.updateVolumeConfig(pool, big, Map.of("snapshots.expiry", "3d"), Set.of());
        try {
            edit("vs-exp", x -> x.getSpec().setExpiresAt(null));
            Map<String, Instant> defaults = new java.util.HashMap<>();
            defaults.put(big, created.plus(Duration.ofDays(3)));
            defaults.put(small, null);
            awaitExpiries(name, volumes, defaults, null);
        } finally {
            a.updateVolumeConfig(pool, big, Map.of(), Set.of("snapshots.expiry"));
        }

        // deletionPolicy: Delete removes the instance snapshot and both volume snapshots, nothing else
        kube.resources(InstanceSnapshot.class)
                .inNamespace(Fixtures.NS)
                .withName("vs-exp")
                .delete();
        await().atMost(T).until(() -> get(InstanceSnapshot.class, "vs-exp") == null);
        assertThat(snapshotNames(LxdTarget.instance(inst))).isEqualTo(before);
        assertThat(snapshotNames(vol(big))).isEqualTo(beforeBig);
        assertThat(snapshotNames(vol(small))).isEqualTo(beforeSmall);
    }

    static void edit(String name, java.util.function.Consumer<InstanceSnapshot> change) {
        kube.resources(InstanceSnapshot.class)
                .inNamespace(Fixtures.NS)
                .withName(name)
                .edit(x -> {
                    change.accept(x);
                    return x;
                });
    }

    /** Waits until the snapshots on the server expire as wanted (null: never), each within a second. */
    static void awaitExpiries(
            String instanceSnapshot, List<IncludedVolume> volumes, Map<String, Instant> want, Instant instanceWant) {
        await().atMost(Duration.ofMinutes(1))
                .pollInterval(Duration.ofMillis(300))
                .untilAsserted(() -> {
                    Instant is = a.getSnapshot(inst, instanceSnapshot).expiresAt();
                    if (instanceWant == null) {
                        assertThat(is).as("instance snapshot expiry").isNull();
                    } else {
                        assertThat(is)
                                .as("instance snapshot expiry")
                                .isCloseTo(instanceWant, within(1, ChronoUnit.SECONDS));
                    }
                    for (IncludedVolume v : volumes) {
                        Instant got = a.getSnapshot(vol(v.getName()), v.getSnapshotName())
                                .expiresAt();
                        Instant w = want.get(v.getName());
                        if (w == null) {
                            assertThat(got)
                                    .as("expiry of the snapshot of %s", v.getName())
                                    .isNull();
                        } else {
                            assertThat(got)
                                    .as("expiry of the snapshot of %s", v.getName())
                                    .isNotNull()
                                    .isCloseTo(w, within(2, ChronoUnit.SECONDS));
                        }
                    }
                });
    }

    // ------------------------------------------------------------------ crashes: snapshot

    @ParameterizedTest
    @ValueSource(
            strings = {
                CrashPoints.SNAPSHOT_VOLUMES_PLANNED,
                CrashPoints.SNAPSHOT_VOLUME_CREATED,
                CrashPoints.SNAPSHOT_VOLUME_DONE
            })
    void aSnapshotStoppedBetweenItsStepsCompletesOnceAfterTheRestart(String point) throws Exception {
        String name = "vs-cs-" + point.substring(point.indexOf('/') + 1);
        Set<String> before = snapshotNames(LxdTarget.instance(inst));
        Set<String> beforeBig = snapshotNames(vol(big));
        Set<String> beforeSmall = snapshotNames(vol(small));
        List<IncludedVolume> planned;
        try (CrashWindow w = CrashWindow.arm(point, name)) {
            kube.resource(snapshot(name)).create();
            assertThat(w.awaitReached(120)).isTrue();
            crashAt(w::release);
            planned = get(InstanceSnapshot.class, name).getStatus().getVolumes();
            assertThat(planned)
                    .as("the plan is recorded before any volume snapshot")
                    .hasSize(2);
        }
        assertThat(get(InstanceSnapshot.class, name).getStatus().getPhase()).isEqualTo(InstanceSnapshotPhase.CREATING);
        op.start();
        InstanceSnapshot ready = awaitReady(name);
        // one instance snapshot, one snapshot of each volume, under the names planned before the crash
        Set<String> after = snapshotNames(LxdTarget.instance(inst));
        after.removeAll(before);
        assertThat(after).containsExactly(ready.getStatus().getSnapshotName());
        assertThat(ready.getStatus().getVolumes())
                .extracting(IncludedVolume::getDone)
                .containsOnly(true);
        assertThat(ready.getStatus().getVolumes())
                .extracting(IncludedVolume::getSnapshotName)
                .containsExactlyElementsOf(
                        planned.stream().map(IncludedVolume::getSnapshotName).toList());
        for (IncludedVolume v : ready.getStatus().getVolumes()) {
            Set<String> now = snapshotNames(vol(v.getName()));
            now.removeAll(v.getName().equals(big) ? beforeBig : beforeSmall);
            assertThat(now).as("new snapshots of %s", v.getName()).containsExactly(v.getSnapshotName());
        }
        assertThat(a.runningOperationsOn(LxdTarget.instance(inst))).isEmpty();

        kube.resources(InstanceSnapshot.class)
                .inNamespace(Fixtures.NS)
                .withName(name)
                .delete();
        await().atMost(T).until(() -> get(InstanceSnapshot.class, name) == null);
        assertThat(snapshotNames(LxdTarget.instance(inst))).isEqualTo(before);
        assertThat(snapshotNames(vol(big))).isEqualTo(beforeBig);
        assertThat(snapshotNames(vol(small))).isEqualTo(beforeSmall);
    }

    // ------------------------------------------------------------------ crashes: export

    static final String MID_VOLUME_UPLOAD = "mid-volume-upload";

    @ParameterizedTest
    @ValueSource(
            strings = {
                CrashPoints.EXPORT_INSTANCE_UPLOADED,
                CrashPoints.EXPORT_VOLUME_BACKUP_CREATED,
                MID_VOLUME_UPLOAD,
                CrashPoints.EXPORT_VOLUME_UPLOADED,
                CrashPoints.EXPORT_VOLUMES_DONE
            })
    void anExportStoppedBetweenItsStepsCompletesWithOneObjectEachAndNothingLeft(String point) throws Exception {
        String name = "vs-ce-" + point.substring(point.indexOf('/') + 1);
        List<String> keysAtCrash = new ArrayList<>();
        if (MID_VOLUME_UPLOAD.equals(point)) {
            GatedStores.Gate gate = gates.arm("/" + name + ".volume-data.", 12L * 1024 * 1024);
            kube.resource(export(name)).create();
            assertThat(gate.awaitReached(120)).isTrue();
            String volKey = volumeKey(get(InstanceExport.class, name), "data");
            // what a killed operator leaves behind: a multipart upload nobody completes
            try (S3Client raw = s3.rawClient()) {
                raw.createMultipartUpload(b -> b.bucket(BUCKET).key(volKey));
            }
            assertThat(a.listBackups(vol(big)))
                    .as("the volume's LXD backup during its upload")
                    .hasSize(1);
            crashAt(gate::release);
        } else {
            try (CrashWindow w = CrashWindow.arm(point, name)) {
                kube.resource(export(name)).create();
                assertThat(w.awaitReached(120)).isTrue();
                crashAt(w::release);
            }
            if (CrashPoints.EXPORT_VOLUME_BACKUP_CREATED.equals(point)) {
                // the first volume's LXD backup was made; the crash left it
                assertThat(a.listBackups(vol(big)).size()
                                + a.listBackups(vol(small)).size())
                        .isEqualTo(1);
            }
        }
        InstanceExport crashed = get(InstanceExport.class, name);
        assertThat(crashed.getStatus().getPhase()).isEqualTo(InstanceExportPhase.UPLOADING);
        String key = crashed.getStatus().getObject().getKey();
        if (crashed.getStatus().getVolumes() != null) {
            crashed.getStatus().getVolumes().forEach(v -> keysAtCrash.add(v.getKey()));
        }
        op.start();
        InstanceExport done = awaitFor(
                InstanceExport.class,
                name,
                e -> e.getStatus() != null && e.getStatus().getPhase() == InstanceExportPhase.COMPLETED);
        assertThat(done.getStatus().getObject().getKey()).isEqualTo(key);
        List<IncludedVolume> volumes = done.getStatus().getVolumes();
        assertThat(volumes).hasSize(2).extracting(IncludedVolume::getDone).containsOnly(true);
        if (!keysAtCrash.isEmpty()) {
            assertThat(volumes).extracting(IncludedVolume::getKey).containsExactlyElementsOf(keysAtCrash);
        }
        // exactly the instance's object, each volume's, and their manifests: nothing twice, nothing else
        List<String> expected = new ArrayList<>(List.of(key, key + ".json"));
        for (IncludedVolume v : volumes) {
            expected.add(v.getKey());
            expected.add(v.getKey() + ".json");
            assertThat(sha256(v.getKey())).as("object of %s", v.getName()).isEqualTo(v.getSha256());
        }
        assertThat(sha256(key)).isEqualTo(done.getStatus().getObject().getSha256());
        String prefix = key.substring(0, key.lastIndexOf('/') + 1) + name + ".";
        assertThat(aws.list(BUCKET, prefix)).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(aws.multipartUploads(BUCKET, prefix).orElse(0))
                .as("unfinished multipart uploads")
                .isZero();
        assertThat(a.listBackups(LxdTarget.instance(inst)))
                .as("LXD backups of the instance")
                .isEmpty();
        assertThat(a.listBackups(vol(big))).as("LXD backups of " + big).isEmpty();
        assertThat(a.listBackups(vol(small))).as("LXD backups of " + small).isEmpty();

        kube.resources(InstanceExport.class)
                .inNamespace(Fixtures.NS)
                .withName(name)
                .delete();
        await().atMost(T).until(() -> aws.list(BUCKET, prefix).isEmpty());
    }

    /** The key of a volume's object: fixed with the plan, or derived from the instance's key. */
    static String volumeKey(InstanceExport e, String device) {
        if (e.getStatus().getVolumes() != null) {
            for (IncludedVolume v : e.getStatus().getVolumes()) {
                if (device.equals(v.getDevice())) {
                    return v.getKey();
                }
            }
        }
        throw new AssertionError("no planned volume " + device + " in " + e.getStatus());
    }
}
