package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.DeletionPolicy;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshot;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotSpec;
import io.lxdbackup.operator.api.v1alpha1.LxdRemote;
import io.lxdbackup.operator.api.v1alpha1.LxdRemoteSpec;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.local.InMemoryApiServer;
import io.lxdbackup.operator.lxd.LxdTimeouts;
import io.lxdbackup.operator.lxd.Snapshot;
import io.lxdbackup.operator.metrics.OperatorMetrics;
import io.lxdbackup.operator.testing.FakeLxd;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link InstanceSnapshotReconciler} branch by branch, against {@link FakeLxd} and the in-memory
 * API server: reconcile and cleanup are called directly, as JOSDK would, and a status the
 * reconciler asks JOSDK to write is written the same way. A "restart" is a fresh reconciler (and
 * fresh connections) on the same API server and the same fake LXD.
 */
class InstanceSnapshotReconcilerTest {
    static final String NS = "default";
    static final String REMOTE = "fake";
    static InMemoryApiServer api;
    static KubernetesClient kube;

    FakeLxd lxd;
    InstanceSnapshotReconciler reconciler;

    @BeforeAll
    static void startApi() {
        api = new InMemoryApiServer(0);
        kube = api.client();
        LxdRemote r = new LxdRemote();
        r.getMetadata().setName(REMOTE);
        r.getMetadata().setNamespace(NS);
        LxdRemoteSpec spec = new LxdRemoteSpec();
        spec.setUrl("unix:///fake/lxd/unix.socket");
        r.setSpec(spec);
        kube.resource(r).create();
    }

    @AfterAll
    static void stopApi() {
        if (api != null) {
            api.close();
        }
    }

    @BeforeEach
    void fresh() {
        lxd = new FakeLxd();
        restart();
    }

    /** A new reconciler with no memory, as after an operator restart; the server keeps its state. */
    void restart() {
        reconciler = new InstanceSnapshotReconciler(
                kube,
                new RemoteConnections(kube, LxdTimeouts.defaults(), lxd.connector()),
                new EventRecorder(kube, Clock.systemUTC()),
                OperatorMetrics.noop(),
                Clock.systemUTC());
    }

    static String unique(String prefix) {
        return prefix + "-" + Long.toHexString(System.nanoTime());
    }

    InstanceSnapshot create(String instance, String snapshotName, java.util.function.Consumer<InstanceSnapshotSpec> s) {
        InstanceSnapshot snap = new InstanceSnapshot();
        snap.getMetadata().setName(unique("snap"));
        snap.getMetadata().setNamespace(NS);
        snap.getMetadata().setFinalizers(List.of("lxdbackup.io/finalizer"));
        InstanceSnapshotSpec spec = new InstanceSnapshotSpec();
        spec.setRemoteRef(new ObjectRef(REMOTE));
        spec.setInstance(instance);
        spec.setSnapshotName(snapshotName);
        s.accept(spec);
        snap.setSpec(spec);
        return kube.resource(snap).create();
    }

    static InstanceSnapshot get(InstanceSnapshot s) {
        return kube.resources(InstanceSnapshot.class)
                .inNamespace(NS)
                .withName(s.getMetadata().getName())
                .get();
    }

    /** One reconcile of the stored resource; a status JOSDK would write is written. */
    UpdateControl<InstanceSnapshot> reconcile(InstanceSnapshot s) {
        InstanceSnapshot current = get(s);
        UpdateControl<InstanceSnapshot> c = reconciler.reconcile(current, null);
        if (c.isPatchStatus()) {
            StatusWriter.replaceStatus(kube, current, current.getStatus());
        }
        return c;
    }

    static Condition ready(InstanceSnapshot s) {
        return s.getStatus().findCondition(Condition.READY).orElseThrow();
    }

    static Duration delay(UpdateControl<InstanceSnapshot> c) {
        return Duration.ofMillis(c.getScheduleDelay().orElseThrow());
    }

    void assertReady(InstanceSnapshot s) {
        InstanceSnapshot now = get(s);
        assertThat(now.getStatus().getPhase()).isEqualTo(InstanceSnapshotPhase.READY);
        assertThat(now.getStatus().getReadyToUse()).isTrue();
        assertThat(ready(now).getStatus()).isEqualTo("True");
        assertThat(ready(now).getReason()).isEqualTo(Reasons.SNAPSHOT_READY);
    }

    @Test
    void createdSnapshotIsReadyWithTheServersCreationTimeAndExpiry() {
        lxd.addInstance("web");
        InstanceSnapshot s = create("web", "before-upgrade", spec -> spec.setTtl("48h"));

        UpdateControl<InstanceSnapshot> c = reconcile(s);

        assertReady(s);
        // the next check comes at the instance's slot of the resync interval (ResyncSlots): between
        // half an interval and one and a half away, depending on the time of day
        assertThat(delay(c))
                .isBetween(
                        InstanceSnapshotReconciler.RESYNC.dividedBy(2),
                        InstanceSnapshotReconciler.RESYNC.multipliedBy(3).dividedBy(2));
        assertThat(lxd.snapshotNames("web")).containsExactly("before-upgrade");
        Snapshot onServer = lxd.getSnapshot("web", "before-upgrade");
        // the creation mark (random nanoseconds) was replaced by the expiry the spec asks for
        assertThat(onServer.expiresAt()).isEqualTo(onServer.createdAt().plus(Duration.ofHours(48)));
        InstanceSnapshot now = get(s);
        assertThat(now.getStatus().getSnapshotName()).isEqualTo("before-upgrade");
        assertThat(now.getStatus().getCreationTime())
                .isEqualTo(onServer.createdAt().truncatedTo(ChronoUnit.SECONDS).toString());
        assertThat(now.getStatus().getExpiresAt())
                .isEqualTo(onServer.expiresAt().truncatedTo(ChronoUnit.SECONDS).toString());
        assertThat(now.getStatus().getCreationRequestedAt()).isNull();
        assertThat(now.getStatus().getCreationMark()).isNull();
        assertThat(lxd.calls("createSnapshot")).isEqualTo(1);
    }

    @Test
    void serverErrorIsRetriedWithBackoffAndKeepsTheIntent() {
        lxd.addInstance("web");
        lxd.failNext("createSnapshot", 1, FakeLxd::serverError);
        InstanceSnapshot s = create("web", null, spec -> {});

        UpdateControl<InstanceSnapshot> c = reconcile(s);

        InstanceSnapshot failed = get(s);
        assertThat(ready(failed).getStatus()).isEqualTo("False");
        assertThat(ready(failed).getReason()).isEqualTo(Reasons.LXD_ERROR);
        assertThat(ready(failed).getMessage()).contains("fake server error");
        // transient: still Creating with the intent recorded, retried after the first back-off step
        assertThat(failed.getStatus().getPhase()).isEqualTo(InstanceSnapshotPhase.CREATING);
        assertThat(failed.getStatus().getCreationRequestedAt()).isNotNull();
        assertThat(delay(c)).isEqualTo(Backoff.delay(1, Duration.ofMinutes(5)));
        assertThat(lxd.snapshotNames("web")).isEmpty();

        reconcile(s);

        assertReady(s);
        assertThat(lxd.snapshotNames("web")).hasSize(1);
        assertThat(get(s).getStatus().getSnapshotName())
                .isEqualTo(lxd.snapshotNames("web").get(0));
    }

    @Test
    void missingInstanceFailsForGoodWithInstanceNotFound() {
        InstanceSnapshot s = create("nope", "x", spec -> {});

        UpdateControl<InstanceSnapshot> c = reconcile(s);

        InstanceSnapshot failed = get(s);
        assertThat(failed.getStatus().getPhase()).isEqualTo(InstanceSnapshotPhase.FAILED);
        assertThat(ready(failed).getReason()).isEqualTo(Reasons.INSTANCE_NOT_FOUND);
        assertThat(ready(failed).getMessage()).contains("nope").contains(REMOTE);
        // permanent: not retried on the back-off, only at the periodic check
        assertThat(delay(c)).isEqualTo(InstanceSnapshotReconciler.RESYNC);
        assertThat(lxd.calls("createSnapshot")).isZero();
    }

    @Test
    void unreachableServerBacksOffLongerEachTimeAndRecovers() {
        lxd.addInstance("web");
        lxd.failAlways("*", FakeLxd::unreachable);
        InstanceSnapshot s = create("web", "s1", spec -> {});

        Duration first = delay(reconcile(s));
        Duration second = delay(reconcile(s));

        InstanceSnapshot failing = get(s);
        assertThat(ready(failing).getReason()).isEqualTo(Reasons.SERVER_UNREACHABLE);
        assertThat(failing.getStatus().getFailures()).isEqualTo(2);
        assertThat(first).isEqualTo(Backoff.delay(1, Duration.ofMinutes(5)));
        assertThat(second).isEqualTo(Backoff.delay(2, Duration.ofMinutes(5))).isGreaterThan(first);

        lxd.heal();
        reconcile(s);
        assertReady(s);
        assertThat(lxd.snapshotNames("web")).containsExactly("s1");
    }

    @Test
    void garbageAnswerIsRejectedAndDropsTheIntent() {
        lxd.addInstance("web");
        lxd.failNext("createSnapshot", 1, FakeLxd::garbage);
        InstanceSnapshot s = create("web", "s1", spec -> {});

        UpdateControl<InstanceSnapshot> c = reconcile(s);

        InstanceSnapshot failed = get(s);
        assertThat(failed.getStatus().getPhase()).isEqualTo(InstanceSnapshotPhase.FAILED);
        assertThat(ready(failed).getReason()).isEqualTo(Reasons.REJECTED_BY_SERVER);
        assertThat(failed.getStatus().getCreationRequestedAt()).isNull();
        assertThat(delay(c)).isEqualTo(InstanceSnapshotReconciler.RESYNC);
        assertThat(lxd.snapshotNames("web")).isEmpty();
    }

    @Test
    void crashAfterRecordingTheIntentBeforeTheRequestCreatesExactlyOneAfterRestart() {
        lxd.addInstance("web");
        lxd.crashBefore("createSnapshot");
        InstanceSnapshot s = create("web", null, spec -> {});

        assertThatThrownBy(() -> reconcile(s)).isInstanceOf(FakeLxd.Crash.class);
        InstanceSnapshot cut = get(s);
        assertThat(cut.getStatus().getPhase()).isEqualTo(InstanceSnapshotPhase.CREATING);
        assertThat(cut.getStatus().getCreationRequestedAt()).isNotNull();
        assertThat(lxd.snapshotNames("web")).isEmpty();

        restart();
        reconcile(s);

        assertReady(s);
        assertThat(lxd.snapshotNames("web")).hasSize(1);
        assertThat(lxd.calls("createSnapshot")).isEqualTo(2);
    }

    @Test
    void crashAfterTheServerCreatedTheSnapshotAdoptsItAfterRestart() {
        lxd.addInstance("web");
        // a snapshot a user took is never adopted
        lxd.addSnapshot("web", "users", null);
        lxd.crashAfter("createSnapshot");
        InstanceSnapshot s = create("web", null, spec -> {});

        assertThatThrownBy(() -> reconcile(s)).isInstanceOf(FakeLxd.Crash.class);
        assertThat(lxd.snapshotNames("web")).hasSize(2);

        restart();
        reconcile(s);

        assertReady(s);
        // the answer was lost, the snapshot was not: adopted, not taken twice
        assertThat(lxd.snapshotNames("web")).hasSize(2);
        assertThat(lxd.calls("createSnapshot")).isEqualTo(1);
        assertThat(get(s).getStatus().getSnapshotName()).isNotEqualTo("users").isIn(lxd.snapshotNames("web"));
    }

    @Test
    void intentIsRecordedBeforeTheRequestReachesTheServer() throws Exception {
        lxd.addInstance("web");
        FakeLxd.Gate gate = lxd.hang("createSnapshot");
        InstanceSnapshot s = create("web", "held", spec -> {});

        // its own thread: the common pool (one thread on two CPUs) also runs the API client's work
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor();
        CompletableFuture<UpdateControl<InstanceSnapshot>> run =
                CompletableFuture.supplyAsync(() -> reconcile(s), pool);
        assertThat(gate.awaitHeld(Duration.ofSeconds(10))).isTrue();
        InstanceSnapshot meanwhile = get(s);
        assertThat(meanwhile.getStatus().getPhase()).isEqualTo(InstanceSnapshotPhase.CREATING);
        assertThat(ready(meanwhile).getReason()).isEqualTo(Reasons.CREATING);
        assertThat(lxd.snapshotNames("web")).isEmpty();

        gate.release();
        run.get(10, TimeUnit.SECONDS);
        pool.shutdown();
        assertReady(s);
        assertThat(lxd.snapshotNames("web")).containsExactly("held");
    }

    @Test
    void deletionWithPolicyDeleteRemovesTheSnapshot() {
        lxd.addInstance("web").addSnapshot("web", "keep-me", null);
        InstanceSnapshot s = create("web", "doomed", spec -> spec.setDeletionPolicy(DeletionPolicy.DELETE));
        reconcile(s);
        assertReady(s);

        DeleteControl d = reconciler.cleanup(get(s), null);

        assertThat(d.isRemoveFinalizer()).isTrue();
        assertThat(lxd.snapshotNames("web")).containsExactly("keep-me");
    }

    @Test
    void deletionWithPolicyRetainKeepsTheSnapshot() {
        lxd.addInstance("web");
        InstanceSnapshot s = create("web", "kept", spec -> spec.setDeletionPolicy(DeletionPolicy.RETAIN));
        reconcile(s);

        DeleteControl d = reconciler.cleanup(get(s), null);

        assertThat(d.isRemoveFinalizer()).isTrue();
        assertThat(lxd.snapshotNames("web")).containsExactly("kept");
        assertThat(lxd.calls("deleteSnapshot")).isZero();
    }

    @Test
    void deletingASnapshotThatIsAlreadyGoneSucceeds() {
        lxd.addInstance("web");
        InstanceSnapshot s = create("web", "gone", spec -> {});
        reconcile(s);
        lxd.removeSnapshot("web", "gone");

        DeleteControl d = reconciler.cleanup(get(s), null);

        assertThat(d.isRemoveFinalizer()).isTrue();
        assertThat(lxd.calls("deleteSnapshot")).isEqualTo(1);
    }

    @Test
    void deletionThatCannotReachTheServerKeepsTheFinalizerAndRetries() {
        lxd.addInstance("web");
        InstanceSnapshot s = create("web", "later", spec -> {});
        reconcile(s);
        lxd.failNext("deleteSnapshot", 1, FakeLxd::timeout);

        DeleteControl d = reconciler.cleanup(get(s), null);

        assertThat(d.isRemoveFinalizer()).isFalse();
        assertThat(d.getScheduleDelay()).isPresent();
        assertThat(lxd.snapshotNames("web")).containsExactly("later");

        assertThat(reconciler.cleanup(get(s), null).isRemoveFinalizer()).isTrue();
        assertThat(lxd.snapshotNames("web")).isEmpty();
    }

    @Test
    void expiryEditIsAppliedToTheServer() {
        lxd.addInstance("web");
        InstanceSnapshot s = create("web", "edit", spec -> spec.setTtl("48h"));
        reconcile(s);

        Instant at = Instant.now().plus(Duration.ofDays(30)).truncatedTo(ChronoUnit.SECONDS);
        InstanceSnapshot edit = get(s);
        edit.getSpec().setTtl(null);
        edit.getSpec().setExpiresAt(at.toString());
        kube.resource(edit).update();
        reconcile(s);

        assertThat(lxd.getSnapshot("web", "edit").expiresAt()).isEqualTo(at);
        assertThat(get(s).getStatus().getExpiresAt()).isEqualTo(at.toString());

        edit = get(s);
        edit.getSpec().setExpiresAt(null);
        edit.getSpec().setNoExpiry(true);
        kube.resource(edit).update();
        reconcile(s);

        assertThat(lxd.getSnapshot("web", "edit").expiresAt()).isNull();
        assertThat(get(s).getStatus().getExpiresAt()).isNull();
        assertReady(s);
    }

    @Test
    void aSchedulesNamePatternNamesAVolumeSnapshotBeforeTheVolumesOwnPattern() {
        lxd.createVolume("default", "data", java.util.Map.of("snapshots.pattern", "snap%d"));
        InstanceSnapshot snap = new InstanceSnapshot();
        snap.getMetadata().setName(unique("vol"));
        snap.getMetadata().setNamespace(NS);
        snap.getMetadata().setFinalizers(List.of("lxdbackup.io/finalizer"));
        // what a SnapshotSchedule with snapshotNamePattern: daily-%d puts on its volume children
        snap.getMetadata()
                .setAnnotations(java.util.Map.of(InstanceSnapshotReconciler.ANNOTATION_NAME_PATTERN, "daily-%d"));
        InstanceSnapshotSpec spec = new InstanceSnapshotSpec();
        spec.setRemoteRef(new ObjectRef(REMOTE));
        spec.setVolume(new io.lxdbackup.operator.api.v1alpha1.VolumeRef("default", "data"));
        snap.setSpec(spec);
        InstanceSnapshot s = kube.resource(snap).create();

        reconcile(s);

        assertReady(s);
        io.lxdbackup.operator.lxd.VolumeTarget data = new io.lxdbackup.operator.lxd.VolumeTarget("default", "data");
        assertThat(lxd.listSnapshots(data).stream().map(Snapshot::name)).containsExactly("daily-0");
        assertThat(get(s).getStatus().getSnapshotName()).isEqualTo("daily-0");
    }

    @Test
    void snapshotDeletedBehindTheOperatorsBackIsReportedMissing() {
        lxd.addInstance("web");
        InstanceSnapshot s = create("web", "vanish", spec -> {});
        reconcile(s);
        lxd.removeSnapshot("web", "vanish");

        reconcile(s);

        InstanceSnapshot now = get(s);
        assertThat(now.getStatus().getPhase()).isEqualTo(InstanceSnapshotPhase.FAILED);
        assertThat(ready(now).getReason()).isEqualTo(Reasons.SNAPSHOT_MISSING);
        assertThat(lxd.calls("createSnapshot")).isEqualTo(1);
    }
}
