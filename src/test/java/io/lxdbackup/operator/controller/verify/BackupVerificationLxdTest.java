package io.lxdbackup.operator.controller.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.AccessMode;
import io.lxdbackup.operator.api.v1alpha1.AttachedVolumesMode;
import io.lxdbackup.operator.api.v1alpha1.BackupVerification;
import io.lxdbackup.operator.api.v1alpha1.BackupVerificationPhase;
import io.lxdbackup.operator.api.v1alpha1.BackupVerificationSpec;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.DrillStatus;
import io.lxdbackup.operator.api.v1alpha1.ExportSchedule;
import io.lxdbackup.operator.api.v1alpha1.ExportScheduleSpec;
import io.lxdbackup.operator.api.v1alpha1.ExportTemplate;
import io.lxdbackup.operator.api.v1alpha1.IncludedVolume;
import io.lxdbackup.operator.api.v1alpha1.InstanceExport;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportSpec;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.api.v1alpha1.RestoreDrillSpec;
import io.lxdbackup.operator.api.v1alpha1.RetentionSpec;
import io.lxdbackup.operator.api.v1alpha1.VerificationLevel;
import io.lxdbackup.operator.api.v1alpha1.VerificationResult;
import io.lxdbackup.operator.api.v1alpha1.VerificationSelector;
import io.lxdbackup.operator.api.v1alpha1.VerifiedExport;
import io.lxdbackup.operator.api.v1alpha1.VolumeRef;
import io.lxdbackup.operator.controller.ScheduleReconcilerBase;
import io.lxdbackup.operator.lxd.Instance;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.testing.Fixtures;
import io.lxdbackup.operator.testing.GatedStores;
import io.lxdbackup.operator.testing.IndependentS3Client;
import io.lxdbackup.operator.testing.LxdRig;
import io.lxdbackup.operator.testing.MutableClock;
import io.lxdbackup.operator.testing.OperatorHarness;
import io.lxdbackup.operator.testing.S3Implementation;
import io.lxdbackup.operator.testing.S3Server;
import io.lxdbackup.operator.testing.S3TestServer;
import io.lxdbackup.operator.verify.DrillNames;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
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

/**
 * BackupVerification through the operator as deployed, against the LXD rig (exports made on
 * daemon A, drills imported on daemon B) and real S3 servers; stored objects are changed and
 * removed with an independent client ({@code aws} or {@code rclone}), never the operator's code.
 */
@Tag("lxd")
class BackupVerificationLxdTest {
    static final Duration T = Duration.ofMinutes(3);
    static final String BUCKET = "verify";
    static final byte[] PAYLOAD = new byte[2 * 1024 * 1024];
    static LxdRig rig;
    static LxdClient a;
    static LxdClient b;
    static S3Server s3;
    static final GatedStores gates = new GatedStores();
    static OperatorHarness op;
    static KubernetesClient kube;

    record Target(S3TestServer server, String store, IndependentS3Client other) {}

    static final Map<S3Implementation, Target> targets = new ConcurrentHashMap<>();
    static final List<String> onA = new CopyOnWriteArrayList<>();
    static final List<String> volumesOnA = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        rig = LxdRig.require();
        a = rig.clientA();
        b = rig.clientB();
        new Random(11).nextBytes(PAYLOAD);
        s3 = S3Server.start();
        s3.createBucket(BUCKET);
        op = new OperatorHarness(Clock.systemUTC(), gates).start();
        kube = op.kube();
        Fixtures.remote(kube, rig, "lxd-a", "a", "5m");
        Fixtures.remote(kube, rig, "lxd-b", "b", "5m");
        Fixtures.backupStore(
                kube,
                "s3-main",
                s3.endpoint(),
                BUCKET,
                "verify/",
                S3Server.IDENTITY,
                S3Server.CREDENTIAL,
                AccessMode.READ_WRITE);
        targets.put(
                S3Implementation.S3PROXY,
                new Target(s3, "s3-main", s3.independentClient(Files.createTempDirectory("bver"))));
    }

    static synchronized Target target(S3Implementation impl) throws Exception {
        Target t = targets.get(impl);
        if (t == null) {
            S3TestServer server = impl.start();
            server.createBucket(BUCKET);
            t = new Target(
                    server,
                    impl.id() + "-main",
                    server.independentClient(Files.createTempDirectory("bver-" + impl.id())));
            Fixtures.backupStore(
                    kube,
                    t.store(),
                    server.endpoint(),
                    BUCKET,
                    "verify/",
                    server.identity(),
                    server.credential(),
                    AccessMode.READ_WRITE);
            targets.put(impl, t);
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
            rig.deleteVolumesQuietly(a, volumesOnA.toArray(String[]::new));
            a.close();
            b.close();
        }
        for (Target t : targets.values()) {
            t.server().close();
        }
    }

    // ------------------------------------------------------------------ helpers

    /** A stopped container on A holding /root/payload.bin, exported to {@code store}; the completed export. */
    static InstanceExport exported(String prefix, String store) {
        String inst = rig.createInstance(a, prefix);
        onA.add(inst);
        a.writeFile(inst, "/root/payload.bin", PAYLOAD, 0600);
        InstanceExport e = new InstanceExport();
        e.getMetadata().setName(inst + "-x");
        e.getMetadata().setNamespace(Fixtures.NS);
        InstanceExportSpec spec = new InstanceExportSpec();
        spec.setRemoteRef(new ObjectRef("lxd-a"));
        spec.setInstance(inst);
        spec.setStoreRef(new ObjectRef(store));
        spec.setInstanceOnly(true);
        e.setSpec(spec);
        kube.resource(e).create();
        await().atMost(T).pollInterval(Duration.ofMillis(500)).until(() -> {
            InstanceExport cur = export(e.getMetadata().getName());
            return cur.getStatus() != null && cur.getStatus().getPhase() == InstanceExportPhase.COMPLETED;
        });
        return export(e.getMetadata().getName());
    }

    static InstanceExport export(String name) {
        return kube.resources(InstanceExport.class)
                .inNamespace(Fixtures.NS)
                .withName(name)
                .get();
    }

    static BackupVerification verification(String name, VerificationLevel level, String instance) {
        BackupVerification v = new BackupVerification();
        v.getMetadata().setName(name);
        v.getMetadata().setNamespace(Fixtures.NS);
        BackupVerificationSpec spec = new BackupVerificationSpec();
        spec.setLevel(level);
        VerificationSelector sel = new VerificationSelector();
        sel.setInstances(List.of(instance));
        spec.setSelector(sel);
        if (level == VerificationLevel.RESTORE) {
            RestoreDrillSpec r = new RestoreDrillSpec();
            r.setRemoteRef(new ObjectRef("lxd-b"));
            spec.setRestore(r);
        }
        v.setSpec(spec);
        return v;
    }

    static BackupVerification get(String name) {
        return kube.resources(BackupVerification.class)
                .inNamespace(Fixtures.NS)
                .withName(name)
                .get();
    }

    static BackupVerification awaitRun(String name, Predicate<BackupVerification> p) {
        await().atMost(T).pollInterval(Duration.ofMillis(500)).until(() -> {
            BackupVerification v = get(name);
            return v != null && v.getStatus() != null && p.test(v);
        });
        return get(name);
    }

    static BackupVerification awaitFinished(String name) {
        return awaitRun(
                name,
                v -> v.getStatus().getLastRunTime() != null
                        && (v.getStatus().getPhase() == BackupVerificationPhase.PASSED
                                || v.getStatus().getPhase() == BackupVerificationPhase.FAILED));
    }

    /** Runs a fresh verification of {@code level} over the exports of {@code instance} and returns it finished. */
    static BackupVerification verify(String name, VerificationLevel level, String instance) {
        kube.resource(verification(name, level, instance)).create();
        return awaitFinished(name);
    }

    static Condition verified(InstanceExport e) {
        return e.getStatus()
                .findCondition(Condition.VERIFIED)
                .orElseThrow(() -> new AssertionError("no Verified on " + e.getStatus()));
    }

    static List<String> scratchInstancesOnB() {
        return b.listInstances().stream()
                .map(Instance::name)
                .filter(n -> n.startsWith(DrillNames.PREFIX))
                .toList();
    }

    // ------------------------------------------------------------------ tests

    @ParameterizedTest
    @EnumSource(S3Implementation.class)
    void checksumPassesForAGoodExportAndMarksRewrittenAndMissingObjects(S3Implementation impl) throws Exception {
        Target t = target(impl);
        InstanceExport e = exported("bv-sum-" + impl.id(), t.store());
        String inst = e.getSpec().getInstance();
        String key = e.getStatus().getObject().getKey();

        BackupVerification good = verify("bv-good-" + impl.id(), VerificationLevel.CHECKSUM, inst);
        assertThat(good.getStatus().getPhase()).as("%s", good.getStatus()).isEqualTo(BackupVerificationPhase.PASSED);
        assertThat(good.getStatus().getSummary().getPassed()).isEqualTo(1);
        assertThat(good.getStatus().getSummary().getBytesRead())
                .isEqualTo(e.getStatus().getObject().getSize());
        VerifiedExport entry = good.getStatus().getExports().get(0);
        assertThat(entry.getName()).isEqualTo(e.getMetadata().getName());
        assertThat(entry.getResult()).isEqualTo(VerificationResult.PASSED);
        assertThat(entry.getLastVerifiedTime()).isNotNull();
        InstanceExport passed = export(e.getMetadata().getName());
        assertThat(verified(passed).getStatus()).isEqualTo(Condition.TRUE);
        assertThat(passed.getStatus().getVerification().getVerifiedBy()).isEqualTo("bv-good-" + impl.id());
        // the export's own condition is untouched
        assertThat(passed.getStatus().isConditionTrue(Condition.COMPLETE)).isTrue();
        assertThat(op.runtime().registry().scrape())
                .contains("lxdbackup_last_verified_timestamp{")
                .containsPattern(
                        "lxdbackup_last_verified_timestamp\\{[^}]*instance=\"" + inst + "\"[^}]*level=\"Checksum\"");

        // same size, one byte different, written behind the operator's back
        byte[] bytes = t.other().readAll(BUCKET, key);
        bytes[bytes.length / 3] ^= 0x01;
        t.other().write(BUCKET, key, bytes);
        BackupVerification bad = verify("bv-bad-" + impl.id(), VerificationLevel.CHECKSUM, inst);
        assertThat(bad.getStatus().getPhase()).isEqualTo(BackupVerificationPhase.FAILED);
        assertThat(bad.getStatus()
                        .findCondition(Condition.VERIFIED)
                        .orElseThrow()
                        .getReason())
                .isEqualTo("ChecksumMismatch");
        assertThat(bad.getStatus().getSummary().getFailed()).isEqualTo(1);
        InstanceExport marked = export(e.getMetadata().getName());
        assertThat(verified(marked).getStatus()).isEqualTo(Condition.FALSE);
        assertThat(verified(marked).getReason()).isEqualTo("ChecksumMismatch");
        assertThat(marked.getStatus().getVerification().getResult()).isEqualTo(VerificationResult.FAILED);
        assertThat(op.runtime().registry().scrape())
                .containsPattern("lxdbackup_verification_failures_total\\{level=\"Checksum\"[^}]*\\} [1-9]");

        t.other().delete(BUCKET, key);
        BackupVerification missing = verify("bv-missing-" + impl.id(), VerificationLevel.CHECKSUM, inst);
        assertThat(missing.getStatus()
                        .findCondition(Condition.VERIFIED)
                        .orElseThrow()
                        .getReason())
                .isEqualTo("ObjectMissing");
        assertThat(verified(export(e.getMetadata().getName())).getReason()).isEqualTo("ObjectMissing");
    }

    @Test
    void aRestoreDrillImportsStartsRunsTheCheckAndLeavesNoScratchInstance() throws Exception {
        InstanceExport e = exported("bv-drill", "s3-main");
        String inst = e.getSpec().getInstance();
        BackupVerification v = verification("bv-drill-ok", VerificationLevel.RESTORE, inst);
        v.getSpec().getRestore().setCommand(List.of("/bin/sh", "-c", "test -s /root/payload.bin"));
        kube.resource(v).create();
        BackupVerification done = awaitFinished("bv-drill-ok");
        assertThat(done.getStatus().getPhase()).as("%s", done.getStatus()).isEqualTo(BackupVerificationPhase.PASSED);
        assertThat(done.getStatus().getSummary().getDrills()).isEqualTo(1);
        assertThat(done.getStatus().getSummary().getDrillsPassed()).isEqualTo(1);
        assertThat(done.getStatus().getDrill()).isNull();
        assertThat(done.getStatus().getExports().get(0).getLevel()).isEqualTo(VerificationLevel.RESTORE);
        assertThat(done.getStatus().getExports().get(0).getMessage()).contains("started", "exited 0");
        assertThat(export(e.getMetadata().getName())
                        .getStatus()
                        .getVerification()
                        .getLevel())
                .isEqualTo(VerificationLevel.RESTORE);
        assertThat(scratchInstancesOnB()).isEmpty();

        // a check that fails inside the imported instance fails the drill, and the scratch instance still goes
        BackupVerification f = verification("bv-drill-bad", VerificationLevel.RESTORE, inst);
        f.getSpec().getRestore().setCommand(List.of("/bin/sh", "-c", "test -e /root/no-such-file"));
        kube.resource(f).create();
        BackupVerification failed = awaitFinished("bv-drill-bad");
        assertThat(failed.getStatus().getPhase()).isEqualTo(BackupVerificationPhase.FAILED);
        assertThat(failed.getStatus()
                        .findCondition(Condition.VERIFIED)
                        .orElseThrow()
                        .getReason())
                .isEqualTo("RestoreDrillFailed");
        assertThat(failed.getStatus().getExports().get(0).getMessage()).contains("exited with 1");
        assertThat(verified(export(e.getMetadata().getName())).getReason()).isEqualTo("RestoreDrillFailed");
        assertThat(scratchInstancesOnB()).isEmpty();
    }

    @Test
    void aDrillKilledMidImportLeavesNothingBehindOnceResumed() throws Exception {
        InstanceExport e = exported("bv-kill", "s3-main");
        String inst = e.getSpec().getInstance();
        String key = e.getStatus().getObject().getKey();
        // a user's instance that merely looks like a scratch instance: never touched
        String lookalike = DrillNames.PREFIX + "users-own-" + Long.toString(System.nanoTime() % 100000, 36);
        b.waitFor(b.createInstanceFromImage(lookalike, rig.image(), Map.of("security.privileged", "true")), T);
        try {
            // the first download of the object is the checksum pass; the drill's import is the second
            GatedStores.Gate gate = gates.armDownload(key, 64 * 1024);
            kube.resource(verification("bv-kill", VerificationLevel.RESTORE, inst))
                    .create();
            assertThat(gate.awaitReached(120)).isTrue();
            gate.release();
            GatedStores.Gate drillGate = gates.armDownload(key, 256 * 1024);
            assertThat(drillGate.awaitReached(120)).isTrue();
            DrillStatus intent = get("bv-kill").getStatus().getDrill();
            assertThat(intent)
                    .as("the scratch name is recorded before the import starts")
                    .isNotNull();
            String scratch = intent.getScratchInstance();

            CompletableFuture<Void> stopping = CompletableFuture.runAsync(op::stop);
            Thread.sleep(1000);
            drillGate.release();
            stopping.get(2, TimeUnit.MINUTES);
            BackupVerification stopped = get("bv-kill");
            assertThat(stopped.getStatus().getDrill()).isNotNull();
            assertThat(stopped.getStatus().getPhase()).isEqualTo(BackupVerificationPhase.RUNNING);
            // the worst moment: LXD finished the import, the operator died before marking it
            if (b.listInstances().stream().noneMatch(i -> i.name().equals(scratch))) {
                try (var store = io.lxdbackup.operator.store.S3ObjectStore.open(
                                s3.config(BUCKET).build());
                        var in = store.download(key)) {
                    b.waitFor(b.importBackup(in, -1, new LxdClient.ImportRequest(null, scratch, null)), T);
                }
            }
            assertThat(b.getInstance(scratch).config()).doesNotContainKey(DrillNames.OWNER_KEY);

            op.start();
            BackupVerification resumed = awaitRun(
                    "bv-kill",
                    v -> v.getStatus().getDrill() == null
                            && v.getStatus().getPhase() == BackupVerificationPhase.PASSED);
            assertThat(resumed.getStatus().getSummary().getDrillsPassed()).isEqualTo(1);
            assertThat(scratchInstancesOnB()).containsExactly(lookalike);
        } finally {
            LxdRig.deleteQuietly(b, lookalike);
        }
    }

    @Test
    void retentionKeepsAnOlderVerifiedExportWhenTheNewestFailedVerification() throws Exception {
        MutableClock clock = new MutableClock(Instant.now());
        try (OperatorHarness h = new OperatorHarness(clock, Duration.ofSeconds(1)).start()) {
            KubernetesClient k = h.kube();
            Fixtures.remote(k, rig, "lxd-a", "a", "5m");
            Fixtures.backupStore(
                    k,
                    "s3-main",
                    s3.endpoint(),
                    BUCKET,
                    "retain/",
                    S3Server.IDENTITY,
                    S3Server.CREDENTIAL,
                    AccessMode.READ_WRITE);
            String inst = rig.createInstance(a, "bv-ret");
            onA.add(inst);
            a.writeFile(inst, "/root/payload.bin", PAYLOAD, 0600);
            ExportSchedule s = new ExportSchedule();
            s.getMetadata().setName("bv-ret");
            s.getMetadata().setNamespace(Fixtures.NS);
            ExportScheduleSpec spec = new ExportScheduleSpec();
            spec.setRemoteRef(new ObjectRef("lxd-a"));
            spec.setInstances(List.of(inst));
            spec.setSchedule("* * * * *");
            ExportTemplate t = new ExportTemplate();
            t.setStoreRef(new ObjectRef("s3-main"));
            t.setInstanceOnly(true);
            spec.setExportTemplate(t);
            s.setSpec(spec);
            k.resource(s).create();
            for (int run = 1; run <= 3; run++) {
                clock.advance(Duration.ofMinutes(1));
                int n = run;
                await().atMost(T)
                        .pollInterval(Duration.ofMillis(500))
                        .until(() -> children(k).stream()
                                        .filter(c -> c.getStatus() != null
                                                && c.getStatus().getPhase() == InstanceExportPhase.COMPLETED)
                                        .count()
                                == n);
            }
            List<InstanceExport> three = children(k);
            InstanceExport newest = three.get(2);
            byte[] bytes = targets.get(S3Implementation.S3PROXY)
                    .other()
                    .readAll(BUCKET, newest.getStatus().getObject().getKey());
            bytes[bytes.length - 100] ^= 0x40;
            targets.get(S3Implementation.S3PROXY)
                    .other()
                    .write(BUCKET, newest.getStatus().getObject().getKey(), bytes);

            BackupVerification v = new BackupVerification();
            v.getMetadata().setName("bv-ret");
            v.getMetadata().setNamespace(Fixtures.NS);
            BackupVerificationSpec vs = new BackupVerificationSpec();
            VerificationSelector sel = new VerificationSelector();
            sel.setScheduleRef(new ObjectRef("bv-ret"));
            vs.setSelector(sel);
            v.setSpec(vs);
            k.resource(v).create();
            await().atMost(T).pollInterval(Duration.ofMillis(500)).until(() -> {
                BackupVerification cur = k.resources(BackupVerification.class)
                        .inNamespace(Fixtures.NS)
                        .withName("bv-ret")
                        .get();
                return cur.getStatus() != null && cur.getStatus().getPhase() == BackupVerificationPhase.FAILED;
            });
            assertThat(children(k).stream()
                            .map(c -> c.getStatus()
                                    .findCondition(Condition.VERIFIED)
                                    .orElseThrow()
                                    .getStatus()))
                    .containsExactly(Condition.TRUE, Condition.TRUE, Condition.FALSE);

            // keepLast: 1 now: the newest good copy is the middle one; the failed newest is no good copy
            k.resources(ExportSchedule.class)
                    .inNamespace(Fixtures.NS)
                    .withName("bv-ret")
                    .edit(x -> {
                        RetentionSpec r = new RetentionSpec();
                        r.setKeepLast(1);
                        x.getSpec().setRetention(r);
                        return x;
                    });
            await().atMost(T)
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> children(k).size() == 2);
            assertThat(children(k).stream().map(c -> c.getMetadata().getName()))
                    .containsExactly(
                            three.get(1).getMetadata().getName(),
                            newest.getMetadata().getName());
            k.resources(ExportSchedule.class)
                    .inNamespace(Fixtures.NS)
                    .withName("bv-ret")
                    .delete();
        }
    }

    // ------------------------------------------------------------------ custom volumes

    /** A custom volume on A holding PAYLOAD. */
    static String volumeWithPayload(String prefix) throws Exception {
        String vol = rig.createVolume(a, prefix);
        volumesOnA.add(vol);
        Files.write(rig.volumeDir("a", rig.get("storage.pool"), vol).resolve("payload.bin"), PAYLOAD);
        return vol;
    }

    /** Creates the export and returns it completed. */
    static InstanceExport completed(InstanceExport e) {
        e.getMetadata().setNamespace(Fixtures.NS);
        kube.resource(e).create();
        await().atMost(T).pollInterval(Duration.ofMillis(500)).until(() -> {
            InstanceExport cur = export(e.getMetadata().getName());
            return cur.getStatus() != null && cur.getStatus().getPhase() == InstanceExportPhase.COMPLETED;
        });
        return export(e.getMetadata().getName());
    }

    static InstanceExport exportSpec(String name, String store) {
        InstanceExport e = new InstanceExport();
        e.getMetadata().setName(name);
        InstanceExportSpec spec = new InstanceExportSpec();
        spec.setRemoteRef(new ObjectRef("lxd-a"));
        spec.setStoreRef(new ObjectRef(store));
        e.setSpec(spec);
        return e;
    }

    /** A fresh verification of the exports to {@code store}, finished. */
    static BackupVerification verifyStore(String name, VerificationLevel level, String store) {
        BackupVerification v = verification(name, level, "unused");
        v.getSpec().getSelector().setInstances(null);
        v.getSpec().getSelector().setStoreRef(new ObjectRef(store));
        kube.resource(v).create();
        return awaitFinished(name);
    }

    static VerifiedExport entryOf(BackupVerification v, InstanceExport e) {
        return v.getStatus().getExports().stream()
                .filter(x -> x.getName().equals(e.getMetadata().getName()))
                .findFirst()
                .orElseThrow(() ->
                        new AssertionError("no entry for " + e.getMetadata().getName()));
    }

    @ParameterizedTest
    @EnumSource(S3Implementation.class)
    void checksumReadsTheAttachedVolumeObjectsAndVerifiesVolumeExports(S3Implementation impl) throws Exception {
        Target t = target(impl);
        String store = "vols-" + impl.id();
        Fixtures.backupStore(
                kube,
                store,
                t.server().endpoint(),
                BUCKET,
                store + "/",
                t.server().identity(),
                t.server().credential(),
                AccessMode.READ_WRITE);
        String pool = rig.get("storage.pool");
        String vol = volumeWithPayload("bv-vol");
        String inst = rig.createInstance(a, "bv-vi");
        onA.add(inst);
        rig.lxc("a", "storage", "volume", "attach", pool, vol, inst, "data", "/mnt/data");
        InstanceExport ie = exportSpec(inst + "-x", store);
        ie.getSpec().setInstance(inst);
        ie.getSpec().setInstanceOnly(true);
        ie.getSpec().setAttachedVolumes(AttachedVolumesMode.INCLUDE);
        InstanceExport withVolume = completed(ie);
        IncludedVolume included = withVolume.getStatus().getVolumes().get(0);
        String volKey = included.getKey();
        InstanceExport ve = exportSpec(vol + "-x", store);
        ve.getSpec().setVolume(new VolumeRef(pool, vol));
        InstanceExport direct = completed(ve);

        // by store: both exports, every object read
        BackupVerification good = verifyStore("bv-vols-good-" + impl.id(), VerificationLevel.CHECKSUM, store);
        assertThat(good.getStatus().getPhase()).as("%s", good.getStatus()).isEqualTo(BackupVerificationPhase.PASSED);
        assertThat(good.getStatus().getSummary().getSelected()).isEqualTo(2);
        assertThat(good.getStatus().getSummary().getBytesRead())
                .isEqualTo(withVolume.getStatus().getObject().getSize()
                        + included.getSize()
                        + direct.getStatus().getObject().getSize());
        assertThat(entryOf(good, withVolume).getMessage()).contains("1 attached volume object(s)");
        assertThat(verified(export(direct.getMetadata().getName())).getStatus()).isEqualTo(Condition.TRUE);

        // by instances: a volume export has no instance and is left out
        BackupVerification byInstance = verify("bv-vols-inst-" + impl.id(), VerificationLevel.CHECKSUM, inst);
        assertThat(byInstance.getStatus().getExports())
                .extracting(VerifiedExport::getName)
                .containsExactly(withVolume.getMetadata().getName());

        // the attached volume's object changed behind the operator's back: its export fails, naming it
        byte[] bytes = t.other().readAll(BUCKET, volKey);
        bytes[bytes.length / 2] ^= 0x01;
        t.other().write(BUCKET, volKey, bytes);
        BackupVerification bad = verifyStore("bv-vols-bad-" + impl.id(), VerificationLevel.CHECKSUM, store);
        assertThat(bad.getStatus().getPhase()).isEqualTo(BackupVerificationPhase.FAILED);
        VerifiedExport badEntry = entryOf(bad, withVolume);
        assertThat(badEntry.getResult()).isEqualTo(VerificationResult.FAILED);
        assertThat(badEntry.getReason()).isEqualTo("ChecksumMismatch");
        assertThat(badEntry.getMessage()).contains(volKey, "device data");
        assertThat(entryOf(bad, direct).getResult()).isEqualTo(VerificationResult.PASSED);
        assertThat(verified(export(withVolume.getMetadata().getName())).getReason())
                .isEqualTo("ChecksumMismatch");

        // removed: ObjectMissing, naming it
        t.other().delete(BUCKET, volKey);
        BackupVerification missing = verifyStore("bv-vols-missing-" + impl.id(), VerificationLevel.CHECKSUM, store);
        VerifiedExport missingEntry = entryOf(missing, withVolume);
        assertThat(missingEntry.getReason()).isEqualTo("ObjectMissing");
        assertThat(missingEntry.getMessage()).contains(volKey);

        // the volume export's own object changed: it fails as an instance export would
        String directKey = direct.getStatus().getObject().getKey();
        byte[] d = t.other().readAll(BUCKET, directKey);
        d[d.length / 3] ^= 0x01;
        t.other().write(BUCKET, directKey, d);
        BackupVerification directBad = verifyStore("bv-vols-direct-" + impl.id(), VerificationLevel.CHECKSUM, store);
        assertThat(entryOf(directBad, direct).getReason()).isEqualTo("ChecksumMismatch");
        assertThat(verified(export(direct.getMetadata().getName())).getReason()).isEqualTo("ChecksumMismatch");
    }

    @Test
    void aRestoreLevelRunChecksVolumeExportsWithoutADrillAndSaysSo() throws Exception {
        Fixtures.backupStore(
                kube,
                "vols-drill",
                s3.endpoint(),
                BUCKET,
                "vols-drill/",
                S3Server.IDENTITY,
                S3Server.CREDENTIAL,
                AccessMode.READ_WRITE);
        String vol = volumeWithPayload("bv-vd");
        InstanceExport ve = exportSpec(vol + "-x", "vols-drill");
        ve.getSpec().setVolume(new VolumeRef(rig.get("storage.pool"), vol));
        InstanceExport direct = completed(ve);
        List<String> volumesOnB = b.listCustomVolumes(rig.get("storage.pool")).stream()
                .map(io.lxdbackup.operator.lxd.StorageVolume::name)
                .toList();

        BackupVerification v = verifyStore("bv-vols-drill", VerificationLevel.RESTORE, "vols-drill");
        assertThat(v.getStatus().getPhase()).as("%s", v.getStatus()).isEqualTo(BackupVerificationPhase.PASSED);
        assertThat(v.getStatus().getSummary().getDrills()).isZero();
        VerifiedExport entry = entryOf(v, direct);
        assertThat(entry.getLevel()).isEqualTo(VerificationLevel.CHECKSUM);
        assertThat(entry.getMessage()).contains("no restore drill", "custom volume");
        assertThat(export(direct.getMetadata().getName())
                        .getStatus()
                        .getVerification()
                        .getLevel())
                .isEqualTo(VerificationLevel.CHECKSUM);
        assertThat(scratchInstancesOnB()).isEmpty();
        assertThat(b.listCustomVolumes(rig.get("storage.pool")).stream()
                        .map(io.lxdbackup.operator.lxd.StorageVolume::name)
                        .toList())
                .isEqualTo(volumesOnB);
    }

    /** The schedule's exports that are not being deleted, oldest first. */
    static List<InstanceExport> children(KubernetesClient k) {
        return k
                .resources(InstanceExport.class)
                .inNamespace(Fixtures.NS)
                .withLabel(ScheduleReconcilerBase.LABEL_SCHEDULE, "bv-ret")
                .list()
                .getItems()
                .stream()
                .filter(c -> c.getMetadata().getDeletionTimestamp() == null)
                .sorted(java.util.Comparator.comparing(
                        c -> c.getMetadata().getAnnotations().get(ScheduleReconcilerBase.ANNOTATION_SCHEDULED_TIME)))
                .toList();
    }
}
