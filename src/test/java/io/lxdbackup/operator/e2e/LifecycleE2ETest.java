package io.lxdbackup.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.testing.LxdRig;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What only a real control plane does, with the operator under the chart's RBAC: ownerReference
 * garbage collection by kube-controller-manager (only under {@code backupsOnDeletion: Delete};
 * by default a schedule's backups outlive it and its namespace), namespace
 * deletion through the operator's finalizers, and an API server restart in the middle of an
 * export.
 */
class LifecycleE2ETest {
    static final Duration T = Duration.ofMinutes(3);
    static E2eCluster cluster;
    static LxdRig rig;
    static LxdClient a;
    static String instance;

    @BeforeAll
    static void start() throws Exception {
        cluster = E2eCluster.get();
        rig = LxdRig.require();
        a = rig.clientA();
        instance = rig.createInstance(a, "e2e-life");
        cluster.mainOperator();
    }

    @AfterAll
    static void stop() {
        if (a != null) {
            LxdRig.deleteQuietly(a, instance);
            a.close();
        }
    }

    static List<GenericKubernetesResource> children(String ns, String schedule) {
        return cluster.admin
                .genericKubernetesResources(E2eObjects.kind("instancesnapshots"))
                .inNamespace(ns)
                .withLabel("lxdbackup.io/schedule", schedule)
                .list()
                .getItems();
    }

    static void schedule(String ns, String name, String backupsOnDeletion) throws Exception {
        cluster.kubectlIn(
                """
        apiVersion: lxdbackup.io/v1alpha1
        kind: SnapshotSchedule
        metadata: {name: %s, namespace: %s}
        spec:
          remoteRef: {name: lxd-a}
          instances: [%s]
          includeStopped: true
          schedule: "* * * * *"
          snapshotNamePattern: "%s-{{ creation_date|date:'150405' }}"
        %s""".formatted(
                                name,
                                ns,
                                instance,
                                name,
                                backupsOnDeletion == null ? "" : "  backupsOnDeletion: " + backupsOnDeletion + "\n"),
                "apply",
                "-f",
                "-");
    }

    static String snapshotName(String ns, GenericKubernetesResource child) throws Exception {
        return (String) E2eObjects.awaitStatus(
                        cluster, ns, "instancesnapshots", child.getMetadata().getName(), "phase", "Ready", T)
                .get("snapshotName");
    }

    @Test
    void deletingAScheduleKeepsItsSnapshotsUnlessItSaysDelete() throws Exception {
        String ns = "e2e-gc";
        cluster.createNamespace(ns);
        try {
            E2eObjects.remote(cluster, ns, "lxd-a", rig, "a");
            E2eObjects.awaitStatus(cluster, ns, "lxdremotes", "lxd-a", "phase", "Ready", T);
            schedule(ns, "cascade", "Delete");
            schedule(ns, "keeps", null);
            await().atMost(Duration.ofMinutes(3))
                    .pollInterval(Duration.ofSeconds(1))
                    .until(() -> children(ns, "cascade").size() >= 1
                            && children(ns, "keeps").size() >= 1);
            GenericKubernetesResource owned = children(ns, "cascade").get(0);
            assertThat(owned.getMetadata().getOwnerReferences())
                    .singleElement()
                    .satisfies(o -> assertThat(o.getKind()).isEqualTo("SnapshotSchedule"));
            String ownedSnapshot = snapshotName(ns, owned);
            GenericKubernetesResource kept = children(ns, "keeps").get(0);
            String uid = E2eObjects.get(cluster, ns, "snapshotschedules", "keeps")
                    .getMetadata()
                    .getUid();
            // Retain (default): tied to the schedule by label only
            assertThat(kept.getMetadata().getOwnerReferences()).isNullOrEmpty();
            assertThat(kept.getMetadata().getLabels()).containsEntry("lxdbackup.io/schedule-uid", uid);
            String keptSnapshot = snapshotName(ns, kept);
            assertThat(a.snapshotExists(instance, ownedSnapshot)).isTrue();

            // Delete: kube-controller-manager deletes the children (background cascade, kubectl's
            // default), the operator deletes their LXD snapshots and releases their finalizers
            cluster.kubectl("delete", "snapshotschedule", "cascade", "-n", ns);
            await().atMost(T)
                    .pollInterval(Duration.ofSeconds(1))
                    .until(() -> children(ns, "cascade").isEmpty());
            assertThat(a.snapshotExists(instance, ownedSnapshot)).isFalse();

            // Retain: the children and their snapshots stay, Ready
            cluster.kubectl("delete", "snapshotschedule", "keeps", "-n", ns);
            await().atMost(T)
                    .pollInterval(Duration.ofSeconds(1))
                    .until(() -> E2eObjects.get(cluster, ns, "snapshotschedules", "keeps") == null);
            Thread.sleep(5_000);
            assertThat(children(ns, "keeps"))
                    .isNotEmpty()
                    .allSatisfy(c ->
                            assertThat(c.getMetadata().getDeletionTimestamp()).isNull());
            assertThat(E2eObjects.status(
                            cluster, ns, "instancesnapshots", kept.getMetadata().getName()))
                    .containsEntry("phase", "Ready");
            assertThat(a.snapshotExists(instance, keptSnapshot)).isTrue();

            // and through the deletion of their namespace
            cluster.kubectl("delete", "namespace", ns, "--wait=true", "--timeout=180s");
            assertThat(cluster.admin.namespaces().withName(ns).get())
                    .as("namespace gone")
                    .isNull();
            assertThat(a.snapshotExists(instance, keptSnapshot))
                    .as("a retained schedule's snapshot outlives its namespace")
                    .isTrue();
        } finally {
            cluster.kubectl("delete", "namespace", ns, "--wait=true", "--timeout=180s", "--ignore-not-found");
            for (var s : a.listSnapshots(instance)) {
                if (s.name().startsWith("keeps-") || s.name().startsWith("cascade-")) {
                    a.waitFor(a.deleteSnapshot(instance, s.name()), T);
                }
            }
        }
    }

    @Test
    void deletingANamespaceReleasesTheFinalizersAndHonoursDeletionPolicy() throws Exception {
        String ns = "e2e-nsdelete";
        cluster.createNamespace(ns);
        E2eObjects.remote(cluster, ns, "lxd-a", rig, "a");
        cluster.kubectlIn("""
        apiVersion: lxdbackup.io/v1alpha1
        kind: InstanceSnapshot
        metadata: {name: goes, namespace: %s}
        spec: {remoteRef: {name: lxd-a}, instance: %s, snapshotName: e2e-goes, deletionPolicy: Delete}
        ---
        apiVersion: lxdbackup.io/v1alpha1
        kind: InstanceSnapshot
        metadata: {name: stays, namespace: %s}
        spec: {remoteRef: {name: lxd-a}, instance: %s, snapshotName: e2e-stays, deletionPolicy: Retain}
        """.formatted(ns, instance, ns, instance), "apply", "-f", "-");
        E2eObjects.awaitStatus(cluster, ns, "instancesnapshots", "goes", "phase", "Ready", T);
        E2eObjects.awaitStatus(cluster, ns, "instancesnapshots", "stays", "phase", "Ready", T);
        assertThat(E2eObjects.get(cluster, ns, "instancesnapshots", "goes")
                        .getMetadata()
                        .getFinalizers())
                .isNotEmpty();

        cluster.kubectl("delete", "namespace", ns, "--wait=true", "--timeout=180s");
        assertThat(cluster.admin.namespaces().withName(ns).get())
                .as("namespace gone")
                .isNull();
        assertThat(a.snapshotExists(instance, "e2e-goes"))
                .as("deletionPolicy Delete")
                .isFalse();
        assertThat(a.snapshotExists(instance, "e2e-stays"))
                .as("deletionPolicy Retain")
                .isTrue();
        a.waitFor(a.deleteSnapshot(instance, "e2e-stays"), T);
    }

    /**
     * The leader cannot renew its Lease while the API server is away (and, right after it is back,
     * its RBAC cache is still empty, so the first requests are refused): past the renew deadline
     * (10 s) it exits, as client-go's leader election does, and its pod is restarted. The export
     * it was running is finished by the restarted process, exactly once.
     */
    @Test
    void restartingTheApiServerMidExportLosesNothingAndRepeatsNothing() throws Exception {
        OperatorProcess op = cluster.mainOperator();
        int restartsBefore = op.restarts();
        try (SlowExport slow = new SlowExport(cluster, "e2e-apirestart")) {
            slow.start("during-restart");
            cluster.rig.restartApiServer();
            slow.assertCompletedExactlyOnce("during-restart", Duration.ofMinutes(4));
            // reconciling goes on after the restart: a resource created now becomes Ready
            cluster.kubectlIn("""
          apiVersion: lxdbackup.io/v1alpha1
          kind: InstanceSnapshot
          metadata: {name: after-restart, namespace: e2e-apirestart}
          spec: {remoteRef: {name: lxd-a}, instance: %s, snapshotName: after-restart}
          """.formatted(slow.instance), "apply", "-f", "-");
            E2eObjects.awaitStatus(
                    cluster, "e2e-apirestart", "instancesnapshots", "after-restart", "phase", "Ready", T);
        }
        System.out.printf("operator restarts during the API server restart: %d%n", op.restarts() - restartsBefore);
        cluster.assertNothingForbidden(E2eCluster.serviceAccountUser(E2eCluster.SYSTEM_NS, E2eCluster.SERVICE_ACCOUNT));
    }

    /** Without leader election the process outlives the API server's restart: its watches resume. */
    @Test
    void watchesResumeAfterAnApiServerRestart() throws Exception {
        String ns = "e2e-watch";
        cluster.stopMainOperator();
        try (OperatorProcess op = OperatorProcess.start(
                "operator-no-election", cluster.operatorKubeconfig(), List.of("--leader-election=false"))) {
            cluster.createNamespace(ns);
            E2eObjects.remote(cluster, ns, "lxd-a", rig, "a");
            E2eObjects.awaitStatus(cluster, ns, "lxdremotes", "lxd-a", "phase", "Ready", T);
            cluster.rig.restartApiServer();
            for (String name : List.of("w1", "w2")) {
                cluster.kubectlIn("""
            apiVersion: lxdbackup.io/v1alpha1
            kind: InstanceSnapshot
            metadata: {name: %s, namespace: %s}
            spec: {remoteRef: {name: lxd-a}, instance: %s, snapshotName: %s}
            """.formatted(name, ns, instance, name), "apply", "-f", "-");
                E2eObjects.awaitStatus(cluster, ns, "instancesnapshots", name, "phase", "Ready", T);
            }
            assertThat(op.alive()).isTrue();
            assertThat(op.restarts()).isZero();
            cluster.kubectl("delete", "namespace", ns, "--wait=true", "--timeout=180s");
            assertThat(a.snapshotExists(instance, "w1"))
                    .as("deleted with its InstanceSnapshot")
                    .isFalse();
        } finally {
            cluster.mainOperator();
        }
    }
}
