package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.InstanceRunStatus;
import io.lxdbackup.operator.api.v1alpha1.InstanceSelector;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshot;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotPhase;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.api.v1alpha1.RetentionSpec;
import io.lxdbackup.operator.api.v1alpha1.RunResult;
import io.lxdbackup.operator.api.v1alpha1.SchedulePhase;
import io.lxdbackup.operator.api.v1alpha1.SnapshotSchedule;
import io.lxdbackup.operator.api.v1alpha1.SnapshotScheduleMode;
import io.lxdbackup.operator.api.v1alpha1.SnapshotScheduleSpec;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.lxd.Snapshot;
import io.lxdbackup.operator.testing.Fixtures;
import io.lxdbackup.operator.testing.LxdRig;
import io.lxdbackup.operator.testing.MutableClock;
import io.lxdbackup.operator.testing.OperatorHarness;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * SnapshotSchedule end to end on the real LXD rig, with an injected clock moved by the test
 * (schedules re-decide every second of real time, so moving the clock fires them).
 */
@Tag("lxd")
class SnapshotScheduleControllerLxdTest {
    static final Duration T = Duration.ofSeconds(60);
    static LxdRig rig;
    static MutableClock clock;
    static OperatorHarness op;
    static KubernetesClient kube;
    static LxdClient lxd;
    static final List<String> instances = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() {
        rig = LxdRig.require();
        lxd = rig.clientA();
        // start at the beginning of an hour so "+1h" always crosses exactly one @hourly boundary
        clock = new MutableClock(
                Instant.now().truncatedTo(java.time.temporal.ChronoUnit.HOURS).plusSeconds(60));
        op = new OperatorHarness(clock, Duration.ofSeconds(1)).start();
        kube = op.kube();
        Fixtures.remote(kube, rig, "lxd-a", "a", "5m");
    }

    /**
     * Each test starts with the clock just after the start of the current real hour: earlier
     * than the schedules it creates (whose creation time is real time), so nothing is due until
     * the test moves the clock.
     */
    @BeforeEach
    void resetClock() {
        clock.set(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.HOURS).plusSeconds(60));
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

    static String instance(String prefix, Map<String, String> config) {
        String n = rig.createInstance(lxd, prefix);
        if (config != null) {
            lxd.updateInstanceConfig(n, config, null);
        }
        instances.add(n);
        return n;
    }

    static SnapshotSchedule schedule(String name, String cron, List<String> insts) {
        SnapshotSchedule s = new SnapshotSchedule();
        s.getMetadata().setName(name);
        s.getMetadata().setNamespace(Fixtures.NS);
        SnapshotScheduleSpec spec = new SnapshotScheduleSpec();
        spec.setRemoteRef(new ObjectRef("lxd-a"));
        spec.setSchedule(cron);
        spec.setInstances(insts);
        spec.setIncludeStopped(true);
        s.setSpec(spec);
        return s;
    }

    static SnapshotSchedule get(String name) {
        return kube.resources(SnapshotSchedule.class)
                .inNamespace(Fixtures.NS)
                .withName(name)
                .get();
    }

    static SnapshotSchedule awaitSchedule(String name, Predicate<SnapshotSchedule> p) {
        await().atMost(T).pollInterval(Duration.ofMillis(250)).until(() -> {
            SnapshotSchedule s = get(name);
            return s != null && s.getStatus() != null && p.test(s);
        });
        return get(name);
    }

    static List<InstanceSnapshot> children(String schedule) {
        return kube.resources(InstanceSnapshot.class)
                .inNamespace(Fixtures.NS)
                .withLabel(ScheduleReconcilerBase.LABEL_SCHEDULE, schedule)
                .list()
                .getItems();
    }

    static void awaitChildrenReady(String schedule, int n) {
        try {
            awaitChildrenReady0(schedule, n);
        } catch (RuntimeException e) {
            // what the children looked like, for the failure report
            children(schedule)
                    .forEach(c -> System.err.println("child of " + schedule + " at timeout: "
                            + c.getMetadata().getName() + " "
                            + io.fabric8.kubernetes.client.utils.Serialization.asJson(c.getStatus())));
            throw e;
        }
    }

    static void awaitChildrenReady0(String schedule, int n) {
        await().atMost(T).pollInterval(Duration.ofMillis(250)).until(() -> {
            List<InstanceSnapshot> c = children(schedule);
            return c.size() == n
                    && c.stream()
                            .allMatch(x ->
                                    x.getStatus() != null && x.getStatus().getPhase() == InstanceSnapshotPhase.READY);
        });
    }

    static Condition ready(SnapshotSchedule s) {
        return s.getStatus().findCondition(Condition.READY).orElseThrow();
    }

    @Test
    void firesOnInjectedClockCreatesSnapshotsAndRetentionDeletesThem() {
        String i1 = instance("ss-a", null);
        String i2 = instance("ss-b", null);
        SnapshotSchedule s = schedule("hourly", "@hourly", List.of(i1, i2));
        s.getSpec().setRetention(retention(2));
        kube.resource(s).create();
        SnapshotSchedule active = awaitSchedule("hourly", x -> x.getStatus().getPhase() == SchedulePhase.ACTIVE);
        assertThat(active.getStatus().getNextScheduleTime()).isNotNull();
        assertThat(children("hourly")).isEmpty();

        // how each child looked when it first appeared: created with its controller's finalizer,
        // so that controller does not need a write and a round of its own to add it
        List<List<String>> finalizersAtCreation = new java.util.concurrent.CopyOnWriteArrayList<>();
        var watch = kube.resources(InstanceSnapshot.class)
                .inNamespace(Fixtures.NS)
                .withLabel(ScheduleReconcilerBase.LABEL_SCHEDULE, "hourly")
                .inform(new io.fabric8.kubernetes.client.informers.ResourceEventHandler<>() {
                    @Override
                    public void onAdd(InstanceSnapshot c) {
                        finalizersAtCreation.add(
                                c.getMetadata().getFinalizers() == null
                                        ? List.of()
                                        : c.getMetadata().getFinalizers());
                    }

                    @Override
                    public void onUpdate(InstanceSnapshot o, InstanceSnapshot n) {}

                    @Override
                    public void onDelete(InstanceSnapshot c, boolean unknown) {}
                });
        List<String> runTimes = new java.util.ArrayList<>();
        for (int run = 1; run <= 3; run++) {
            clock.advance(Duration.ofHours(1));
            String due = clock.instant()
                    .truncatedTo(java.time.temporal.ChronoUnit.HOURS)
                    .toString();
            runTimes.add(due);
            awaitSchedule("hourly", x -> due.equals(x.getStatus().getLastScheduleTime()));
            // after run 3, retention (keepLast 2) removes run 1's children
            awaitChildrenReady("hourly", Math.min(run, 2) * 2);
        }
        watch.close();
        assertThat(finalizersAtCreation)
                .hasSize(6)
                .allSatisfy(f -> assertThat(f).containsExactly("instancesnapshots.lxdbackup.io/finalizer"));
        String stamp2 = runTimes.get(1).replaceAll("[-T:]", "").substring(0, 12);
        String stamp3 = runTimes.get(2).replaceAll("[-T:]", "").substring(0, 12);
        assertThat(children("hourly"))
                .extracting(c -> c.getMetadata()
                        .getName()
                        .substring(c.getMetadata().getName().length() - 12))
                .containsExactlyInAnyOrder(stamp2, stamp2, stamp3, stamp3);
        SnapshotSchedule after = awaitSchedule(
                "hourly",
                x -> x.getStatus().getInstances() != null
                        && x.getStatus().getInstances().stream()
                                .allMatch(r -> r.getLastResult() == RunResult.SUCCEEDED));
        for (String inst : List.of(i1, i2)) {
            List<InstanceSnapshot> mine = children("hourly").stream()
                    .filter(c -> inst.equals(c.getSpec().getInstance()))
                    .toList();
            assertThat(mine).hasSize(2);
            // the LXD side really has exactly the two kept snapshots: run 1's were deleted
            await().atMost(T).until(() -> lxd.listSnapshots(inst).size() == 2);
            assertThat(lxd.listSnapshots(inst))
                    .extracting(Snapshot::name)
                    .containsExactlyInAnyOrderElementsOf(mine.stream()
                            .map(c -> c.getStatus().getSnapshotName())
                            .toList());
            assertThat(mine).allSatisfy(c -> {
                assertThat(c.getMetadata().getLabels())
                        .containsEntry("lxdbackup.io/schedule", "hourly")
                        .containsEntry("lxdbackup.io/instance", inst)
                        .containsEntry("lxdbackup.io/remote", "lxd-a");
                assertThat(c.getMetadata().getName()).startsWith("hourly-" + inst + "-");
                // backupsOnDeletion: Retain (default): tied by label, not owned, so nothing cascades
                assertThat(c.getMetadata().getLabels())
                        .containsEntry(
                                ScheduleChildren.LABEL_SCHEDULE_UID,
                                after.getMetadata().getUid());
                assertThat(c.getMetadata().getOwnerReferences()).isNullOrEmpty();
            });
        }
        assertThat(after.getStatus().getLastScheduleTime()).isNotNull();
        assertThat(after.getStatus().getLastSuccessfulTime())
                .isEqualTo(after.getStatus().getLastScheduleTime());
        // events are written in the background
        await().atMost(T)
                .untilAsserted(() -> assertThat(kube.v1()
                                .events()
                                .inNamespace(Fixtures.NS)
                                .list()
                                .getItems())
                        .anySatisfy(e -> assertThat(e.getReason()).isEqualTo("Pruned")));
        kube.resource(after).delete();
    }

    @Test
    void restartNeverDuplicatesARunAndSuspendDoesNotBurstOnResume() {
        String inst = instance("ss-r", null);
        kube.resource(schedule("restart", "@hourly", List.of(inst))).create();
        awaitSchedule("restart", x -> x.getStatus().getPhase() == SchedulePhase.ACTIVE);
        clock.advance(Duration.ofHours(1));
        awaitChildrenReady("restart", 1);
        op.restart();
        await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(4)).until(() -> true);
        assertThat(children("restart")).hasSize(1);
        assertThat(lxd.listSnapshots(inst)).hasSize(1);

        SnapshotSchedule s = get("restart");
        s.getSpec().setSuspend(true);
        kube.resource(s).update();
        awaitSchedule("restart", x -> x.getStatus().getPhase() == SchedulePhase.SUSPENDED);
        clock.advance(Duration.ofHours(5));
        await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(4)).until(() -> true);
        assertThat(children("restart")).hasSize(1);

        s = get("restart");
        s.getSpec().setSuspend(false);
        kube.resource(s).update();
        SnapshotSchedule resumed = awaitSchedule(
                "restart",
                x -> x.getStatus().getPhase() == SchedulePhase.ACTIVE
                        && x.getStatus().getResumedAt() != null);
        await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(4)).until(() -> true);
        // the five hours while suspended are not caught up: no burst, no immediate run
        assertThat(children("restart")).hasSize(1);
        assertThat(resumed.getStatus().getNextScheduleTime()).isNotNull();
        clock.advance(Duration.ofHours(1));
        awaitChildrenReady("restart", 2);
    }

    @Test
    void missedRunsAfterDowntimeGiveOneCatchUpWithinTheDeadlineOnly() {
        String inst = instance("ss-m", null);
        SnapshotSchedule s = schedule("missed", "@hourly", List.of(inst));
        s.getSpec().setStartingDeadlineSeconds(600L);
        kube.resource(s).create();
        awaitSchedule("missed", x -> x.getStatus().getPhase() == SchedulePhase.ACTIVE);
        op.stop();
        clock.advance(Duration.ofHours(3).plusMinutes(5)); // three runs missed; the last only 5 min ago
        op.start();
        awaitChildrenReady("missed", 1);
        SnapshotSchedule after = awaitSchedule("missed", x -> x.getStatus().getMissedRuns() != null);
        assertThat(after.getStatus().getMissedRuns()).isEqualTo(2);
        // the catch-up run started 5 minutes after its time, and the metric says so
        io.micrometer.core.instrument.Timer delay = op.runtime()
                .registry()
                .find(io.lxdbackup.operator.metrics.OperatorMetrics.RUN_START_DELAY)
                .tag("kind", "SnapshotSchedule")
                .timer();
        assertThat(delay).isNotNull();
        assertThat(delay.max(java.util.concurrent.TimeUnit.SECONDS)).isGreaterThanOrEqualTo(300);
        assertThat(op.runtime().registry().scrape())
                .contains("lxdbackup_schedule_run_start_delay_seconds_bucket{kind=\"SnapshotSchedule\",le=\"300.0\"}");
        op.stop();
        clock.advance(Duration.ofHours(2).plusMinutes(30)); // latest due run 30 min late: past the deadline
        op.start();
        awaitSchedule(
                "missed",
                x -> x.getStatus().getLastMissedTime() != null
                        && !x.getStatus()
                                .getLastMissedTime()
                                .equals(after.getStatus().getLastMissedTime()));
        await().pollDelay(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).until(() -> true);
        assertThat(children("missed")).hasSize(1);
    }

    /**
     * The operator stopped in the middle of a run: it had created the first instance's child and
     * neither the second one nor the schedule's status (the child is made here exactly as the run
     * makes it). Restarted long after that run's 60 s deadline, it must finish that run — create
     * the missing child — and count it as run: nothing reported missed, no second child for the
     * first instance, lastScheduleTime brought up to the run's time.
     */
    @Test
    void aRunInterruptedBeforeItsStatusWasWrittenIsFinishedNotRepeatedNorReportedMissed() {
        String first = instance("ss-c", null);
        String second = instance("ss-c", null);
        SnapshotSchedule s = schedule("crashed", "@hourly", List.of(first, second));
        s.getSpec().setStartingDeadlineSeconds(60L);
        kube.resource(s).create();
        SnapshotSchedule active = awaitSchedule(
                "crashed",
                x -> x.getStatus().getPhase() == SchedulePhase.ACTIVE
                        && x.getStatus().getNextScheduleTime() != null);
        assertThat(active.getStatus().getLastScheduleTime()).isNull();
        Instant due = Instant.parse(active.getStatus().getNextScheduleTime());
        op.stop();
        InstanceSnapshot child = new InstanceSnapshot();
        child.getMetadata()
                .setName(io.lxdbackup.operator.schedule.ChildNames.childName(
                        "crashed", first, due.atZone(java.time.ZoneOffset.UTC)));
        child.getMetadata().setNamespace(Fixtures.NS);
        child.getMetadata()
                .setLabels(Map.of(
                        ScheduleReconcilerBase.LABEL_SCHEDULE,
                        "crashed",
                        ScheduleReconcilerBase.LABEL_INSTANCE,
                        first,
                        ScheduleReconcilerBase.LABEL_REMOTE,
                        "lxd-a"));
        child.getMetadata().setAnnotations(Map.of(ScheduleReconcilerBase.ANNOTATION_SCHEDULED_TIME, due.toString()));
        child.getMetadata()
                .setFinalizers(List.of(
                        io.javaoperatorsdk.operator.ReconcilerUtils.getDefaultFinalizerName(InstanceSnapshot.class)));
        child.getMetadata()
                .setOwnerReferences(List.of(new io.fabric8.kubernetes.api.model.OwnerReferenceBuilder()
                        .withApiVersion(active.getApiVersion())
                        .withKind(active.getKind())
                        .withName("crashed")
                        .withUid(active.getMetadata().getUid())
                        .withController(true)
                        .withBlockOwnerDeletion(true)
                        .build()));
        io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotSpec cs =
                new io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotSpec();
        cs.setRemoteRef(new ObjectRef("lxd-a"));
        cs.setInstance(first);
        cs.setDeletionPolicy(io.lxdbackup.operator.api.v1alpha1.DeletionPolicy.DELETE);
        child.setSpec(cs);
        kube.resource(child).create();
        // restarted 30 minutes after the run's time: past its 60 s deadline, before the next run
        clock.set(due.plusSeconds(1800));
        op.start();
        awaitChildrenReady("crashed", 2);
        awaitSchedule("crashed", x -> due.toString().equals(x.getStatus().getLastScheduleTime()));
        await().pollDelay(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).until(() -> true);
        SnapshotSchedule after = get("crashed");
        assertThat(after.getStatus().getMissedRuns()).as("missed runs").isNull();
        assertThat(after.getStatus().getLastMissedTime()).isNull();
        assertThat(after.getStatus().getLastScheduleTime()).isEqualTo(due.toString());
        assertThat(after.getStatus().getNextScheduleTime())
                .isEqualTo(due.plusSeconds(3600).toString());
        assertThat(after.getStatus().getLastSuccessfulTime()).isEqualTo(due.toString());
        assertThat(children("crashed"))
                .extracting(c -> c.getMetadata().getAnnotations().get(ScheduleReconcilerBase.ANNOTATION_SCHEDULED_TIME))
                .containsOnly(due.toString());
        assertThat(lxd.listSnapshots(first)).hasSize(1);
        assertThat(lxd.listSnapshots(second)).hasSize(1);
    }

    @Test
    void selectorPicksInstancesByConfigAndStoppedOnesAreSkippedUnlessIncluded() {
        String tagged = instance("ss-sel", Map.of("user.backup", "true"));
        instance("ss-untagged", null);
        SnapshotSchedule s = schedule("selector", "@hourly", null);
        InstanceSelector sel = new InstanceSelector();
        sel.setMatchConfig(Map.of("user.backup", "true"));
        sel.setNamePattern("ss-sel-*");
        s.getSpec().setInstanceSelector(sel);
        s.getSpec().setIncludeStopped(false);
        kube.resource(s).create();
        awaitSchedule("selector", x -> x.getStatus().getPhase() == SchedulePhase.ACTIVE);
        clock.advance(Duration.ofHours(1));
        SnapshotSchedule skipped = awaitSchedule("selector", x -> x.getStatus().getInstances() != null);
        assertThat(skipped.getStatus().getInstances()).singleElement().satisfies(r -> {
            assertThat(r.getName()).isEqualTo(tagged);
            assertThat(r.getLastResult()).isEqualTo(RunResult.SKIPPED);
            assertThat(r.getMessage()).contains("includeStopped");
        });
        assertThat(children("selector")).isEmpty();

        s = get("selector");
        s.getSpec().setIncludeStopped(true);
        kube.resource(s).update();
        clock.advance(Duration.ofHours(1));
        awaitChildrenReady("selector", 1);
        assertThat(children("selector").get(0).getSpec().getInstance()).isEqualTo(tagged);
    }

    @Test
    void operatorModeNamesByThePercentDRuleAsLxdDoes() {
        // two instances with the same snapshots by hand: auto-0 and auto-3 (a gap), and another name
        String ours = instance("ss-pd", null);
        String twin = instance("ss-pdt", Map.of("snapshots.pattern", "auto-%d"));
        for (String i : List.of(ours, twin)) {
            for (String n : List.of("auto-0", "auto-3", "other")) {
                lxd.waitFor(lxd.createSnapshot(i, LxdClient.SnapshotRequest.named(n)), T);
            }
        }
        // LXD itself names the twin's next snapshot under the same pattern
        lxd.waitFor(lxd.createSnapshot(twin, LxdClient.SnapshotRequest.named(null)), T);
        List<String> lxdNamed = lxd.listSnapshots(twin).stream()
                .map(Snapshot::name)
                .filter(n -> !List.of("auto-0", "auto-3", "other").contains(n))
                .toList();
        assertThat(lxdNamed).containsExactly("auto-4");

        SnapshotSchedule s = schedule("pd", "@hourly", List.of(ours));
        s.getSpec().setSnapshotNamePattern("auto-%d");
        kube.resource(s).create();
        awaitSchedule("pd", x -> x.getStatus().getPhase() == SchedulePhase.ACTIVE);
        clock.advance(Duration.ofHours(1));
        awaitChildrenReady("pd", 1);
        InstanceSnapshot first = children("pd").get(0);
        assertThat(first.getStatus().getSnapshotName()).isEqualTo(lxdNamed.get(0));
        // the pattern travels on the child; its spec leaves the name open
        assertThat(first.getSpec().getSnapshotName()).isNull();
        assertThat(first.getMetadata().getAnnotations())
                .containsEntry(InstanceSnapshotReconciler.ANNOTATION_NAME_PATTERN, "auto-%d")
                .containsKey(ScheduleReconcilerBase.ANNOTATION_SCHEDULED_TIME);
        clock.advance(Duration.ofHours(1));
        awaitChildrenReady("pd", 2);
        assertThat(lxd.listSnapshots(ours))
                .extracting(Snapshot::name)
                .containsExactlyInAnyOrder("auto-0", "auto-3", "other", "auto-4", "auto-5");

        // a date template and %d together; %d twice is refused as LXD refuses it
        SnapshotSchedule dated = schedule("pd-dated", "@hourly", List.of(ours));
        dated.getSpec().setSnapshotNamePattern("d{{ creation_date|date:'2006' }}-%d");
        kube.resource(dated).create();
        // no clock move: the test clock (two hours past the real hour) is past the run at the full
        // hour after this schedule's real creation time, and without a starting deadline that run
        // starts at once; moving the clock would add a second run
        awaitChildrenReady("pd-dated", 1);
        String year = String.valueOf(java.time.ZonedDateTime.ofInstant(clock.instant(), java.time.ZoneOffset.UTC)
                .getYear());
        assertThat(children("pd-dated").get(0).getStatus().getSnapshotName()).isEqualTo("d" + year + "-0");

        SnapshotSchedule twice = schedule("pd-twice", "@hourly", List.of(ours));
        twice.getSpec().setSnapshotNamePattern("a%d-%d");
        kube.resource(twice).create();
        assertThat(ready(awaitSchedule("pd-twice", x -> x.getStatus().getPhase() == SchedulePhase.INVALID)))
                .satisfies(c -> {
                    assertThat(c.getReason()).isEqualTo(Reasons.INVALID_SPEC);
                    assertThat(c.getMessage()).contains("%d only once");
                });
    }

    @Test
    void badInputEndsInClearConditions() {
        SnapshotSchedule cron = schedule("bad-cron", "61 * * * *", List.of("x"));
        SnapshotSchedule tz = schedule("bad-tz", "@daily", List.of("x"));
        tz.getSpec().setTimeZone("Mars/Base");
        SnapshotSchedule keep = schedule("bad-keep", "@daily", List.of("x"));
        keep.getSpec().setRetention(retention(-1));
        SnapshotSchedule empty = schedule("bad-empty", "@daily", null);
        for (SnapshotSchedule s : List.of(cron, tz, keep, empty)) {
            kube.resource(s).create();
        }
        assertThat(ready(awaitSchedule("bad-cron", x -> x.getStatus().getPhase() == SchedulePhase.INVALID)))
                .satisfies(c -> {
                    assertThat(c.getReason()).isEqualTo(Reasons.INVALID_SCHEDULE);
                    assertThat(c.getMessage()).contains("61");
                });
        assertThat(ready(awaitSchedule("bad-tz", x -> x.getStatus().getPhase() == SchedulePhase.INVALID))
                        .getMessage())
                .contains("Mars/Base");
        assertThat(ready(awaitSchedule("bad-keep", x -> x.getStatus().getPhase() == SchedulePhase.INVALID)))
                .satisfies(c -> assertThat(c.getReason()).isEqualTo(Reasons.INVALID_SPEC));
        assertThat(ready(awaitSchedule("bad-empty", x -> x.getStatus().getPhase() == SchedulePhase.INVALID))
                        .getMessage())
                .contains("selection is empty");

        // a selector matching nothing is not invalid, but each run says so
        SnapshotSchedule none = schedule("none", "@hourly", null);
        InstanceSelector sel = new InstanceSelector();
        sel.setNamePattern("no-such-instance-*");
        none.getSpec().setInstanceSelector(sel);
        kube.resource(none).create();
        awaitSchedule("none", x -> x.getStatus().getPhase() == SchedulePhase.ACTIVE);
        clock.advance(Duration.ofHours(1));
        assertThat(ready(awaitSchedule("none", x -> ready(x).getReason().equals(Reasons.NO_INSTANCES_SELECTED)))
                        .getStatus())
                .isEqualTo("False");
        // and it stays so between runs (the schedule re-decides every second here), not only until
        // the next reconcile
        await().pollDelay(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(4)).until(() -> true);
        assertThat(ready(get("none")).getReason()).isEqualTo(Reasons.NO_INSTANCES_SELECTED);
    }

    @Test
    void serverModeWritesKeysRestoresDriftAndRemovesThem() {
        String inst = instance("ss-srv", null);
        SnapshotSchedule s = schedule("server", "0 6 * * *", List.of(inst));
        s.getSpec().setMode(SnapshotScheduleMode.SERVER);
        s.getSpec().setExpiry("168h");
        s.getSpec().setSnapshotNamePattern("auto-{{ creation_date|date:'2006-01-02-1504' }}");
        kube.resource(s).create();
        awaitSchedule("server", x -> "ServerConfigured".equals(ready(x).getReason()));
        Map<String, String> cfg = lxd.getInstance(inst).config();
        assertThat(cfg)
                .containsEntry("snapshots.schedule", "0 6 * * *")
                .containsEntry("snapshots.schedule.stopped", "true")
                .containsEntry("snapshots.expiry", "1w")
                .containsEntry("snapshots.pattern", "auto-{{ creation_date|date:'2006-01-02-1504' }}");

        // a hand edit is put back and reported
        lxd.updateInstanceConfig(inst, Map.of("snapshots.schedule", "@hourly"), null);
        SnapshotSchedule s2 = get("server");
        s2.getSpec().setExpiry("336h"); // any spec change triggers a reconcile now (drift is also checked every 2 min)
        kube.resource(s2).update();
        SnapshotSchedule drifted = awaitSchedule("server", x -> x.getStatus().getDrift() != null);
        assertThat(drifted.getStatus().getDrift())
                .anySatisfy(d -> assertThat(d).contains("snapshots.schedule=@hourly"));
        assertThat(lxd.getInstance(inst).config())
                .containsEntry("snapshots.schedule", "0 6 * * *")
                .containsEntry("snapshots.expiry", "2w");

        // suspend removes the keys; values LXD would reject never reach it
        s2 = get("server");
        s2.getSpec().setSuspend(true);
        kube.resource(s2).update();
        awaitSchedule("server", x -> x.getStatus().getPhase() == SchedulePhase.SUSPENDED);
        assertThat(lxd.getInstance(inst).config())
                .doesNotContainKeys(
                        "snapshots.schedule", "snapshots.expiry", "snapshots.pattern", "snapshots.schedule.stopped");
        SnapshotSchedule bad = schedule("server-bad", "0 6 * * *", List.of(inst));
        bad.getSpec().setMode(SnapshotScheduleMode.SERVER);
        bad.getSpec().setExpiry("90s");
        kube.resource(bad).create();
        assertThat(ready(awaitSchedule("server-bad", x -> x.getStatus().getPhase() == SchedulePhase.INVALID))
                        .getMessage())
                .contains("whole number of minutes");

        // deleting a server-mode schedule removes what it wrote
        s2 = get("server");
        s2.getSpec().setSuspend(false);
        kube.resource(s2).update();
        await().atMost(T).until(() -> lxd.getInstance(inst).config().containsKey("snapshots.schedule"));
        kube.resources(SnapshotSchedule.class)
                .inNamespace(Fixtures.NS)
                .withName("server")
                .delete();
        await().atMost(T).until(() -> get("server") == null);
        assertThat(lxd.getInstance(inst).config()).doesNotContainKey("snapshots.schedule");
    }

    @Test
    void deletingAServerModeScheduleRemovesItsKeysEvenWhereItsStatusDoesNotNameTheInstance() {
        // the keys are written before the status that records them: a deletion read with an older
        // status must still find the instance, by the schedule's marker on the server
        String inst = instance("ss-srvdel", null);
        String foreign = instance("ss-srvdel-other", Map.of("snapshots.schedule", "@daily"));
        SnapshotSchedule s = schedule("server-del", "0 6 * * *", List.of(inst));
        s.getSpec().setMode(SnapshotScheduleMode.SERVER);
        kube.resource(s).create();
        awaitSchedule("server-del", x -> "ServerConfigured".equals(ready(x).getReason()));
        assertThat(lxd.getInstance(inst).config()).containsEntry("snapshots.schedule", "0 6 * * *");
        SnapshotSchedule stale = get("server-del");
        stale.getStatus().setConfiguredInstances(null);
        kube.resource(stale).updateStatus();
        kube.resources(SnapshotSchedule.class)
                .inNamespace(Fixtures.NS)
                .withName("server-del")
                .delete();
        await().atMost(T).until(() -> get("server-del") == null);
        assertThat(lxd.getInstance(inst).config())
                .doesNotContainKeys("snapshots.schedule", "snapshots.schedule.stopped", ServerScheduleKeys.MARKER);
        // an instance whose keys are not this schedule's is left alone
        assertThat(lxd.getInstance(foreign).config()).containsEntry("snapshots.schedule", "@daily");
    }

    static RetentionSpec retention(int keepLast) {
        RetentionSpec r = new RetentionSpec();
        r.setKeepLast(keepLast);
        return r;
    }

    static InstanceRunStatus run(SnapshotSchedule s, String inst) {
        return s.getStatus().getInstances().stream()
                .filter(r -> r.getName().equals(inst))
                .findFirst()
                .orElseThrow();
    }
}
