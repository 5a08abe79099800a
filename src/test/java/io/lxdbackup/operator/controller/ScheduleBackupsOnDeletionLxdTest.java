package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.AccessMode;
import io.lxdbackup.operator.api.v1alpha1.BackupsOnDeletion;
import io.lxdbackup.operator.api.v1alpha1.ExportSchedule;
import io.lxdbackup.operator.api.v1alpha1.ExportScheduleSpec;
import io.lxdbackup.operator.api.v1alpha1.ExportTemplate;
import io.lxdbackup.operator.api.v1alpha1.InstanceExport;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportSpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestore;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestorePhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestoreSpec;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.api.v1alpha1.RestoreSource;
import io.lxdbackup.operator.api.v1alpha1.RetentionSpec;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.testing.Fixtures;
import io.lxdbackup.operator.testing.GatedStores;
import io.lxdbackup.operator.testing.IndependentS3Client;
import io.lxdbackup.operator.testing.LxdRig;
import io.lxdbackup.operator.testing.OperatorHarness;
import io.lxdbackup.operator.testing.S3Server;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Issue 16 point 5 against the LXD rig and s3proxy, objects checked with an independent client:
 * deleting an ExportSchedule keeps its exports and their objects unless it says
 * {@code backupsOnDeletion: Delete} (then its children carry the ownerReference garbage collection
 * follows: the in-memory API server has no garbage collector, LifecycleE2ETest shows the cascade),
 * and an export an unfinished InstanceRestore reads survives retention, ttl and its own deletion
 * until the restore is done.
 */
@Tag("lxd")
class ScheduleBackupsOnDeletionLxdTest {
    static final Duration T = Duration.ofMinutes(3);
    static final String BUCKET = "kept";
    static final String PREFIX = "bod/";
    static LxdRig rig;
    static S3Server s3;
    static final GatedStores gates = new GatedStores();
    static OperatorHarness op;
    static KubernetesClient kube;
    static LxdClient lxd;
    static IndependentS3Client aws;
    static final List<String> instances = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        rig = LxdRig.require();
        lxd = rig.clientA();
        s3 = S3Server.start();
        try (S3Client raw = s3.rawClient()) {
            raw.createBucket(b -> b.bucket(BUCKET));
        }
        aws = IndependentS3Client.require(s3.endpoint(), Files.createTempDirectory("bod-aws"));
        // schedules re-decide every 2 s, so that retention notices a finished restore soon
        op = new OperatorHarness(Clock.systemUTC(), Duration.ofSeconds(2), gates).start();
        kube = op.kube();
        Fixtures.remote(kube, rig, "lxd-a", "a", "5m");
        Fixtures.backupStore(
                kube,
                "s3-kept",
                s3.endpoint(),
                BUCKET,
                PREFIX,
                S3Server.IDENTITY,
                S3Server.CREDENTIAL,
                AccessMode.READ_WRITE);
    }

    @AfterAll
    static void stop() throws Exception {
        if (op != null) {
            op.close();
        }
        if (lxd != null) {
            LxdRig.deleteQuietly(lxd, instances.toArray(String[]::new));
            lxd.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    static String instance(String prefix) {
        String n = rig.createInstance(lxd, prefix);
        instances.add(n);
        lxd.writeFile(n, "/root/data.bin", new byte[2 << 20], 0600);
        return n;
    }

    static ExportSchedule schedule(String name, String instance, Integer keepLast) {
        ExportSchedule s = new ExportSchedule();
        s.getMetadata().setName(name);
        s.getMetadata().setNamespace(Fixtures.NS);
        ExportScheduleSpec spec = new ExportScheduleSpec();
        spec.setRemoteRef(new ObjectRef("lxd-a"));
        spec.setInstances(List.of(instance));
        spec.setSchedule("* * * * *");
        ExportTemplate t = new ExportTemplate();
        t.setStoreRef(new ObjectRef("s3-kept"));
        spec.setExportTemplate(t);
        if (keepLast != null) {
            RetentionSpec r = new RetentionSpec();
            r.setKeepLast(keepLast);
            spec.setRetention(r);
        }
        s.setSpec(spec);
        return s;
    }

    static List<InstanceExport> children(String schedule) {
        return kube.resources(InstanceExport.class)
                .inNamespace(Fixtures.NS)
                .withLabel(ScheduleReconcilerBase.LABEL_SCHEDULE, schedule)
                .list()
                .getItems();
    }

    static List<InstanceExport> completed(String schedule) {
        return children(schedule).stream()
                .filter(c -> c.getStatus() != null && c.getStatus().getPhase() == InstanceExportPhase.COMPLETED)
                .toList();
    }

    static ExportSchedule getSchedule(String name) {
        return kube.resources(ExportSchedule.class)
                .inNamespace(Fixtures.NS)
                .withName(name)
                .get();
    }

    static InstanceExport getExport(String name) {
        return kube.resources(InstanceExport.class)
                .inNamespace(Fixtures.NS)
                .withName(name)
                .get();
    }

    static InstanceRestore restoreOf(String name, String export, String target) {
        InstanceRestore r = new InstanceRestore();
        r.getMetadata().setName(name);
        r.getMetadata().setNamespace(Fixtures.NS);
        InstanceRestoreSpec spec = new InstanceRestoreSpec();
        spec.setRemoteRef(new ObjectRef("lxd-a"));
        spec.setInstance(target);
        RestoreSource source = new RestoreSource();
        source.setExportRef(new ObjectRef(export));
        spec.setSource(source);
        r.setSpec(spec);
        return r;
    }

    static InstanceRestorePhase restorePhase(String name) {
        InstanceRestore r = kube.resources(InstanceRestore.class)
                .inNamespace(Fixtures.NS)
                .withName(name)
                .get();
        return r == null || r.getStatus() == null ? null : r.getStatus().getPhase();
    }

    static boolean waitsInUse(InstanceExport e) {
        return e != null
                && e.getStatus() != null
                && e.getStatus()
                        .findCondition(InUse.CONDITION)
                        .map(c -> Reasons.IN_USE.equals(c.getReason()))
                        .orElse(false);
    }

    @Test
    void deletingAScheduleKeepsItsExportsAndObjectsAndRetentionWaitsForARestore() throws Exception {
        String inst = instance("bod");
        ExportSchedule created = kube.resource(schedule("keeps", inst, 1)).create();
        await().atMost(T)
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> !completed("keeps").isEmpty());
        InstanceExport first = completed("keeps").get(0);
        String firstKey = first.getStatus().getObject().getKey();
        // Retain (default): tied to the schedule by label only, so nothing cascades
        assertThat(first.getMetadata().getLabels())
                .containsEntry(
                        ScheduleChildren.LABEL_SCHEDULE_UID,
                        created.getMetadata().getUid());
        assertThat(first.getMetadata().getOwnerReferences()).isNullOrEmpty();

        // an unfinished restore reads the first export: retention (keepLast 1) must not prune it
        GatedStores.Gate gate = gates.armDownload(firstKey, 64 * 1024);
        String target = LxdRig.uniqueName("bod-restored");
        instances.add(target);
        kube.resource(restoreOf("reads-first", first.getMetadata().getName(), target))
                .create();
        assertThat(gate.awaitReached(120)).isTrue();
        await().atMost(T)
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> completed("keeps").size() >= 2);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> waitsInUse(getExport(first.getMetadata().getName())));
        InstanceExport waiting = getExport(first.getMetadata().getName());
        assertThat(waiting.getMetadata().getDeletionTimestamp()).isNull();
        assertThat(waiting.getStatus()
                        .findCondition(InUse.CONDITION)
                        .orElseThrow()
                        .getMessage())
                .contains("InstanceRestore reads-first");
        assertThat(aws.head(BUCKET, firstKey)).isPresent();

        // the restore finishes: retention prunes the first export, and its object goes (deletionPolicy Delete)
        gate.release();
        await().atMost(T).until(() -> restorePhase("reads-first") == InstanceRestorePhase.COMPLETED);
        await().atMost(T).until(() -> getExport(first.getMetadata().getName()) == null);
        assertThat(aws.head(BUCKET, firstKey)).isEmpty();

        // Delete: the children carry the ownerReference garbage collection follows; Retain again drops it
        ExportSchedule suspended = getSchedule("keeps");
        suspended.getSpec().setSuspend(true);
        suspended.getSpec().setBackupsOnDeletion(BackupsOnDeletion.DELETE);
        kube.resource(suspended).update();
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(children("keeps"))
                        .isNotEmpty()
                        .allSatisfy(c -> assertThat(c.getMetadata().getOwnerReferences())
                                .singleElement()
                                .satisfies(o -> assertThat(o.getUid())
                                        .isEqualTo(created.getMetadata().getUid()))));
        ExportSchedule back = getSchedule("keeps");
        back.getSpec().setBackupsOnDeletion(BackupsOnDeletion.RETAIN);
        kube.resource(back).update();
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(children("keeps"))
                        .isNotEmpty()
                        .allSatisfy(c ->
                                assertThat(c.getMetadata().getOwnerReferences()).isNullOrEmpty()));

        // deleting the schedule keeps its exports and their objects
        List<InstanceExport> kept = completed("keeps");
        kube.resource(getSchedule("keeps")).delete();
        await().atMost(T).until(() -> getSchedule("keeps") == null);
        Thread.sleep(3_000);
        assertThat(kept).isNotEmpty();
        for (InstanceExport k : kept) {
            InstanceExport now = getExport(k.getMetadata().getName());
            assertThat(now).isNotNull();
            assertThat(now.getMetadata().getDeletionTimestamp()).isNull();
            assertThat(now.getStatus().getPhase()).isEqualTo(InstanceExportPhase.COMPLETED);
            assertThat(aws.head(BUCKET, k.getStatus().getObject().getKey())).isPresent();
        }
        // ...until they are deleted themselves, as the README says
        kube.resources(InstanceExport.class)
                .inNamespace(Fixtures.NS)
                .withLabel(ScheduleReconcilerBase.LABEL_SCHEDULE, "keeps")
                .delete();
        await().atMost(T).until(() -> children("keeps").isEmpty());
        for (InstanceExport k : kept) {
            assertThat(aws.head(BUCKET, k.getStatus().getObject().getKey())).isEmpty();
        }
    }

    @Test
    void anExportARestoreReadsOutlivesItsTtlAndItsDeletionUntilTheRestoreIsDone() throws Exception {
        String inst = instance("bodttl");
        InstanceExport e = new InstanceExport();
        e.getMetadata().setName("read-while-expiring");
        e.getMetadata().setNamespace(Fixtures.NS);
        InstanceExportSpec spec = new InstanceExportSpec();
        spec.setRemoteRef(new ObjectRef("lxd-a"));
        spec.setInstance(inst);
        spec.setStoreRef(new ObjectRef("s3-kept"));
        spec.setTtl("20s");
        spec.setDeletionPolicy(io.lxdbackup.operator.api.v1alpha1.DeletionPolicy.DELETE);
        e.setSpec(spec);
        kube.resource(e).create();
        await().atMost(T).until(() -> {
            InstanceExport x = getExport("read-while-expiring");
            return x.getStatus() != null && x.getStatus().getPhase() == InstanceExportPhase.COMPLETED;
        });
        String key = getExport("read-while-expiring").getStatus().getObject().getKey();
        GatedStores.Gate gate = gates.armDownload(key, 64 * 1024);
        String target = LxdRig.uniqueName("bodttl-restored");
        instances.add(target);
        kube.resource(restoreOf("reads-expiring", "read-while-expiring", target))
                .create();
        assertThat(gate.awaitReached(120)).isTrue();

        // past the ttl: the expiry waits, InUse
        await().atMost(Duration.ofMinutes(1)).until(() -> waitsInUse(getExport("read-while-expiring")));
        assertThat(getExport("read-while-expiring")
                        .getStatus()
                        .findCondition(InUse.CONDITION)
                        .orElseThrow()
                        .getMessage())
                .startsWith("Expiry")
                .contains("InstanceRestore reads-expiring");
        // and so does a deletion of the export itself (a cascade, a namespace deletion)
        kube.resources(InstanceExport.class)
                .inNamespace(Fixtures.NS)
                .withName("read-while-expiring")
                .delete();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            InstanceExport x = getExport("read-while-expiring");
            return x != null
                    && x.getMetadata().getDeletionTimestamp() != null
                    && x.getStatus()
                            .findCondition(InUse.CONDITION)
                            .map(c -> c.getMessage().startsWith("Deletion"))
                            .orElse(false);
        });
        Thread.sleep(3_000);
        assertThat(getExport("read-while-expiring")).isNotNull();
        assertThat(aws.head(BUCKET, key)).isPresent();

        gate.release();
        await().atMost(T).until(() -> restorePhase("reads-expiring") == InstanceRestorePhase.COMPLETED);
        assertThat(lxd.instanceExists(target)).isTrue();
        await().atMost(T).until(() -> getExport("read-while-expiring") == null);
        assertThat(aws.head(BUCKET, key)).isEmpty();
        assertThat(aws.head(BUCKET, key + ".json")).isEmpty();
    }
}
