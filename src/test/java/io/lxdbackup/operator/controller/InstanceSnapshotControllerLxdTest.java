package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.DeletionPolicy;
import io.lxdbackup.operator.api.v1alpha1.DiskVolumesMode;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshot;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotSpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotStatus;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.lxd.Operation;
import io.lxdbackup.operator.lxd.Snapshot;
import io.lxdbackup.operator.testing.Fixtures;
import io.lxdbackup.operator.testing.LxdRig;
import io.lxdbackup.operator.testing.OperatorHarness;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** InstanceSnapshot through the operator as deployed, against the real LXD rig. */
@Tag("lxd")
class InstanceSnapshotControllerLxdTest {
    static final Duration T = Duration.ofMinutes(1);
    static LxdRig rig;
    static OperatorHarness op;
    static KubernetesClient kube;
    static LxdClient lxd;
    static final List<String> instances = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() {
        rig = LxdRig.require();
        lxd = rig.clientA();
        op = new OperatorHarness().start();
        kube = op.kube();
        Fixtures.remote(kube, rig, "lxd-a", "a", "5m");
    }

    @AfterAll
    static void stop() {
        if (op != null) {
            op.close();
        }
        if (lxd != null) {
            LxdRig.deleteQuietly(lxd, instances.toArray(String[]::new));
            lxd.close();
        }
    }

    static String instance(String prefix) {
        String n = rig.createInstance(lxd, prefix);
        instances.add(n);
        return n;
    }

    static InstanceSnapshot snapshot(String name, String instance, String snapshotName) {
        InstanceSnapshot s = new InstanceSnapshot();
        s.getMetadata().setName(name);
        s.getMetadata().setNamespace(Fixtures.NS);
        InstanceSnapshotSpec spec = new InstanceSnapshotSpec();
        spec.setRemoteRef(new ObjectRef("lxd-a"));
        spec.setInstance(instance);
        spec.setSnapshotName(snapshotName);
        s.setSpec(spec);
        return s;
    }

    static InstanceSnapshot get(String name) {
        return kube.resources(InstanceSnapshot.class)
                .inNamespace(Fixtures.NS)
                .withName(name)
                .get();
    }

    static InstanceSnapshot awaitStatus(String name, Predicate<InstanceSnapshotStatus> p) {
        await().atMost(T).pollInterval(Duration.ofMillis(200)).until(() -> {
            InstanceSnapshot s = get(name);
            return s != null && s.getStatus() != null && p.test(s.getStatus());
        });
        return get(name);
    }

    static InstanceSnapshot awaitReady(String name) {
        return awaitStatus(
                name, st -> st.getPhase() == InstanceSnapshotPhase.READY && Boolean.TRUE.equals(st.getReadyToUse()));
    }

    static Condition ready(InstanceSnapshot s) {
        return s.getStatus().findCondition(Condition.READY).orElseThrow();
    }

    static InstanceSnapshot awaitReason(String name, String reason) {
        return awaitStatus(
                name,
                st -> st.findCondition(Condition.READY)
                        .map(c -> reason.equals(c.getReason()))
                        .orElse(false));
    }

    @Test
    void lifecycleCreateEditExpiryDelete() {
        String inst = instance("isnap");
        InstanceSnapshot s = snapshot("life", inst, "before-upgrade");
        s.getSpec().setTtl("48h");
        kube.resource(s).create();

        InstanceSnapshot ready = awaitReady("life");
        InstanceSnapshotStatus st = ready.getStatus();
        Snapshot onServer = lxd.getSnapshot(inst, "before-upgrade");
        assertThat(st.getSnapshotName()).isEqualTo("before-upgrade");
        assertThat(st.getCreationTime())
                .isEqualTo(onServer.createdAt().truncatedTo(ChronoUnit.SECONDS).toString());
        assertThat(onServer.expiresAt()).isCloseTo(onServer.createdAt().plus(Duration.ofHours(48)), within(2));
        assertThat(st.getExpiresAt())
                .isEqualTo(onServer.expiresAt().truncatedTo(ChronoUnit.SECONDS).toString());
        assertThat(st.getStateful()).isFalse();
        assertThat(st.getSize()).isEqualTo(onServer.size());
        assertThat(st.getObservedGeneration()).isEqualTo(ready.getMetadata().getGeneration());
        // the operator never writes the spec: still the generation the user created
        assertThat(ready.getMetadata().getGeneration()).isEqualTo(1L);
        awaitEvent("life", "Normal", "Created");
        String metrics = metrics();
        assertThat(
                        metricValue(
                                metrics,
                                "lxdbackup_operations_total{kind=\"InstanceSnapshot\",operation=\"create\",result=\"success\"}"))
                .isGreaterThanOrEqualTo(1.0);
        assertThat((long) metricValue(
                        metrics,
                        "lxdbackup_last_success_timestamp{instance=\"" + inst
                                + "\",kind=\"InstanceSnapshot\",namespace=\"default\",remote=\"lxd-a\"}"))
                .isEqualTo(onServer.createdAt().getEpochSecond());
        assertThat(ready(ready).getStatus()).isEqualTo("True");
        assertThat(ready.getMetadata().getFinalizers()).isNotEmpty();

        // an expiry edit is applied to the server
        Instant at = Instant.now().plus(Duration.ofDays(30)).truncatedTo(ChronoUnit.SECONDS);
        ready.getSpec().setTtl(null);
        ready.getSpec().setExpiresAt(at.toString());
        kube.resource(ready).update();
        await().atMost(T)
                .until(() -> at.equals(lxd.getSnapshot(inst, "before-upgrade").expiresAt()));
        InstanceSnapshot edited = awaitStatus("life", x -> at.toString().equals(x.getExpiresAt()));
        edited.getSpec().setExpiresAt(null);
        edited.getSpec().setNoExpiry(true);
        kube.resource(edited).update();
        await().atMost(T).until(() -> lxd.getSnapshot(inst, "before-upgrade").expiresAt() == null);

        // Delete (default policy) removes the LXD snapshot
        kube.resources(InstanceSnapshot.class)
                .inNamespace(Fixtures.NS)
                .withName("life")
                .delete();
        await().atMost(T).until(() -> get("life") == null);
        assertThat(lxd.snapshotExists(inst, "before-upgrade")).isFalse();
        awaitEvent("life", "Normal", "Deleted");
    }

    @Test
    void creatingTheMissingRemoteCarriesOnWithinSeconds() {
        String inst = instance("later");
        String remote = LxdRig.uniqueName("lxd-later");
        InstanceSnapshot s = snapshot("later", inst, "later");
        s.getSpec().setRemoteRef(new ObjectRef(remote));
        kube.resource(s).create();
        assertThat(ready(awaitReason("later", Reasons.REMOTE_NOT_FOUND)).getMessage())
                .contains(remote);
        awaitEvent("later", "Warning", Reasons.REMOTE_NOT_FOUND);

        // the next resync is 10 minutes away: the remote's appearance wakes the snapshot
        Fixtures.remote(kube, rig, remote, "a", "5m");
        await().atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    InstanceSnapshot x = get("later");
                    return x.getStatus() != null && x.getStatus().getPhase() == InstanceSnapshotPhase.READY;
                });
        assertThat(lxd.snapshotExists(inst, "later")).isTrue();
        awaitEvent("later", "Normal", "Recovered");
    }

    @Test
    void deletionThatCannotReachTheServerShowsDeletingAndFinishesOnceItCan() {
        String inst = instance("deleting");
        String remote = LxdRig.uniqueName("lxd-del");
        Fixtures.remote(kube, rig, remote, "a", "5m");
        InstanceSnapshot s = snapshot("deleting", inst, "doomed");
        s.getSpec().setRemoteRef(new ObjectRef(remote));
        kube.resource(s).create();
        awaitReady("deleting");

        setRemoteUrl(remote, "https://127.0.0.1:1");
        kube.resources(InstanceSnapshot.class)
                .inNamespace(Fixtures.NS)
                .withName("deleting")
                .delete();
        InstanceSnapshot stuck = awaitStatus("deleting", st -> st.getPhase() == InstanceSnapshotPhase.DELETING);
        assertThat(stuck.getMetadata().getDeletionTimestamp()).isNotNull();
        awaitEvent("deleting", "Warning", Reasons.SERVER_UNREACHABLE);
        assertThat(get("deleting")).isNotNull();
        assertThat(lxd.snapshotExists(inst, "doomed")).isTrue();

        // the remote's fix wakes the pending deletion
        setRemoteUrl(remote, rig.get("a.url"));
        await().atMost(Duration.ofSeconds(30)).until(() -> get("deleting") == null);
        assertThat(lxd.snapshotExists(inst, "doomed")).isFalse();
    }

    static void setRemoteUrl(String remote, String url) {
        kube.resources(io.lxdbackup.operator.api.v1alpha1.LxdRemote.class)
                .inNamespace(Fixtures.NS)
                .withName(remote)
                .edit(r -> {
                    r.getSpec().setUrl(url);
                    return r;
                });
    }

    static List<io.fabric8.kubernetes.api.model.Event> events(String name) {
        return kube.v1().events().inNamespace(Fixtures.NS).list().getItems().stream()
                .filter(e -> name.equals(e.getInvolvedObject().getName())
                        && "InstanceSnapshot".equals(e.getInvolvedObject().getKind()))
                .toList();
    }

    /** Events are written in the background. */
    static void awaitEvent(String name, String type, String reason) {
        await().atMost(T)
                .pollInterval(Duration.ofMillis(200))
                .until(() ->
                        events(name).stream().anyMatch(e -> type.equals(e.getType()) && reason.equals(e.getReason())));
    }

    static String metrics() {
        try {
            java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient()
                    .send(
                            java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                                            "http://127.0.0.1:" + op.runtime().httpPort() + "/metrics"))
                                    .build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            return r.body();
        } catch (java.io.IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The value of one series (name and labels exactly as exposed) in Prometheus text format. */
    static double metricValue(String metrics, String series) {
        return metrics.lines()
                .filter(l -> l.startsWith(series + " "))
                .findFirst()
                .map(l -> Double.parseDouble(
                        l.substring(series.length() + 1).trim().split(" ")[0]))
                .orElseThrow(() -> new AssertionError("no series " + series + " in /metrics"));
    }

    @Test
    void noExpiryAtCreationOverridesTheInstancesSnapshotsExpiry() {
        String inst = instance("noexp");
        lxd.updateInstanceConfig(inst, Map.of("snapshots.expiry", "2d"), null);
        // the instance's rule is in force: a snapshot taken without the operator gets it
        lxd.waitFor(lxd.createSnapshot(inst, LxdClient.SnapshotRequest.named("by-hand")), T);
        Snapshot byHand = lxd.getSnapshot(inst, "by-hand");
        assertThat(byHand.expiresAt()).isCloseTo(byHand.createdAt().plus(Duration.ofDays(2)), within(2));

        InstanceSnapshot named = snapshot("noexp-named", inst, "forever");
        named.getSpec().setNoExpiry(true);
        kube.resource(named).create();
        InstanceSnapshot unnamed = snapshot("noexp-pattern", inst, null);
        unnamed.getSpec().setNoExpiry(true);
        kube.resource(unnamed).create();

        InstanceSnapshot a = awaitReady("noexp-named");
        InstanceSnapshot b = awaitReady("noexp-pattern");
        assertThat(lxd.getSnapshot(inst, "forever").expiresAt()).isNull();
        assertThat(lxd.getSnapshot(inst, b.getStatus().getSnapshotName()).expiresAt())
                .isNull();
        assertThat(a.getStatus().getExpiresAt()).isNull();
        assertThat(b.getStatus().getExpiresAt()).isNull();
        // and it stays so: a resync does not bring the instance's rule back
        kube.resource(get("noexp-named")).edit(x -> {
            x.getMetadata().setAnnotations(Map.of("touch", "1"));
            return x;
        });
        assertThat(lxd.getSnapshot(inst, "forever").expiresAt()).isNull();
    }

    @Test
    void removingExpiresAtOrTtlClearsTheExpiryOnTheServer() {
        String inst = instance("unexp");
        InstanceSnapshot s = snapshot("unexp", inst, "s1");
        s.getSpec().setTtl("48h");
        kube.resource(s).create();
        awaitReady("unexp");
        assertThat(lxd.getSnapshot(inst, "s1").expiresAt()).isNotNull();

        // ttl removed: no expiry any more, on the server and in the status
        InstanceSnapshot edited = get("unexp");
        edited.getSpec().setTtl(null);
        kube.resource(edited).update();
        await().atMost(T).until(() -> lxd.getSnapshot(inst, "s1").expiresAt() == null);
        awaitStatus("unexp", st -> st.getExpiresAt() == null && readyNow(get("unexp")));

        // expiresAt set, then removed: cleared again
        Instant at = Instant.now().plus(Duration.ofDays(9)).truncatedTo(ChronoUnit.SECONDS);
        edited = get("unexp");
        edited.getSpec().setExpiresAt(at.toString());
        kube.resource(edited).update();
        await().atMost(T).until(() -> at.equals(lxd.getSnapshot(inst, "s1").expiresAt()));
        awaitStatus("unexp", st -> at.toString().equals(st.getExpiresAt()) && readyNow(get("unexp")));
        edited = get("unexp");
        edited.getSpec().setExpiresAt(null);
        kube.resource(edited).update();
        await().atMost(T).until(() -> lxd.getSnapshot(inst, "s1").expiresAt() == null);
        awaitStatus("unexp", st -> st.getExpiresAt() == null && readyNow(get("unexp")));

        // on an instance with snapshots.expiry, removing ttl gives what LXD gives by default
        String ruled = instance("unexpr");
        lxd.updateInstanceConfig(ruled, Map.of("snapshots.expiry", "3d"), null);
        InstanceSnapshot r = snapshot("unexp-ruled", ruled, "s1");
        r.getSpec().setTtl("1h");
        kube.resource(r).create();
        awaitReady("unexp-ruled");
        Snapshot first = lxd.getSnapshot(ruled, "s1");
        assertThat(first.expiresAt()).isCloseTo(first.createdAt().plus(Duration.ofHours(1)), within(2));
        r = get("unexp-ruled");
        r.getSpec().setTtl(null);
        kube.resource(r).update();
        await().atMost(T)
                .untilAsserted(() -> assertThat(lxd.getSnapshot(ruled, "s1").expiresAt())
                        .isCloseTo(first.createdAt().plus(Duration.ofDays(3)), within(2)));
    }

    static boolean readyNow(InstanceSnapshot s) {
        return s != null
                && InstanceSnapshotReconciler.readyAtGeneration(
                        s.getStatus(), s.getMetadata().getGeneration());
    }

    @Test
    void retainKeepsTheLxdSnapshot() {
        String inst = instance("retain");
        InstanceSnapshot s = snapshot("retain", inst, "keep-me");
        s.getSpec().setDeletionPolicy(DeletionPolicy.RETAIN);
        kube.resource(s).create();
        awaitReady("retain");
        kube.resources(InstanceSnapshot.class)
                .inNamespace(Fixtures.NS)
                .withName("retain")
                .delete();
        await().atMost(T).until(() -> get("retain") == null);
        assertThat(lxd.snapshotExists(inst, "keep-me")).isTrue();
    }

    @Test
    void serverPatternNamesTheSnapshotAndTheNameIsRecorded() {
        String inst = instance("pattern");
        lxd.updateInstanceConfig(inst, Map.of("snapshots.pattern", "auto-%d"), null);
        kube.resource(snapshot("pattern", inst, null)).create();
        InstanceSnapshot ready = awaitReady("pattern");
        assertThat(ready.getStatus().getSnapshotName()).isEqualTo("auto-0");
        assertThat(lxd.listSnapshots(inst)).extracting(Snapshot::name).containsExactly("auto-0");
    }

    @Test
    void existingNameIsAlreadyExistsUnlessReuse() {
        String inst = instance("exists");
        lxd.waitFor(lxd.createSnapshot(inst, LxdClient.SnapshotRequest.named("taken")), T);
        Instant theirs = lxd.getSnapshot(inst, "taken").createdAt();

        kube.resource(snapshot("taken", inst, "taken")).create();
        InstanceSnapshot refused = awaitReason("taken", Reasons.ALREADY_EXISTS);
        assertThat(refused.getStatus().getPhase()).isEqualTo(InstanceSnapshotPhase.FAILED);
        assertThat(ready(refused).getMessage()).contains("reuse");
        // someone else's snapshot is neither adopted nor touched, even when the CR goes away
        kube.resources(InstanceSnapshot.class)
                .inNamespace(Fixtures.NS)
                .withName("taken")
                .delete();
        await().atMost(T).until(() -> get("taken") == null);
        assertThat(lxd.getSnapshot(inst, "taken").createdAt()).isEqualTo(theirs);

        InstanceSnapshot reuse = snapshot("reuse", inst, "taken");
        reuse.getSpec().setReuse(true);
        kube.resource(reuse).create();
        awaitReady("reuse");
        assertThat(lxd.getSnapshot(inst, "taken").createdAt()).isAfter(theirs);
        assertThat(lxd.listSnapshots(inst)).hasSize(1);
    }

    @Test
    void deletedBehindTheOperatorsBackIsSnapshotMissing() {
        String inst = instance("missing");
        kube.resource(snapshot("missing", inst, "gone-soon")).create();
        awaitReady("missing");
        lxd.waitFor(lxd.deleteSnapshot(inst, "gone-soon"), T);
        // the next resync notices; trigger it now with a harmless spec edit of the mutable expiry
        InstanceSnapshot s = get("missing");
        s.getSpec().setTtl("24h");
        kube.resource(s).update();
        InstanceSnapshot missing = awaitReason("missing", Reasons.SNAPSHOT_MISSING);
        assertThat(missing.getStatus().getReadyToUse()).isFalse();
        assertThat(ready(missing).getStatus()).isEqualTo("False");
    }

    @Test
    void badInputTable() {
        String inst = instance("bad");
        InstanceSnapshot noRemote = snapshot("bad-remote", inst, "x");
        noRemote.getSpec().setRemoteRef(new ObjectRef("nope"));
        kube.resource(noRemote).create();
        kube.resource(snapshot("bad-instance", "no-such-instance", "x")).create();
        kube.resource(snapshot("bad-slash", inst, "a/b")).create();
        kube.resource(snapshot("bad-question", inst, "a?b")).create();
        kube.resource(snapshot("bad-amp", inst, "a&b")).create();
        kube.resource(snapshot("bad-plus", inst, "a+b")).create();
        InstanceSnapshot dvm = snapshot("bad-dvm", inst, "dvm");
        dvm.getSpec().setDiskVolumesMode(DiskVolumesMode.ALL_EXCLUSIVE);
        kube.resource(dvm).create();
        InstanceSnapshot ttl = snapshot("bad-ttl", inst, "ttl");
        ttl.getSpec().setTtl("7d");
        kube.resource(ttl).create();
        // LXD 5.0.2 advertises stateful snapshots but the rig has no CRIU
        String running = instance("stateful");
        lxd.waitFor(lxd.changeState(running, "start", false, 30), T);
        InstanceSnapshot stateful = snapshot("bad-stateful", running, "live");
        stateful.getSpec().setStateful(true);
        kube.resource(stateful).create();
        InstanceSnapshot both = snapshot("bad-both", inst, "both");
        both.getSpec().setTtl("1h");
        both.getSpec().setNoExpiry(true);
        kube.resource(both).create();

        assertThat(ready(awaitReason("bad-remote", Reasons.REMOTE_NOT_FOUND)).getMessage())
                .contains("nope");
        assertThat(ready(awaitReason("bad-instance", Reasons.INSTANCE_NOT_FOUND))
                        .getMessage())
                .contains("no-such-instance");
        for (String n : List.of("bad-slash", "bad-question", "bad-amp", "bad-plus")) {
            InstanceSnapshot s = awaitReason(n, Reasons.REJECTED_BY_SERVER);
            assertThat(ready(s).getMessage()).contains("Invalid snapshot name");
            assertThat(s.getStatus().getPhase()).isEqualTo(InstanceSnapshotPhase.FAILED);
            assertThat(s.getStatus().getSnapshotName()).isNull();
        }
        assertThat(ready(awaitReason("bad-dvm", Reasons.NOT_SUPPORTED)).getMessage())
                .contains("not supported by this server")
                .contains("instance_snapshot_multi_volume");
        assertThat(ready(awaitReason("bad-ttl", Reasons.INVALID_SPEC)).getMessage())
                .contains("7d")
                .contains("168h");
        assertThat(ready(awaitReason("bad-both", Reasons.INVALID_SPEC)).getMessage())
                .contains("at most one");
        InstanceSnapshot refused = awaitReason("bad-stateful", Reasons.NOT_SUPPORTED);
        assertThat(ready(refused).getMessage()).contains("CRIU").contains("stateful: false");
        assertThat(refused.getStatus().getPhase()).isEqualTo(InstanceSnapshotPhase.FAILED);
        assertThat(lxd.listSnapshots(inst)).isEmpty();
        assertThat(lxd.listSnapshots(running)).isEmpty();
        awaitEvent("bad-instance", "Warning", Reasons.INSTANCE_NOT_FOUND);
        assertThat(
                        metricValue(
                                metrics(),
                                "lxdbackup_operations_total{kind=\"InstanceSnapshot\",operation=\"reconcile\",result=\"InstanceNotFound\"}"))
                .isGreaterThanOrEqualTo(1.0);

        // no crash loop, no retry storm: permanent failures wait for a change
        int failures = get("bad-instance").getStatus().getFailures();
        int statefulFailures = get("bad-stateful").getStatus().getFailures();
        await().pollDelay(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(5)).until(() -> true);
        assertThat(get("bad-instance").getStatus().getFailures()).isEqualTo(failures);
        assertThat(get("bad-stateful").getStatus().getFailures()).isEqualTo(statefulFailures);
        // and deleting them is immediate (nothing was created)
        kube.resources(InstanceSnapshot.class)
                .inNamespace(Fixtures.NS)
                .withName("bad-slash")
                .delete();
        await().atMost(T).until(() -> get("bad-slash") == null);
    }

    @Test
    void restartAfterIntentBeforeLxdCallCreatesExactlyOne() {
        String inst = instance("crash1");
        op.stop();
        try {
            // As if the operator died right after recording its intent, before calling LXD.
            InstanceSnapshot s = kube.resource(snapshot("crash1", inst, null)).create();
            s.setStatus(intent(lxd.serverTime(), null));
            StatusWriter.patchStatus(kube, s);
        } finally {
            op.start();
        }
        InstanceSnapshot ready = awaitReady("crash1");
        assertThat(lxd.listSnapshots(inst))
                .extracting(Snapshot::name)
                .containsExactly(ready.getStatus().getSnapshotName());
    }

    @Test
    void restartAfterLxdCallBeforeStatusWriteAdoptsInsteadOfDuplicating() {
        String inst = instance("crash2");
        String inst2 = instance("crash3");
        op.stop();
        try {
            // As if LXD created the snapshots but the operator died before writing the result.
            Instant requested = lxd.serverTime();
            InstanceSnapshot named =
                    kube.resource(snapshot("crash2", inst, "named")).create();
            named.setStatus(intent(requested, "named"));
            StatusWriter.patchStatus(kube, named);
            lxd.waitFor(lxd.createSnapshot(inst, LxdClient.SnapshotRequest.named("named")), T);

            InstanceSnapshot unnamed =
                    kube.resource(snapshot("crash3", inst2, null)).create();
            unnamed.setStatus(intent(requested, null));
            StatusWriter.patchStatus(kube, unnamed);
            lxd.waitFor(lxd.createSnapshot(inst2, LxdClient.SnapshotRequest.named(null)), T);
        } finally {
            op.start();
        }
        assertThat(awaitReady("crash2").getStatus().getSnapshotName()).isEqualTo("named");
        assertThat(lxd.listSnapshots(inst)).hasSize(1);
        String adopted = awaitReady("crash3").getStatus().getSnapshotName();
        assertThat(lxd.listSnapshots(inst2)).extracting(Snapshot::name).containsExactly(adopted);
    }

    @Test
    void restartAfterIntentNeverAdoptsASnapshotAUserTookMeanwhile() {
        String inst = instance("mark1");
        String inst2 = instance("mark2");
        String inst3 = instance("mark3");
        lxd.updateInstanceConfig(inst2, Map.of("snapshots.expiry", "2d"), java.util.Set.of());
        Instant requested = lxd.serverTime();
        Instant mark1 = requested
                .plus(Duration.ofDays(36500))
                .truncatedTo(ChronoUnit.SECONDS)
                .plusNanos(123_456_789);
        Instant mark2 = requested
                .plus(Duration.ofDays(2))
                .truncatedTo(ChronoUnit.SECONDS)
                .plusNanos(987_654_321);
        Instant mark3 = requested
                .plus(Duration.ofDays(36500))
                .truncatedTo(ChronoUnit.SECONDS)
                .plusNanos(555_000_001);
        op.stop();
        try {
            // The operator recorded its intent and mark, then died before its request reached LXD;
            // a user took a server-named snapshot in that window.
            InstanceSnapshot s1 = kube.resource(snapshot("mark1", inst, null)).create();
            s1.setStatus(intent(requested, null, mark1));
            StatusWriter.patchStatus(kube, s1);
            lxd.waitFor(lxd.createSnapshot(inst, LxdClient.SnapshotRequest.named(null)), T);

            // Here the request did reach LXD, after a user's own server-named snapshot: the older
            // one is the user's, the one carrying the mark is the operator's.
            InstanceSnapshot s2 = kube.resource(snapshot("mark2", inst2, null)).create();
            s2.setStatus(intent(requested, null, mark2));
            StatusWriter.patchStatus(kube, s2);
            lxd.waitFor(lxd.createSnapshot(inst2, LxdClient.SnapshotRequest.named("users")), T);
            lxd.waitFor(lxd.createSnapshot(inst2, new LxdClient.SnapshotRequest(null, false, mark2, false, null)), T);

            // A fixed name: a user took a snapshot of that very name in the window.
            InstanceSnapshot s3 =
                    kube.resource(snapshot("mark3", inst3, "fixed")).create();
            s3.setStatus(intent(requested, null, mark3));
            StatusWriter.patchStatus(kube, s3);
            lxd.waitFor(lxd.createSnapshot(inst3, LxdClient.SnapshotRequest.named("fixed")), T);
        } finally {
            op.start();
        }
        String users1 = lxd.listSnapshots(inst).get(0).name();
        String own1 = awaitReady("mark1").getStatus().getSnapshotName();
        assertThat(own1).isNotEqualTo(users1);
        assertThat(lxd.listSnapshots(inst)).extracting(Snapshot::name).containsExactlyInAnyOrder(users1, own1);
        // the mark is replaced by the expiry the snapshot is meant to have: none here
        assertThat(lxd.getSnapshot(inst, own1).expiresAt()).isNull();
        assertThat(get("mark1").getStatus().getCreationMark()).isNull();

        InstanceSnapshot ready2 = awaitReady("mark2");
        Snapshot own2 = lxd.getSnapshot(inst2, ready2.getStatus().getSnapshotName());
        assertThat(own2.name()).isNotEqualTo("users");
        assertThat(lxd.listSnapshots(inst2)).hasSize(2);
        // the instance's snapshots.expiry, as LXD would have applied it without the mark
        assertThat(own2.expiresAt())
                .isNotEqualTo(mark2)
                .isCloseTo(own2.createdAt().plus(Duration.ofDays(2)), within(1));
        assertThat(lxd.getSnapshot(inst2, "users").expiresAt())
                .isCloseTo(lxd.getSnapshot(inst2, "users").createdAt().plus(Duration.ofDays(2)), within(1));

        assertThat(ready(awaitReason("mark3", Reasons.ALREADY_EXISTS)).getMessage())
                .contains("fixed");
        assertThat(get("mark3").getStatus().getSnapshotName()).isNull();
        assertThat(lxd.listSnapshots(inst3)).extracting(Snapshot::name).containsExactly("fixed");
        kube.resources(InstanceSnapshot.class)
                .inNamespace(Fixtures.NS)
                .withName("mark3")
                .delete();
        await().atMost(T).until(() -> get("mark3") == null);
        // deleting the resource leaves the user's snapshot alone
        assertThat(lxd.snapshotExists(inst3, "fixed")).isTrue();
    }

    @Test
    void restartRightAfterCreateNeverDuplicates() {
        String inst = instance("crash4");
        for (int i = 0; i < 3; i++) {
            kube.resource(snapshot("crash4-" + i, inst, null)).create();
        }
        op.restart();
        for (int i = 0; i < 3; i++) {
            awaitReady("crash4-" + i);
        }
        op.restart();
        await().pollDelay(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).until(() -> true);
        List<String> names = List.of(
                get("crash4-0").getStatus().getSnapshotName(),
                get("crash4-1").getStatus().getSnapshotName(),
                get("crash4-2").getStatus().getSnapshotName());
        assertThat(names).doesNotHaveDuplicates();
        assertThat(lxd.listSnapshots(inst)).extracting(Snapshot::name).containsExactlyInAnyOrderElementsOf(names);
    }

    @Test
    void restartWhileLxdStillCreatesWaitsForItInsteadOfAdoptingOrDuplicating() {
        // A pool of the test's own whose rsync bandwidth limit makes this snapshot take seconds,
        // so the operator is cut off while LXD is still creating it.
        String pool = LxdRig.uniqueName("slow");
        String inst = LxdRig.uniqueName("crash5");
        rig.lxc("a", "storage", "create", pool, "dir", "rsync.bwlimit=2MB");
        try {
            rig.lxc("a", "init", rig.image(), inst, "-s", pool, "-c", "security.privileged=true");
            byte[] filler = new byte[24 << 20];
            new java.util.Random().nextBytes(filler);
            lxd.writeFile(inst, "/filler", filler, 0644);

            kube.resource(snapshot("crash5", inst, null)).create();
            await().atMost(T)
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> !snapshotCreations(inst).isEmpty());
            op.abandonAndStart();

            // Ready only once LXD has finished: never while the creation still runs
            await().atMost(T).pollInterval(Duration.ofMillis(100)).until(() -> {
                InstanceSnapshot s = get("crash5");
                boolean ready =
                        s != null && s.getStatus() != null && s.getStatus().getPhase() == InstanceSnapshotPhase.READY;
                if (ready) {
                    assertThat(snapshotCreations(inst))
                            .as("Ready while LXD still creates the snapshot")
                            .isEmpty();
                }
                return ready;
            });
            await().atMost(T).until(() -> snapshotCreations(inst).isEmpty());
            assertThat(lxd.listSnapshots(inst))
                    .extracting(Snapshot::name)
                    .containsExactly(get("crash5").getStatus().getSnapshotName());
            kube.resources(InstanceSnapshot.class)
                    .inNamespace(Fixtures.NS)
                    .withName("crash5")
                    .delete();
            await().atMost(T).until(() -> get("crash5") == null);
        } finally {
            await().atMost(T)
                    .until(() ->
                            !lxd.instanceExists(inst) || snapshotCreations(inst).isEmpty());
            LxdRig.deleteQuietly(lxd, inst);
            try {
                rig.lxc("a", "storage", "delete", pool);
            } catch (IllegalStateException e) {
                System.err.println("clean-up left storage pool " + pool + " behind: " + e.getMessage());
            }
        }
    }

    static List<Operation> snapshotCreations(String inst) {
        return lxd.runningOperationsOn(inst).stream()
                .filter(o -> InstanceSnapshotReconciler.SNAPSHOT_CREATE_DESCRIPTION.equals(o.description()))
                .toList();
    }

    static InstanceSnapshotStatus intent(Instant requestedAt, String name, Instant mark) {
        InstanceSnapshotStatus st = intent(requestedAt, name);
        st.setCreationMark(mark.toString());
        return st;
    }

    static InstanceSnapshotStatus intent(Instant requestedAt, String name) {
        InstanceSnapshotStatus st = new InstanceSnapshotStatus();
        st.setPhase(InstanceSnapshotPhase.CREATING);
        st.setSnapshotName(name);
        st.setCreationRequestedAt(requestedAt.toString());
        return st;
    }

    static org.assertj.core.data.TemporalUnitOffset within(long seconds) {
        return new org.assertj.core.data.TemporalUnitWithinOffset(seconds, ChronoUnit.SECONDS);
    }
}
