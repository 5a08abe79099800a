package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.AttachedVolume;
import io.lxdbackup.operator.api.v1alpha1.Condition;
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
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.api.v1alpha1.RestoreSource;
import io.lxdbackup.operator.api.v1alpha1.SyncKind;
import io.lxdbackup.operator.api.v1alpha1.VolumeRef;
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
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
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
 * Custom storage volumes through the operator, on the real LXD rig with s3proxy: a volume with
 * data, attached to an instance, is snapshotted and restored to the snapshot, exported (checked
 * with an independent S3 client), imported on the second server and copied there with refresh.
 * Volume content is compared byte for byte on the rig's dir pools, outside LXD's API. An
 * instance export with that volume attached reports VolumesNotIncluded.
 */
@Tag("lxd")
class CustomVolumeControllerLxdTest {
    static final Duration T = Duration.ofMinutes(3);
    static final String BUCKET = "volumes";
    static final String PREFIX = "vol/";
    static LxdRig rig;
    static S3Server s3;
    static OperatorHarness op;
    static KubernetesClient kube;
    static LxdClient a;
    static LxdClient b;
    static IndependentS3Client aws;
    static String pool;
    static final List<String> instances = new CopyOnWriteArrayList<>();
    static final List<String> volumesA = new CopyOnWriteArrayList<>();
    static final List<String> volumesB = new CopyOnWriteArrayList<>();
    static final byte[] DATA = new byte[6 * 1024 * 1024];

    static {
        new Random(17).nextBytes(DATA);
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
        aws = IndependentS3Client.require(s3.endpoint(), Files.createTempDirectory("vol-aws"));
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
            LxdRig.deleteQuietly(a, instances.toArray(String[]::new));
            rig.deleteVolumesQuietly(a, volumesA.toArray(String[]::new));
            rig.deleteVolumesQuietly(b, volumesB.toArray(String[]::new));
            a.close();
            b.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    /** A volume on server a holding data.bin and note.txt, attached to a new instance at /mnt/data. */
    static String[] attachedVolumeWithData(String prefix) throws Exception {
        String vol = rig.createVolume(a, prefix);
        volumesA.add(vol);
        Path dir = rig.volumeDir("a", pool, vol);
        Files.write(dir.resolve("data.bin"), DATA);
        Files.writeString(dir.resolve("note.txt"), "original");
        String inst = rig.createInstance(a, prefix + "-i");
        instances.add(inst);
        rig.lxc("a", "storage", "volume", "attach", pool, vol, inst, "data", "/mnt/data");
        return new String[] {vol, inst};
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

    static boolean hasEvent(String name, String kind, String type, String reason) {
        return kube.v1().events().inNamespace(Fixtures.NS).list().getItems().stream()
                .anyMatch(e -> name.equals(e.getInvolvedObject().getName())
                        && kind.equals(e.getInvolvedObject().getKind())
                        && type.equals(e.getType())
                        && reason.equals(e.getReason()));
    }

    @Test
    void volumeIsSnapshottedRestoredExportedImportedAndCopiedWithRefresh() throws Exception {
        String[] made = attachedVolumeWithData("cv");
        String vol = made[0];
        Path dirA = rig.volumeDir("a", pool, vol);

        // snapshot, server-named by the volume's pattern (snap%d), then restore the volume to it
        InstanceSnapshot snap = new InstanceSnapshot();
        snap.getMetadata().setName("cv-snap");
        InstanceSnapshotSpec ss = new InstanceSnapshotSpec();
        ss.setRemoteRef(new ObjectRef("lxd-a"));
        ss.setVolume(new VolumeRef(pool, vol));
        ss.setTtl("48h");
        snap.setSpec(ss);
        create(snap);
        snap = awaitFor(
                InstanceSnapshot.class,
                "cv-snap",
                s -> s.getStatus() != null && s.getStatus().getPhase() == InstanceSnapshotPhase.READY);
        assertThat(snap.getStatus().getSnapshotName()).isEqualTo("snap0");
        Snapshot onServer = a.getSnapshot(LxdTarget.volume(pool, vol), "snap0");
        assertThat(onServer.expiresAt()).isNotNull();

        Files.writeString(dirA.resolve("note.txt"), "changed after the snapshot");
        Files.write(dirA.resolve("data.bin"), new byte[] {1, 2, 3});
        InstanceRestore back = new InstanceRestore();
        back.getMetadata().setName("cv-back");
        InstanceRestoreSpec rs = new InstanceRestoreSpec();
        rs.setRemoteRef(new ObjectRef("lxd-a"));
        rs.setVolume(new VolumeRef(pool, vol));
        RestoreSource src = new RestoreSource();
        src.setSnapshotRef(new ObjectRef("cv-snap"));
        rs.setSource(src);
        back.setSpec(rs);
        create(back);
        awaitFor(
                InstanceRestore.class,
                "cv-back",
                r -> r.getStatus() != null && r.getStatus().getPhase() == InstanceRestorePhase.COMPLETED);
        assertThat(Files.readString(dirA.resolve("note.txt"))).isEqualTo("original");
        assertThat(Files.readAllBytes(dirA.resolve("data.bin"))).isEqualTo(DATA);

        // export to the store, checked by an independent client
        InstanceExport exp = new InstanceExport();
        exp.getMetadata().setName("cv-exp");
        InstanceExportSpec es = new InstanceExportSpec();
        es.setRemoteRef(new ObjectRef("lxd-a"));
        es.setVolume(new VolumeRef(pool, vol));
        es.setStoreRef(new ObjectRef("s3-main"));
        exp.setSpec(es);
        create(exp);
        exp = awaitFor(
                InstanceExport.class,
                "cv-exp",
                e -> e.getStatus() != null && e.getStatus().getPhase() == InstanceExportPhase.COMPLETED);
        String key = exp.getStatus().getObject().getKey();
        assertThat(key)
                .startsWith(PREFIX + Fixtures.NS + "/lxd-a/default/_volumes/" + pool + "/" + vol + "/cv-exp.tar");
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        aws.read(BUCKET, key, in -> {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                d.update(buf, 0, n);
            }
        });
        assertThat(HexFormat.of().formatHex(d.digest()))
                .isEqualTo(exp.getStatus().getObject().getSha256());
        JsonNode manifest = new ObjectMapper().readTree(aws.readAll(BUCKET, key + ".json"));
        assertThat(manifest.path("volume").path("pool").asText()).isEqualTo(pool);
        assertThat(manifest.path("volume").path("name").asText()).isEqualTo(vol);
        assertThat(manifest.path("sha256").asText())
                .isEqualTo(exp.getStatus().getObject().getSha256());
        assertThat(manifest.path("snapshots").toString()).contains("snap0");
        assertThat(a.listBackups(LxdTarget.volume(pool, vol)))
                .as("LXD-side backup removed")
                .isEmpty();

        // import on the second server under a new name, checksum-verified
        String imported = LxdRig.uniqueName("cvimp");
        volumesB.add(imported);
        InstanceRestore imp = new InstanceRestore();
        imp.getMetadata().setName("cv-import");
        InstanceRestoreSpec is = new InstanceRestoreSpec();
        is.setRemoteRef(new ObjectRef("lxd-b"));
        is.setVolume(new VolumeRef(pool, imported));
        RestoreSource fromExport = new RestoreSource();
        fromExport.setExportRef(new ObjectRef("cv-exp"));
        is.setSource(fromExport);
        imp.setSpec(is);
        create(imp);
        imp = awaitFor(
                InstanceRestore.class,
                "cv-import",
                r -> r.getStatus() != null && r.getStatus().getPhase() == InstanceRestorePhase.COMPLETED);
        assertThat(imp.getStatus().getSha256())
                .isEqualTo(exp.getStatus().getObject().getSha256());
        Path dirB = rig.volumeDir("b", pool, imported);
        assertThat(Files.readAllBytes(dirB.resolve("data.bin"))).isEqualTo(DATA);
        assertThat(Files.readString(dirB.resolve("note.txt"))).isEqualTo("original");
        assertThat(b.listSnapshots(LxdTarget.volume(pool, imported)))
                .extracting(Snapshot::name)
                .containsExactly("snap0");

        // copy to the backup server, then refresh after a change on the source
        String copied = LxdRig.uniqueName("cvcopy");
        volumesB.add(copied);
        InstanceCopy copy = new InstanceCopy();
        copy.getMetadata().setName("cv-copy");
        InstanceCopySpec cs = new InstanceCopySpec();
        cs.setSourceRemoteRef(new ObjectRef("lxd-a"));
        cs.setTargetRemoteRef(new ObjectRef("lxd-b"));
        cs.setVolume(new VolumeRef(pool, vol));
        cs.setTargetVolume(new VolumeRef(pool, copied));
        copy.setSpec(cs);
        create(copy);
        copy = awaitFor(
                InstanceCopy.class,
                "cv-copy",
                c -> c.getStatus() != null && c.getStatus().getPhase() == InstanceCopyPhase.SYNCED);
        assertThat(copy.getStatus().getLastSyncKind()).isEqualTo(SyncKind.FULL);
        Path dirCopy = rig.volumeDir("b", pool, copied);
        assertThat(Files.readAllBytes(dirCopy.resolve("data.bin"))).isEqualTo(DATA);

        // another size and a later mtime: LXD's rsync skips a file whose size and whole-second mtime match
        byte[] changed = new byte[DATA.length + 4096];
        new Random(18).nextBytes(changed);
        Files.write(dirA.resolve("data.bin"), changed);
        Files.setLastModifiedTime(
                dirA.resolve("data.bin"), FileTime.from(Instant.now().plusSeconds(5)));
        a.waitFor(a.createSnapshot(LxdTarget.volume(pool, vol), LxdClient.SnapshotRequest.named("after")), T);
        String firstSync = copy.getStatus().getLastSuccessfulSyncTime();
        InstanceCopy again = kube.resources(InstanceCopy.class)
                .inNamespace(Fixtures.NS)
                .withName("cv-copy")
                .get();
        again.getSpec().setStartingDeadlineSeconds(600L); // a new generation copies again: a refresh
        kube.resource(again).update();
        copy = awaitFor(
                InstanceCopy.class,
                "cv-copy",
                c -> c.getStatus() != null
                        && c.getStatus().getPhase() == InstanceCopyPhase.SYNCED
                        && c.getStatus().getLastSyncKind() == SyncKind.INCREMENTAL);
        assertThat(copy.getStatus().getTransferredSnapshots()).containsExactly("after");
        assertThat(Files.readAllBytes(dirCopy.resolve("data.bin"))).isEqualTo(changed);
        assertThat(b.listSnapshots(LxdTarget.volume(pool, copied)))
                .extracting(Snapshot::name)
                .containsExactly("snap0", "after");
        assertThat(firstSync).isNotNull();
    }

    @Test
    void instanceExportReportsTheAttachedVolumeItLeavesOut() throws Exception {
        String[] made = attachedVolumeWithData("cvi");
        InstanceExport exp = new InstanceExport();
        exp.getMetadata().setName("cvi-exp");
        InstanceExportSpec es = new InstanceExportSpec();
        es.setRemoteRef(new ObjectRef("lxd-a"));
        es.setInstance(made[1]);
        es.setStoreRef(new ObjectRef("s3-main"));
        exp.setSpec(es);
        create(exp);
        exp = awaitFor(
                InstanceExport.class,
                "cvi-exp",
                e -> e.getStatus() != null && e.getStatus().getPhase() == InstanceExportPhase.COMPLETED);
        assertThat(exp.getStatus().getVolumesNotIncluded())
                .extracting(
                        AttachedVolume::getDevice,
                        AttachedVolume::getPool,
                        AttachedVolume::getName,
                        AttachedVolume::getPath)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("data", pool, made[0], "/mnt/data"));
        Condition c =
                exp.getStatus().findCondition(VolumesNotIncluded.CONDITION).orElseThrow();
        assertThat(c.getStatus()).isEqualTo(Condition.TRUE);
        assertThat(c.getReason()).isEqualTo(Reasons.VOLUMES_NOT_INCLUDED);
        assertThat(c.getMessage()).contains(pool + "/" + made[0]).contains("spec.volume");
        await().atMost(T).until(() -> hasEvent("cvi-exp", "InstanceExport", "Warning", Reasons.VOLUMES_NOT_INCLUDED));
        assertThat(exp.getStatus()
                        .findCondition(Condition.COMPLETE)
                        .orElseThrow()
                        .getStatus())
                .isEqualTo(Condition.TRUE);

        // an instance without attached volumes says so
        String plain = rig.createInstance(a, "cvp");
        instances.add(plain);
        InstanceSnapshot snap = new InstanceSnapshot();
        snap.getMetadata().setName("cvp-snap");
        InstanceSnapshotSpec ss = new InstanceSnapshotSpec();
        ss.setRemoteRef(new ObjectRef("lxd-a"));
        ss.setInstance(plain);
        snap.setSpec(ss);
        create(snap);
        snap = awaitFor(
                InstanceSnapshot.class,
                "cvp-snap",
                s -> s.getStatus() != null && s.getStatus().getPhase() == InstanceSnapshotPhase.READY);
        assertThat(snap.getStatus().getVolumesNotIncluded()).isNull();
        assertThat(snap.getStatus()
                        .findCondition(VolumesNotIncluded.CONDITION)
                        .orElseThrow()
                        .getReason())
                .isEqualTo(Reasons.NO_VOLUMES_LEFT_OUT);
    }
}
