package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.AttachedVolumesMode;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.DeletionPolicy;
import io.lxdbackup.operator.api.v1alpha1.IncludedVolume;
import io.lxdbackup.operator.api.v1alpha1.InstanceExport;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportSpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestore;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestorePhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestoreSpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshot;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotSpec;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.api.v1alpha1.RestoreSource;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.lxd.LxdTarget;
import io.lxdbackup.operator.lxd.Snapshot;
import io.lxdbackup.operator.testing.Fixtures;
import io.lxdbackup.operator.testing.GatedStores;
import io.lxdbackup.operator.testing.IndependentS3Client;
import io.lxdbackup.operator.testing.LxdRig;
import io.lxdbackup.operator.testing.OperatorHarness;
import io.lxdbackup.operator.testing.S3Server;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * attachedVolumes: Include on the real LXD rig with s3proxy: an instance with an attached custom
 * volume holding data is snapshotted with its volume (both snapshots on the server, restored in
 * place together, deleted together and nothing else), exported with it (both objects checked by
 * an independent S3 client, SHA-256 against the status and the manifests), and restored on the
 * second server with its volume byte for byte; a second restore there, where the volume's name
 * is taken, imports it under a new name, re-points the device and leaves the existing volume alone.
 */
@Tag("lxd")
class AttachedVolumesIncludeLxdTest {
    static final Duration T = Duration.ofMinutes(4);
    static final String BUCKET = "attached";
    static final String PREFIX = "att/";
    static LxdRig rig;
    static S3Server s3;
    static OperatorHarness op;
    static KubernetesClient kube;
    static LxdClient a;
    static LxdClient b;
    static IndependentS3Client aws;
    static String pool;
    static final List<String> instancesA = new CopyOnWriteArrayList<>();
    static final List<String> instancesB = new CopyOnWriteArrayList<>();
    static final List<String> volumesA = new CopyOnWriteArrayList<>();
    static final List<String> volumesB = new CopyOnWriteArrayList<>();
    static final byte[] DATA = new byte[3 * 1024 * 1024];

    static {
        new Random(23).nextBytes(DATA);
    }

    @BeforeAll
    static void start() throws Exception {
        rig = LxdRig.require();
        a = rig.clientA();
        b = rig.clientB();
        pool = rig.get("storage.pool");
        s3 = S3Server.start();
        try (S3Client raw = s3.rawClient()) {
            raw.createBucket(x -> x.bucket(BUCKET));
        }
        aws = IndependentS3Client.require(s3.endpoint(), Files.createTempDirectory("att-aws"));
        op = new OperatorHarness(Clock.systemUTC(), new GatedStores()).start();
        kube = op.kube();
        Fixtures.remote(kube, rig, "lxd-a", "a", "5m");
        Fixtures.remote(kube, rig, "lxd-b", "b", "5m");
        Fixtures.backupStore(kube, "s3-main", s3, BUCKET, PREFIX);
    }

    @AfterAll
    static void stop() throws Exception {
        if (op != null) {
            op.close();
        }
        if (a != null) {
            LxdRig.deleteQuietly(a, instancesA.toArray(String[]::new));
            LxdRig.deleteQuietly(b, instancesB.toArray(String[]::new));
            rig.deleteVolumesQuietly(a, volumesA.toArray(String[]::new));
            rig.deleteVolumesQuietly(b, volumesB.toArray(String[]::new));
            a.close();
            b.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    static <T extends HasMetadata> T create(T r) {
        r.getMetadata().setNamespace(Fixtures.NS);
        return kube.resource(r).create();
    }

    static <T extends HasMetadata> T awaitFor(Class<T> kind, String name, Predicate<T> p) {
        await().atMost(T).pollInterval(Duration.ofMillis(300)).until(() -> {
            T r = kube.resources(kind).inNamespace(Fixtures.NS).withName(name).get();
            return r != null && p.test(r);
        });
        return kube.resources(kind).inNamespace(Fixtures.NS).withName(name).get();
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

    static InstanceRestore restoreOnB(String name, String instance, String export) {
        InstanceRestore r = new InstanceRestore();
        r.getMetadata().setName(name);
        InstanceRestoreSpec rs = new InstanceRestoreSpec();
        rs.setRemoteRef(new ObjectRef("lxd-b"));
        rs.setInstance(instance);
        RestoreSource src = new RestoreSource();
        src.setExportRef(new ObjectRef(export));
        rs.setSource(src);
        r.setSpec(rs);
        create(r);
        return awaitFor(
                InstanceRestore.class,
                name,
                x -> x.getStatus() != null && x.getStatus().getPhase() == InstanceRestorePhase.COMPLETED);
    }

    @Test
    void snapshotAndExportIncludeTheAttachedVolumeAndRestoreItWithTheInstance() throws Exception {
        String vol = rig.createVolume(a, "av");
        volumesA.add(vol);
        Path dirA = rig.volumeDir("a", pool, vol);
        Files.write(dirA.resolve("data.bin"), DATA);
        Files.writeString(dirA.resolve("note.txt"), "original");
        String inst = rig.createInstance(a, "av-i");
        instancesA.add(inst);
        rig.lxc("a", "storage", "volume", "attach", pool, vol, inst, "data", "/mnt/data");
        LxdTarget volA = LxdTarget.volume(pool, vol);
        // a snapshot of the volume the operator did not make, to be left alone
        a.waitFor(a.createSnapshot(volA, LxdClient.SnapshotRequest.named("keep")), T);

        // ---- snapshot with the volume
        InstanceSnapshot snap = new InstanceSnapshot();
        snap.getMetadata().setName("av-snap");
        InstanceSnapshotSpec ss = new InstanceSnapshotSpec();
        ss.setRemoteRef(new ObjectRef("lxd-a"));
        ss.setInstance(inst);
        ss.setSnapshotName("keep"); // taken on the volume already: its snapshot gets another name
        ss.setAttachedVolumes(AttachedVolumesMode.INCLUDE);
        ss.setDeletionPolicy(DeletionPolicy.DELETE);
        snap.setSpec(ss);
        create(snap);
        snap = awaitFor(
                InstanceSnapshot.class,
                "av-snap",
                s -> s.getStatus() != null && s.getStatus().getPhase() == InstanceSnapshotPhase.READY);
        assertThat(a.snapshotExists(inst, "keep")).isTrue();
        assertThat(snap.getStatus().getVolumes()).hasSize(1);
        IncludedVolume sv = snap.getStatus().getVolumes().get(0);
        assertThat(sv.getDevice()).isEqualTo("data");
        assertThat(sv.getPool()).isEqualTo(pool);
        assertThat(sv.getName()).isEqualTo(vol);
        assertThat(sv.getSnapshotName()).isEqualTo("keep-2");
        assertThat(sv.getDone()).isTrue();
        assertThat(a.listSnapshots(volA)).extracting(Snapshot::name).containsExactlyInAnyOrder("keep", "keep-2");
        assertThat(snap.getStatus().getVolumesNotIncluded()).isNull();
        Condition vc =
                snap.getStatus().findCondition(VolumesNotIncluded.CONDITION).orElseThrow();
        assertThat(vc.getStatus()).isEqualTo(Condition.FALSE);
        assertThat(vc.getReason()).isEqualTo(Reasons.VOLUMES_INCLUDED);

        // ---- restore in place: the volume comes back with the instance
        Files.writeString(dirA.resolve("note.txt"), "changed after the snapshot");
        InstanceRestore back = new InstanceRestore();
        back.getMetadata().setName("av-back");
        InstanceRestoreSpec rs = new InstanceRestoreSpec();
        rs.setRemoteRef(new ObjectRef("lxd-a"));
        rs.setInstance(inst);
        RestoreSource src = new RestoreSource();
        src.setSnapshotRef(new ObjectRef("av-snap"));
        rs.setSource(src);
        back.setSpec(rs);
        create(back);
        awaitFor(
                InstanceRestore.class,
                "av-back",
                r -> r.getStatus() != null && r.getStatus().getPhase() == InstanceRestorePhase.COMPLETED);
        assertThat(Files.readString(dirA.resolve("note.txt"))).isEqualTo("original");
        assertThat(Files.readAllBytes(dirA.resolve("data.bin"))).isEqualTo(DATA);

        // ---- deletion removes both snapshots it made, and only those
        kube.resources(InstanceSnapshot.class)
                .inNamespace(Fixtures.NS)
                .withName("av-snap")
                .delete();
        await().atMost(T).until(() -> !a.snapshotExists(inst, "keep"));
        await().atMost(T).until(() -> !a.snapshotExists(volA, "keep-2"));
        assertThat(a.listSnapshots(volA)).extracting(Snapshot::name).containsExactly("keep");

        // ---- export with the volume
        InstanceExport exp = new InstanceExport();
        exp.getMetadata().setName("av-exp");
        InstanceExportSpec es = new InstanceExportSpec();
        es.setRemoteRef(new ObjectRef("lxd-a"));
        es.setInstance(inst);
        es.setStoreRef(new ObjectRef("s3-main"));
        es.setAttachedVolumes(AttachedVolumesMode.INCLUDE);
        es.setDeletionPolicy(DeletionPolicy.DELETE);
        exp.setSpec(es);
        create(exp);
        exp = awaitFor(
                InstanceExport.class,
                "av-exp",
                e -> e.getStatus() != null && e.getStatus().getPhase() == InstanceExportPhase.COMPLETED);
        String key = exp.getStatus().getObject().getKey();
        assertThat(exp.getStatus().getVolumes()).hasSize(1);
        IncludedVolume ev = exp.getStatus().getVolumes().get(0);
        String volKey = ev.getKey();
        assertThat(volKey).startsWith(PREFIX + Fixtures.NS + "/lxd-a/default/" + inst + "/av-exp.volume-data.tar");
        assertThat(sha256(key)).isEqualTo(exp.getStatus().getObject().getSha256());
        assertThat(sha256(volKey)).isEqualTo(ev.getSha256());
        assertThat(aws.head(BUCKET, volKey).orElseThrow().size()).isEqualTo(ev.getSize());
        JsonNode manifest = new ObjectMapper().readTree(aws.readAll(BUCKET, key + ".json"));
        assertThat(manifest.path("volumes")).hasSize(1);
        JsonNode mv = manifest.path("volumes").get(0);
        assertThat(mv.path("device").asText()).isEqualTo("data");
        assertThat(mv.path("name").asText()).isEqualTo(vol);
        assertThat(mv.path("key").asText()).isEqualTo(volKey);
        assertThat(mv.path("sha256").asText()).isEqualTo(ev.getSha256());
        JsonNode volManifest = new ObjectMapper().readTree(aws.readAll(BUCKET, volKey + ".json"));
        assertThat(volManifest.path("volume").path("name").asText()).isEqualTo(vol);
        assertThat(volManifest.path("sha256").asText()).isEqualTo(ev.getSha256());
        Condition ec =
                exp.getStatus().findCondition(VolumesNotIncluded.CONDITION).orElseThrow();
        assertThat(ec.getStatus()).isEqualTo(Condition.FALSE);
        assertThat(ec.getReason()).isEqualTo(Reasons.VOLUMES_INCLUDED);
        assertThat(a.listBackups(volA)).as("LXD-side volume backup removed").isEmpty();

        // ---- restore on the second server: instance and volume, byte for byte
        String restored = LxdRig.uniqueName("avr");
        instancesB.add(restored);
        volumesB.add(vol);
        InstanceRestore r1 = restoreOnB("av-r1", restored, "av-exp");
        assertThat(r1.getStatus().getVolumes()).hasSize(1);
        assertThat(r1.getStatus().getVolumes().get(0).getRestoredName()).isEqualTo(vol);
        Path dirB = rig.volumeDir("b", pool, vol);
        assertThat(Files.readAllBytes(dirB.resolve("data.bin"))).isEqualTo(DATA);
        assertThat(Files.readString(dirB.resolve("note.txt"))).isEqualTo("original");
        assertThat(b.getInstance(restored).devices().get("data"))
                .containsEntry("source", vol)
                .containsEntry("pool", pool);

        // ---- a second restore there: the volume name is taken, so a new one, and the device follows
        Files.writeString(dirB.resolve("note.txt"), "belongs to the first restore");
        String second = LxdRig.uniqueName("avs");
        instancesB.add(second);
        InstanceRestore r2 = restoreOnB("av-r2", second, "av-exp");
        String renamed = r2.getStatus().getVolumes().get(0).getRestoredName();
        volumesB.add(renamed);
        assertThat(renamed).startsWith(vol + "-").isNotEqualTo(vol);
        assertThat(b.getInstance(second).devices().get("data")).containsEntry("source", renamed);
        assertThat(Files.readAllBytes(rig.volumeDir("b", pool, renamed).resolve("data.bin")))
                .isEqualTo(DATA);
        assertThat(Files.readString(dirB.resolve("note.txt"))).isEqualTo("belongs to the first restore");
        assertThat(b.getInstance(restored).devices().get("data")).containsEntry("source", vol);

        // ---- deleting the export (deletionPolicy: Delete) removes both objects and manifests
        kube.resources(InstanceRestore.class).inNamespace(Fixtures.NS).delete();
        kube.resources(InstanceExport.class)
                .inNamespace(Fixtures.NS)
                .withName("av-exp")
                .delete();
        await().atMost(T)
                .until(() -> aws.head(BUCKET, volKey).isEmpty()
                        && aws.head(BUCKET, volKey + ".json").isEmpty()
                        && aws.head(BUCKET, key).isEmpty());
    }
}
