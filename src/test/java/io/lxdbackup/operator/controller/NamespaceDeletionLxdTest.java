package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.AccessMode;
import io.lxdbackup.operator.api.v1alpha1.BackupStore;
import io.lxdbackup.operator.api.v1alpha1.BackupStorePhase;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.DeletionPolicy;
import io.lxdbackup.operator.api.v1alpha1.InstanceExport;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportSpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshot;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotSpec;
import io.lxdbackup.operator.api.v1alpha1.LxdRemote;
import io.lxdbackup.operator.api.v1alpha1.LxdRemotePhase;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.lxd.Snapshot;
import io.lxdbackup.operator.testing.Fixtures;
import io.lxdbackup.operator.testing.LxdRig;
import io.lxdbackup.operator.testing.OperatorHarness;
import io.lxdbackup.operator.testing.S3Server;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A namespace deletion deletes everything in it at once: the credentials Secret, the LxdRemote
 * or BackupStore and the resources that need them for their clean-up. Simulated here by deleting
 * them in one go, with no wait in between (the in-memory API has no namespace controller). The
 * remote and the store stay until their dependents are done ("in use"), and the connection made
 * before the Secret went serves the clean-up.
 */
@Tag("lxd")
class NamespaceDeletionLxdTest {
    static final Duration T = Duration.ofMinutes(2);
    static final String NS = Fixtures.NS;
    static final String BUCKET = "nsdelete";
    static final String PREFIX = "nsdel/";
    static LxdRig rig;
    static S3Server s3;
    static OperatorHarness op;
    static KubernetesClient kube;
    static LxdClient lxd;
    static final List<String> instances = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        rig = LxdRig.require();
        lxd = rig.clientA();
        s3 = S3Server.start();
        try (S3Client raw = s3.rawClient()) {
            raw.createBucket(b -> b.bucket(BUCKET));
        }
        op = new OperatorHarness().start();
        kube = op.kube();
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
        return n;
    }

    static InstanceSnapshot snapshot(String name, String remote, String instance, DeletionPolicy policy) {
        InstanceSnapshot s = new InstanceSnapshot();
        s.getMetadata().setName(name);
        s.getMetadata().setNamespace(NS);
        InstanceSnapshotSpec spec = new InstanceSnapshotSpec();
        spec.setRemoteRef(new ObjectRef(remote));
        spec.setInstance(instance);
        spec.setSnapshotName(name);
        spec.setDeletionPolicy(policy);
        s.setSpec(spec);
        return s;
    }

    static <T extends HasMetadata> T get(KubernetesClient k, Class<T> kind, String name) {
        return k.resources(kind).inNamespace(NS).withName(name).get();
    }

    static void awaitRemoteReadyWithFinalizer(KubernetesClient k, String name) {
        await().atMost(T).until(() -> {
            LxdRemote r = get(k, LxdRemote.class, name);
            return r != null && r.getStatus() != null && r.getStatus().getPhase() == LxdRemotePhase.READY;
        });
    }

    static void awaitSnapshotReady(KubernetesClient k, String name) {
        await().atMost(T).pollInterval(Duration.ofMillis(200)).until(() -> {
            InstanceSnapshot s = get(k, InstanceSnapshot.class, name);
            return s != null && s.getStatus() != null && s.getStatus().getPhase() == InstanceSnapshotPhase.READY;
        });
    }

    static boolean hasSnapshot(String instance, String name) {
        return lxd.listSnapshots(instance).stream().map(Snapshot::name).anyMatch(name::equals);
    }

    static List<Event> events(KubernetesClient k, String kind, String name) {
        return k.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> name.equals(e.getInvolvedObject().getName())
                        && kind.equals(e.getInvolvedObject().getKind()))
                .toList();
    }

    /** Deletes each object in turn without waiting, as the namespace controller does. */
    static void deleteAtOnce(KubernetesClient k, HasMetadata... objects) {
        for (HasMetadata o : objects) {
            k.resource(o).delete();
        }
    }

    @Test
    void snapshotWithDeletionPolicyDeleteIsDeletedOnTheServerWhenEverythingGoesAtOnce() {
        LxdRemote remote = Fixtures.remote(kube, rig, "nsdel-a", "a", "5m");
        awaitRemoteReadyWithFinalizer(kube, "nsdel-a");
        String inst = instance("nsdel");
        kube.resource(snapshot("goes", "nsdel-a", inst, DeletionPolicy.DELETE)).create();
        kube.resource(snapshot("stays", "nsdel-a", inst, DeletionPolicy.RETAIN)).create();
        awaitSnapshotReady(kube, "goes");
        awaitSnapshotReady(kube, "stays");
        assertThat(hasSnapshot(inst, "goes")).isTrue();

        deleteAtOnce(
                kube,
                kube.secrets().inNamespace(NS).withName("nsdel-a-client").get(),
                remote,
                get(kube, InstanceSnapshot.class, "goes"),
                get(kube, InstanceSnapshot.class, "stays"));

        await().atMost(T)
                .until(() -> get(kube, InstanceSnapshot.class, "goes") == null
                        && get(kube, InstanceSnapshot.class, "stays") == null
                        && get(kube, LxdRemote.class, "nsdel-a") == null);
        assertThat(hasSnapshot(inst, "goes"))
                .as("the LXD snapshot of the Delete one")
                .isFalse();
        assertThat(hasSnapshot(inst, "stays"))
                .as("the LXD snapshot of the Retain one")
                .isTrue();
    }

    @Test
    void exportWithDeletionPolicyDeleteRemovesItsObjectWhenItsStoreAndSecretGoAtTheSameMoment() throws Exception {
        Fixtures.remote(kube, rig, "nsdel-exp", "a", "5m");
        awaitRemoteReadyWithFinalizer(kube, "nsdel-exp");
        BackupStore store = Fixtures.backupStore(
                kube,
                "nsdel-s3",
                s3.endpoint(),
                BUCKET,
                PREFIX,
                S3Server.IDENTITY,
                S3Server.CREDENTIAL,
                AccessMode.READ_WRITE);
        await().atMost(T).until(() -> {
            BackupStore bs = get(kube, BackupStore.class, "nsdel-s3");
            return bs != null && bs.getStatus() != null && bs.getStatus().getPhase() == BackupStorePhase.AVAILABLE;
        });
        String inst = instance("nsdexp");
        InstanceExport e = new InstanceExport();
        e.getMetadata().setName("exp-goes");
        e.getMetadata().setNamespace(NS);
        InstanceExportSpec spec = new InstanceExportSpec();
        spec.setRemoteRef(new ObjectRef("nsdel-exp"));
        spec.setInstance(inst);
        spec.setStoreRef(new ObjectRef("nsdel-s3"));
        spec.setDeletionPolicy(DeletionPolicy.DELETE);
        e.setSpec(spec);
        kube.resource(e).create();
        await().atMost(T).pollInterval(Duration.ofMillis(250)).until(() -> {
            InstanceExport x = get(kube, InstanceExport.class, "exp-goes");
            return x != null && x.getStatus() != null && x.getStatus().getPhase() == InstanceExportPhase.COMPLETED;
        });
        String key = get(kube, InstanceExport.class, "exp-goes")
                .getStatus()
                .getObject()
                .getKey();
        assertThat(keys(inst)).contains(key, key + ".json");

        deleteAtOnce(
                kube,
                kube.secrets().inNamespace(NS).withName("nsdel-s3-creds").get(),
                store,
                get(kube, InstanceExport.class, "exp-goes"));

        await().atMost(T)
                .until(() -> get(kube, InstanceExport.class, "exp-goes") == null
                        && get(kube, BackupStore.class, "nsdel-s3") == null);
        assertThat(keys(inst)).as("the object and its manifest in the bucket").isEmpty();
        kube.resources(LxdRemote.class).inNamespace(NS).withName("nsdel-exp").delete();
        await().atMost(T).until(() -> get(kube, LxdRemote.class, "nsdel-exp") == null);
    }

    List<String> keys(String instance) {
        try (S3Client raw = s3.rawClient()) {
            return raw.listObjectsV2(b -> b.bucket(BUCKET).prefix(PREFIX)).contents().stream()
                    .map(o -> o.key())
                    .filter(k -> k.contains(instance))
                    .toList();
        }
    }

    @Test
    void deletingARemoteInUseWaitsForItsDependents() {
        Fixtures.remote(kube, rig, "nsdel-used", "a", "5m");
        awaitRemoteReadyWithFinalizer(kube, "nsdel-used");
        String inst = instance("nsduse");
        kube.resource(snapshot("user", "nsdel-used", inst, DeletionPolicy.DELETE))
                .create();
        awaitSnapshotReady(kube, "user");

        kube.resources(LxdRemote.class).inNamespace(NS).withName("nsdel-used").delete();
        await().atMost(T).until(() -> {
            LxdRemote r = get(kube, LxdRemote.class, "nsdel-used");
            return r != null
                    && r.getStatus() != null
                    && r.getStatus()
                            .findCondition("Deleting")
                            .map(c -> "InUse".equals(c.getReason()))
                            .orElse(false);
        });
        LxdRemote waiting = get(kube, LxdRemote.class, "nsdel-used");
        assertThat(waiting.isMarkedForDeletion()).isTrue();
        Condition c = waiting.getStatus().findCondition("Deleting").orElseThrow();
        assertThat(c.getMessage()).contains("1 resource still needs it", "InstanceSnapshot user");
        await().atMost(T)
                .until(() ->
                        events(kube, "LxdRemote", "nsdel-used").stream().anyMatch(e -> "InUse".equals(e.getReason())));
        // still there a while later: it waits, it does not fail
        await().during(Duration.ofSeconds(5))
                .atMost(Duration.ofSeconds(10))
                .until(() -> get(kube, LxdRemote.class, "nsdel-used") != null);

        kube.resources(InstanceSnapshot.class).inNamespace(NS).withName("user").delete();
        await().atMost(T)
                .until(() -> get(kube, InstanceSnapshot.class, "user") == null
                        && get(kube, LxdRemote.class, "nsdel-used") == null);
        assertThat(hasSnapshot(inst, "user")).isFalse();
    }

    /**
     * The operator restarts while the namespace is being deleted: no connection made before the
     * Secret went is at hand. The snapshot gives up on the server (and says so) rather than block
     * the namespace. Its own API server, so that the namespace marked for deletion and the
     * restart concern no other test.
     */
    @Test
    void withoutAConnectionFromBeforeTheDependentsOfANamespaceBeingDeletedGiveUpAndSaySo() {
        try (OperatorHarness own = new OperatorHarness().start()) {
            KubernetesClient k = own.kube();
            LxdRemote remote = Fixtures.remote(k, rig, "nsdel-r", "a", "5m");
            awaitRemoteReadyWithFinalizer(k, "nsdel-r");
            String inst = instance("nsdrst");
            k.resource(snapshot("orphan", "nsdel-r", inst, DeletionPolicy.DELETE))
                    .create();
            awaitSnapshotReady(k, "orphan");

            own.stop();
            // the namespace is being deleted (a finalizer of the test keeps it, as "kubernetes" does)
            k.namespaces()
                    .resource(new NamespaceBuilder()
                            .withNewMetadata()
                            .withName(NS)
                            .withFinalizers("test.lxdbackup.io/hold")
                            .endMetadata()
                            .build())
                    .createOr(r -> r.update());
            k.namespaces().withName(NS).delete();
            assertThat(k.namespaces().withName(NS).get().getMetadata().getDeletionTimestamp())
                    .isNotNull();
            deleteAtOnce(
                    k,
                    k.secrets().inNamespace(NS).withName("nsdel-r-client").get(),
                    remote,
                    get(k, InstanceSnapshot.class, "orphan"));
            own.start();

            await().atMost(T)
                    .until(() -> get(k, InstanceSnapshot.class, "orphan") == null
                            && get(k, LxdRemote.class, "nsdel-r") == null);
            await().atMost(T)
                    .until(() -> events(k, "InstanceSnapshot", "orphan").stream()
                            .anyMatch(e -> "CredentialsDeleted".equals(e.getReason())));
            Event warning = events(k, "InstanceSnapshot", "orphan").stream()
                    .filter(e -> "CredentialsDeleted".equals(e.getReason()))
                    .findFirst()
                    .orElseThrow();
            assertThat(warning.getType()).isEqualTo("Warning");
            assertThat(warning.getMessage())
                    .contains(
                            "LXD snapshot orphan of instance " + inst + " was left on the server",
                            "nsdel-r-client",
                            "deleted with namespace " + NS);
            assertThat(hasSnapshot(inst, "orphan")).as("left on the server").isTrue();
        }
    }
}
