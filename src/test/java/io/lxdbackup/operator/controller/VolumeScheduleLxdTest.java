package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.BackupsOnDeletion;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.ExportSchedule;
import io.lxdbackup.operator.api.v1alpha1.ExportScheduleSpec;
import io.lxdbackup.operator.api.v1alpha1.ExportTemplate;
import io.lxdbackup.operator.api.v1alpha1.InstanceCopy;
import io.lxdbackup.operator.api.v1alpha1.InstanceCopyPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceCopySpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceExport;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceRunStatus;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshot;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotPhase;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.api.v1alpha1.RetentionSpec;
import io.lxdbackup.operator.api.v1alpha1.RunResult;
import io.lxdbackup.operator.api.v1alpha1.SchedulePhase;
import io.lxdbackup.operator.api.v1alpha1.SnapshotSchedule;
import io.lxdbackup.operator.api.v1alpha1.SnapshotScheduleMode;
import io.lxdbackup.operator.api.v1alpha1.SnapshotScheduleSpec;
import io.lxdbackup.operator.api.v1alpha1.SyncKind;
import io.lxdbackup.operator.api.v1alpha1.VolumeRef;
import io.lxdbackup.operator.api.v1alpha1.VolumeSelector;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.lxd.LxdTarget;
import io.lxdbackup.operator.lxd.Snapshot;
import io.lxdbackup.operator.testing.Fixtures;
import io.lxdbackup.operator.testing.IndependentS3Client;
import io.lxdbackup.operator.testing.LxdRig;
import io.lxdbackup.operator.testing.OperatorHarness;
import io.lxdbackup.operator.testing.S3Server;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Schedules of custom storage volumes on the real LXD rig and s3proxy: SnapshotSchedule (operator
 * mode on the test's clock, and server mode, where LXD's own scheduler takes the snapshots),
 * ExportSchedule (the object checked with an independent S3 client), and a scheduled volume
 * InstanceCopy.
 */
@Tag("lxd")
class VolumeScheduleLxdTest {
    static final Duration T = Duration.ofSeconds(90);
    static final String BUCKET = "volsched";
    static final String PREFIX = "vs/";
    static LxdRig rig;
    static OffsetClock clock = new OffsetClock();
    static OperatorHarness op;
    static KubernetesClient kube;
    static LxdClient a;
    static LxdClient b;
    static S3Server s3;
    static IndependentS3Client aws;
    static String pool;
    static final List<String> volumesA = new CopyOnWriteArrayList<>();
    static final List<String> volumesB = new CopyOnWriteArrayList<>();

    /** The system clock moved by an offset the test sets: the operator's "now". */
    static final class OffsetClock extends Clock {
        volatile Duration offset = Duration.ZERO;

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.now().plus(offset);
        }

        /** Makes "now" the given time (it runs on from there). */
        void set(Instant t) {
            offset = Duration.between(Instant.now(), t);
        }

        void advance(Duration d) {
            offset = offset.plus(d);
        }
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
        aws = IndependentS3Client.require(s3.endpoint(), Files.createTempDirectory("volsched-aws"));
        op = new OperatorHarness(clock, Duration.ofSeconds(1)).start();
        kube = op.kube();
        Fixtures.remote(kube, rig, "lxd-a", "a", "5m");
        Fixtures.remote(kube, rig, "lxd-b", "b", "5m");
        Fixtures.backupStore(kube, "s3-main", s3, BUCKET, PREFIX);
    }

    /**
     * Each test starts with the clock just after the start of the current real hour: earlier
     * than the schedules it creates (whose creation time is real time), so nothing is due until
     * the test moves the clock.
     */
    @BeforeEach
    void resetClock() {
        clock.set(Instant.now().truncatedTo(ChronoUnit.HOURS).plusSeconds(60));
    }

    @AfterAll
    static void stop() throws Exception {
        if (op != null) {
            op.close();
        }
        if (a != null) {
            rig.deleteVolumesQuietly(a, volumesA.toArray(String[]::new));
            rig.deleteVolumesQuietly(b, volumesB.toArray(String[]::new));
            a.close();
            b.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    static String volume(String prefix, Map<String, String> config) {
        String v = rig.createVolume(a, prefix);
        volumesA.add(v);
        if (config != null) {
            a.updateVolumeConfig(pool, v, config, null);
        }
        return v;
    }

    static <R extends HasMetadata> R get(Class<R> kind, String name) {
        return kube.resources(kind).inNamespace(Fixtures.NS).withName(name).get();
    }

    static <R extends HasMetadata> R awaitFor(Class<R> kind, String name, Predicate<R> p) {
        await().atMost(T).pollInterval(Duration.ofMillis(250)).until(() -> {
            R r = get(kind, name);
            return r != null && p.test(r);
        });
        return get(kind, name);
    }

    static <R extends HasMetadata> List<R> children(Class<R> kind, String schedule) {
        return kube.resources(kind)
                .inNamespace(Fixtures.NS)
                .withLabel(ScheduleReconcilerBase.LABEL_SCHEDULE, schedule)
                .list()
                .getItems();
    }

    static SnapshotSchedule snapshotSchedule(String name, String cron) {
        SnapshotSchedule s = new SnapshotSchedule();
        s.getMetadata().setName(name);
        s.getMetadata().setNamespace(Fixtures.NS);
        SnapshotScheduleSpec spec = new SnapshotScheduleSpec();
        spec.setRemoteRef(new ObjectRef("lxd-a"));
        spec.setSchedule(cron);
        s.setSpec(spec);
        return s;
    }

    static Condition ready(HasMetadata r) {
        var status = r instanceof SnapshotSchedule s ? s.getStatus() : ((ExportSchedule) r).getStatus();
        return status.findCondition(Condition.READY).orElseThrow();
    }

    static List<String> snapshotNames(String volume) {
        return a.listSnapshots(LxdTarget.volume(pool, volume)).stream()
                .map(Snapshot::name)
                .toList();
    }

    /** The name of the newest child of a volume. */
    static String mineNewest(String volume) {
        return children(InstanceSnapshot.class, "vol-hourly").stream()
                .filter(c -> new VolumeRef(pool, volume).equals(c.getSpec().getVolume()))
                .map(c -> c.getMetadata().getName())
                .max(java.util.Comparator.comparing(n -> n.substring(n.length() - 12)))
                .orElseThrow();
    }

    static void delete(HasMetadata r) {
        kube.resource(r).delete();
        await().atMost(T).until(() -> get(r.getClass(), r.getMetadata().getName()) == null);
    }

    @Test
    void operatorModeSnapshotsEachSelectedVolumeOnItsCronAndRetentionPrunesPerVolume() {
        String named = volume("vss-n", null);
        String tagged = volume("vss-t", Map.of("user.backup", "true"));
        volume("vss-u", null); // matches the name pattern, not the config
        SnapshotSchedule s = snapshotSchedule("vol-hourly", "@hourly");
        s.getSpec().setVolumes(List.of(new VolumeRef(pool, named), new VolumeRef(pool, "no-such-volume")));
        VolumeSelector sel = new VolumeSelector();
        sel.setPool(pool);
        sel.setNamePattern("vss-*");
        sel.setMatchConfig(Map.of("user.backup", "true"));
        s.getSpec().setVolumeSelector(sel);
        RetentionSpec keep = new RetentionSpec();
        keep.setKeepLast(2);
        s.getSpec().setRetention(keep);
        s.getSpec().setBackupsOnDeletion(BackupsOnDeletion.DELETE);
        kube.resource(s).create();
        awaitFor(
                SnapshotSchedule.class,
                "vol-hourly",
                x -> x.getStatus() != null && x.getStatus().getPhase() == SchedulePhase.ACTIVE);
        assertThat(children(InstanceSnapshot.class, "vol-hourly")).isEmpty();

        for (int run = 1; run <= 3; run++) {
            clock.advance(Duration.ofHours(1));
            String due = clock.instant().truncatedTo(ChronoUnit.HOURS).toString();
            awaitFor(
                    SnapshotSchedule.class,
                    "vol-hourly",
                    x -> x.getStatus() != null && due.equals(x.getStatus().getLastScheduleTime()));
            int n = Math.min(run, 2) * 2;
            // after run 3, retention (keepLast 2) removes run 1's child of each volume
            await().atMost(T).pollInterval(Duration.ofMillis(250)).until(() -> {
                List<InstanceSnapshot> c = children(InstanceSnapshot.class, "vol-hourly");
                return c.size() == n
                        && c.stream()
                                .allMatch(x -> x.getStatus() != null
                                        && x.getStatus().getPhase() == InstanceSnapshotPhase.READY);
            });
        }
        for (String v : List.of(named, tagged)) {
            List<InstanceSnapshot> mine = children(InstanceSnapshot.class, "vol-hourly").stream()
                    .filter(c -> new VolumeRef(pool, v).equals(c.getSpec().getVolume()))
                    .toList();
            assertThat(mine).hasSize(2).allSatisfy(c -> {
                assertThat(c.getSpec().getInstance()).isNull();
                assertThat(c.getMetadata().getLabels())
                        .containsEntry(ScheduleReconcilerBase.LABEL_VOLUME, v)
                        .containsEntry(ScheduleReconcilerBase.LABEL_POOL, pool)
                        .doesNotContainKey(ScheduleReconcilerBase.LABEL_INSTANCE);
                assertThat(c.getMetadata().getName()).startsWith("vol-hourly-" + pool + "-" + v + "-");
            });
            // LXD holds exactly the two kept snapshots of the volume: run 1's was deleted
            await().atMost(T).until(() -> snapshotNames(v).size() == 2);
            assertThat(snapshotNames(v))
                    .containsExactlyInAnyOrderElementsOf(mine.stream()
                            .map(c -> c.getStatus().getSnapshotName())
                            .toList());
        }
        SnapshotSchedule after = awaitFor(
                SnapshotSchedule.class,
                "vol-hourly",
                x -> x.getStatus()
                                .findVolume(pool, named)
                                .map(r -> r.getLastResult() == RunResult.SUCCEEDED)
                                .orElse(false)
                        && x.getStatus()
                                .findVolume(pool, tagged)
                                .map(r -> r.getLastResult() == RunResult.SUCCEEDED)
                                .orElse(false));
        assertThat(after.getStatus().getInstances()).isNull();
        InstanceRunStatus runOfNamed = after.getStatus().findVolume(pool, named).orElseThrow();
        assertThat(runOfNamed.getLastSnapshot()).startsWith("vol-hourly-");
        assertThat(runOfNamed.getLastSnapshot()).isEqualTo(mineNewest(named));
        // the volume that does not exist is reported per target, as a missing instance is
        assertThat(after.getStatus().findVolume(pool, "no-such-volume").orElseThrow())
                .satisfies(r -> {
                    assertThat(r.getLastResult()).isEqualTo(RunResult.FAILED);
                    assertThat(r.getMessage()).contains("no-such-volume does not exist");
                });
        assertThat(after.getStatus().getVolumes()).hasSize(3);

        // backupsOnDeletion: Delete: the volumes' children carry the ownerReference garbage
        // collection follows (the in-memory API server has none: deleted here as it would), and
        // each takes its LXD snapshot with it
        assertThat(children(InstanceSnapshot.class, "vol-hourly"))
                .allSatisfy(c -> assertThat(c.getMetadata().getOwnerReferences())
                        .singleElement()
                        .satisfies(o -> assertThat(o.getUid())
                                .isEqualTo(after.getMetadata().getUid())));
        delete(after);
        children(InstanceSnapshot.class, "vol-hourly")
                .forEach(c -> kube.resource(c).delete());
        await().atMost(T)
                .until(() -> children(InstanceSnapshot.class, "vol-hourly").isEmpty());
        await().atMost(T)
                .until(() ->
                        snapshotNames(named).isEmpty() && snapshotNames(tagged).isEmpty());
    }

    @Test
    void anEmptyPoolIsAnInvalidSpec() {
        SnapshotSchedule s = snapshotSchedule("vol-bad", "@hourly");
        s.getSpec().setVolumeSelector(new VolumeSelector());
        // the CRD requires the pool; the operator says the same to a client that skips validation
        s.getSpec().getVolumeSelector().setPool(" ");
        kube.resource(s).create();
        SnapshotSchedule bad = awaitFor(
                SnapshotSchedule.class,
                "vol-bad",
                x -> x.getStatus() != null && x.getStatus().getPhase() == SchedulePhase.INVALID);
        assertThat(ready(bad).getReason()).isEqualTo(Reasons.INVALID_SPEC);
        assertThat(ready(bad).getMessage()).contains("spec.volumeSelector.pool is required");
        delete(bad);
    }

    @Test
    void serverModeWritesTheKeysOnTheVolumeLxdSnapshotsItAndDeletionRemovesThem() {
        String vol = volume("vss-srv", null);
        String foreign = volume("vss-own", Map.of("snapshots.schedule", "@daily"));
        SnapshotSchedule s = snapshotSchedule("vol-server", "* * * * *");
        s.getSpec().setMode(SnapshotScheduleMode.SERVER);
        s.getSpec().setExpiry("1h");
        s.getSpec().setSnapshotNamePattern("vs-%d");
        s.getSpec().setVolumes(List.of(new VolumeRef(pool, vol)));
        kube.resource(s).create();
        SnapshotSchedule configured = awaitFor(
                SnapshotSchedule.class,
                "vol-server",
                x -> x.getStatus() != null
                        && x.getStatus()
                                .findCondition(Condition.READY)
                                .map(c -> "ServerConfigured".equals(c.getReason()))
                                .orElse(false));
        assertThat(configured.getStatus().getConfiguredVolumes()).containsExactly(pool + "/" + vol);
        assertThat(ready(configured).getMessage()).contains("1 volume(s)");
        assertThat(a.getVolume(pool, vol).config())
                .containsEntry("snapshots.schedule", "* * * * *")
                .containsEntry("snapshots.expiry", "1H")
                .containsEntry("snapshots.pattern", "vs-%d")
                .containsEntry(
                        ServerScheduleKeys.MARKER, configured.getMetadata().getUid())
                .doesNotContainKey("snapshots.schedule.stopped");

        // a hand edit is put back and reported
        a.updateVolumeConfig(pool, vol, Map.of("snapshots.expiry", "2H"), null);
        SnapshotSchedule edit = get(SnapshotSchedule.class, "vol-server");
        edit.getSpec().setStartingDeadlineSeconds(600L); // a spec change reconciles now
        kube.resource(edit).update();
        SnapshotSchedule drifted = awaitFor(
                SnapshotSchedule.class, "vol-server", x -> x.getStatus().getDrift() != null);
        assertThat(drifted.getStatus().getDrift()).contains(pool + "/" + vol + "/snapshots.expiry=2H");
        assertThat(a.getVolume(pool, vol).config()).containsEntry("snapshots.expiry", "1H");

        // another schedule selecting the same volume, and a volume with keys of its own: left alone
        SnapshotSchedule other = snapshotSchedule("vol-server-2", "0 6 * * *");
        other.getSpec().setMode(SnapshotScheduleMode.SERVER);
        other.getSpec().setVolumes(List.of(new VolumeRef(pool, vol), new VolumeRef(pool, foreign)));
        kube.resource(other).create();
        SnapshotSchedule conflict = awaitFor(
                SnapshotSchedule.class,
                "vol-server-2",
                x -> x.getStatus() != null
                        && x.getStatus()
                                .findCondition(Condition.READY)
                                .map(c -> Reasons.CONFLICT.equals(c.getReason()))
                                .orElse(false));
        assertThat(ready(conflict).getMessage())
                .contains(pool + "/" + vol + ": its snapshots.* keys belong to SnapshotSchedule " + Fixtures.NS
                        + "/vol-server")
                .contains(pool + "/" + foreign + ": keys set by someone else (snapshots.schedule)");
        assertThat(conflict.getStatus().getConfiguredVolumes()).isNull();
        assertThat(conflict.getStatus().getVolumes())
                .extracting(InstanceRunStatus::getName)
                .containsExactlyInAnyOrder(vol, foreign);
        assertThat(a.getVolume(pool, foreign).config())
                .containsEntry("snapshots.schedule", "@daily")
                .doesNotContainKey(ServerScheduleKeys.MARKER);
        assertThat(a.getVolume(pool, vol).config()).containsEntry("snapshots.schedule", "* * * * *");
        delete(conflict);
        assertThat(a.getVolume(pool, vol).config()).containsEntry("snapshots.schedule", "* * * * *");

        // LXD's own scheduler (each minute) snapshots the volume by the keys
        await().atMost(Duration.ofSeconds(150))
                .pollInterval(Duration.ofSeconds(2))
                .until(() -> snapshotNames(vol).contains("vs-0"));
        assertThat(a.getSnapshot(LxdTarget.volume(pool, vol), "vs-0").expiresAt())
                .isNotNull();

        // deleting the schedule removes what it wrote, and only that
        delete(get(SnapshotSchedule.class, "vol-server"));
        assertThat(a.getVolume(pool, vol).config())
                .doesNotContainKeys(
                        "snapshots.schedule",
                        "snapshots.expiry",
                        "snapshots.pattern",
                        ServerScheduleKeys.MARKER,
                        ServerScheduleKeys.MARKER_NAME);
        assertThat(a.getVolume(pool, foreign).config()).containsEntry("snapshots.schedule", "@daily");
    }

    @Test
    void exportScheduleExportsTheVolumeToTheStore() throws Exception {
        String vol = volume("vse", null);
        Files.writeString(rig.volumeDir("a", pool, vol).resolve("note.txt"), "exported by the schedule");
        ExportSchedule s = new ExportSchedule();
        s.getMetadata().setName("vol-export");
        s.getMetadata().setNamespace(Fixtures.NS);
        ExportScheduleSpec spec = new ExportScheduleSpec();
        spec.setRemoteRef(new ObjectRef("lxd-a"));
        spec.setSchedule("@hourly");
        spec.setVolumes(List.of(new VolumeRef(pool, vol)));
        ExportTemplate t = new ExportTemplate();
        t.setStoreRef(new ObjectRef("s3-main"));
        spec.setExportTemplate(t);
        s.setSpec(spec);
        kube.resource(s).create();
        awaitFor(
                ExportSchedule.class,
                "vol-export",
                x -> x.getStatus() != null && x.getStatus().getPhase() == SchedulePhase.ACTIVE);
        clock.advance(Duration.ofHours(1));
        await().atMost(Duration.ofMinutes(3))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    List<InstanceExport> c = children(InstanceExport.class, "vol-export");
                    return c.size() == 1
                            && c.get(0).getStatus() != null
                            && c.get(0).getStatus().getPhase() == InstanceExportPhase.COMPLETED;
                });
        InstanceExport exp = children(InstanceExport.class, "vol-export").get(0);
        assertThat(exp.getSpec().getVolume()).isEqualTo(new VolumeRef(pool, vol));
        String key = exp.getStatus().getObject().getKey();
        assertThat(key).startsWith(PREFIX + Fixtures.NS + "/lxd-a/default/_volumes/" + pool + "/" + vol + "/");
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        aws.read(BUCKET, key, in -> {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                d.update(buf, 0, n);
            }
        });
        assertThat(HexFormat.of().formatHex(d.digest()))
                .isEqualTo(exp.getStatus().getObject().getSha256());
        ExportSchedule after = awaitFor(
                ExportSchedule.class,
                "vol-export",
                x -> x.getStatus()
                        .findVolume(pool, vol)
                        .map(r -> r.getLastResult() == RunResult.SUCCEEDED)
                        .orElse(false));
        assertThat(after.getStatus().findVolume(pool, vol).orElseThrow().getLastObject())
                .isEqualTo(key);
        assertThat(after.getStatus().getLastSuccessfulTime())
                .isEqualTo(after.getStatus().getLastScheduleTime());
        delete(after);
    }

    @Test
    void aScheduledVolumeCopyRefreshesTheTargetAtTheCronTime() throws Exception {
        String vol = volume("vsc", null);
        String target = LxdRig.uniqueName("vsc-copy");
        volumesB.add(target);
        java.nio.file.Path dir = rig.volumeDir("a", pool, vol);
        Files.writeString(dir.resolve("note.txt"), "first");
        a.waitFor(a.createSnapshot(LxdTarget.volume(pool, vol), LxdClient.SnapshotRequest.named("s1")), T);
        // "now" 20 s before the top of an hour
        Instant fire = Instant.now().truncatedTo(ChronoUnit.HOURS).plus(Duration.ofHours(1));
        clock.set(fire.minusSeconds(20));
        InstanceCopy c = new InstanceCopy();
        c.getMetadata().setName("vol-copy");
        c.getMetadata().setNamespace(Fixtures.NS);
        InstanceCopySpec cs = new InstanceCopySpec();
        cs.setSourceRemoteRef(new ObjectRef("lxd-a"));
        cs.setTargetRemoteRef(new ObjectRef("lxd-b"));
        cs.setVolume(new VolumeRef(pool, vol));
        cs.setTargetVolume(new VolumeRef(pool, target));
        cs.setSchedule("@hourly");
        c.setSpec(cs);
        kube.resource(c).create();
        // the first copy does not wait for the schedule
        InstanceCopy first = awaitFor(
                InstanceCopy.class,
                "vol-copy",
                x -> x.getStatus() != null && x.getStatus().getPhase() == InstanceCopyPhase.SYNCED);
        assertThat(first.getStatus().getNextSyncTime()).isEqualTo(fire.toString());
        assertThat(Files.readString(rig.volumeDir("b", pool, target).resolve("note.txt")))
                .isEqualTo("first");

        Files.writeString(dir.resolve("note.txt"), "second, longer");
        Files.setLastModifiedTime(
                dir.resolve("note.txt"), FileTime.from(Instant.now().plusSeconds(5)));
        a.waitFor(a.createSnapshot(LxdTarget.volume(pool, vol), LxdClient.SnapshotRequest.named("s2")), T);
        InstanceCopy fired = awaitFor(
                InstanceCopy.class,
                "vol-copy",
                x -> x.getStatus() != null
                        && x.getStatus().getPhase() == InstanceCopyPhase.SYNCED
                        && fire.toString().equals(x.getStatus().getLastScheduleTime()));
        assertThat(fired.getStatus().getLastSyncKind()).isEqualTo(SyncKind.INCREMENTAL);
        assertThat(fired.getStatus().getTransferredSnapshots()).containsExactly("s2");
        assertThat(fired.getStatus().getNextSyncTime())
                .isEqualTo(fire.plus(Duration.ofHours(1)).toString());
        assertThat(Files.readString(rig.volumeDir("b", pool, target).resolve("note.txt")))
                .isEqualTo("second, longer");
        delete(fired);
    }
}
