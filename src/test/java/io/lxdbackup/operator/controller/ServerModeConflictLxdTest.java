package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.api.v1alpha1.SnapshotSchedule;
import io.lxdbackup.operator.api.v1alpha1.SnapshotScheduleMode;
import io.lxdbackup.operator.api.v1alpha1.SnapshotScheduleSpec;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.testing.Fixtures;
import io.lxdbackup.operator.testing.LxdRig;
import io.lxdbackup.operator.testing.OperatorHarness;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code mode: Server} SnapshotSchedules on the real LXD rig change an instance's
 * {@code snapshots.*} keys only while they are the ones that set them: a second schedule
 * selecting the same instance, or keys a user set by hand, give a {@code Conflict} and are left
 * alone, also when the schedule is deleted.
 */
@Tag("lxd")
class ServerModeConflictLxdTest {
    static final Duration T = Duration.ofSeconds(60);
    static LxdRig rig;
    static OperatorHarness op;
    static KubernetesClient kube;
    static LxdClient lxd;
    static final List<String> instances = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() {
        rig = LxdRig.require();
        lxd = rig.clientA();
        op = new OperatorHarness(Clock.systemUTC()).start();
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

    static SnapshotSchedule create(String name, String cron, String instance) {
        SnapshotSchedule s = new SnapshotSchedule();
        s.getMetadata().setName(name);
        s.getMetadata().setNamespace(Fixtures.NS);
        SnapshotScheduleSpec spec = new SnapshotScheduleSpec();
        spec.setRemoteRef(new ObjectRef("lxd-a"));
        spec.setSchedule(cron);
        spec.setInstances(List.of(instance));
        spec.setIncludeStopped(true);
        spec.setMode(SnapshotScheduleMode.SERVER);
        s.setSpec(spec);
        return kube.resource(s).create();
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

    static Condition ready(SnapshotSchedule s) {
        return s.getStatus().findCondition(Condition.READY).orElseThrow();
    }

    static boolean reason(SnapshotSchedule s, String reason) {
        return s.getStatus()
                .findCondition(Condition.READY)
                .map(c -> reason.equals(c.getReason()))
                .orElse(false);
    }

    static void delete(String name) {
        kube.resources(SnapshotSchedule.class)
                .inNamespace(Fixtures.NS)
                .withName(name)
                .delete();
        await().atMost(T).until(() -> get(name) == null);
    }

    @Test
    void aSecondScheduleOnTheSameInstanceIsAConflictAndNeverTouchesTheFirstsKeys() {
        String inst = instance("ssc-two");
        SnapshotSchedule first = create("srv-first", "0 6 * * *", inst);
        awaitSchedule("srv-first", x -> reason(x, "ServerConfigured"));
        assertThat(lxd.getInstance(inst).config())
                .containsEntry("snapshots.schedule", "0 6 * * *")
                .containsEntry(ServerScheduleKeys.MARKER, first.getMetadata().getUid())
                .containsEntry(ServerScheduleKeys.MARKER_NAME, Fixtures.NS + "/srv-first");

        create("srv-second", "0 7 * * *", inst);
        Condition c = ready(awaitSchedule("srv-second", x -> reason(x, Reasons.CONFLICT)));
        assertThat(c.getStatus()).isEqualTo("False");
        assertThat(c.getMessage()).contains(inst).contains("SnapshotSchedule " + Fixtures.NS + "/srv-first");
        assertThat(get("srv-second").getStatus().getConfiguredInstances()).isNull();
        // the first schedule's keys stand, and it sees no drift to fight over
        assertThat(lxd.getInstance(inst).config())
                .containsEntry("snapshots.schedule", "0 6 * * *")
                .containsEntry(ServerScheduleKeys.MARKER, first.getMetadata().getUid());

        delete("srv-second");
        assertThat(lxd.getInstance(inst).config())
                .containsEntry("snapshots.schedule", "0 6 * * *")
                .containsEntry(ServerScheduleKeys.MARKER, first.getMetadata().getUid());
        assertThat(get("srv-first").getStatus().getDrift()).isNull();

        delete("srv-first");
        assertThat(lxd.getInstance(inst).config())
                .doesNotContainKeys(
                        "snapshots.schedule",
                        "snapshots.schedule.stopped",
                        ServerScheduleKeys.MARKER,
                        ServerScheduleKeys.MARKER_NAME);
    }

    @Test
    void keysAUserSetAreNeitherOverwrittenNorRemoved() {
        String inst = instance("ssc-user");
        lxd.updateInstanceConfig(inst, Map.of("snapshots.schedule", "0 3 * * *", "snapshots.expiry", "3d"), null);
        create("srv-user", "0 6 * * *", inst);
        Condition c = ready(awaitSchedule("srv-user", x -> reason(x, Reasons.CONFLICT)));
        assertThat(c.getMessage())
                .contains(inst)
                .contains("keys set by someone else")
                .contains("snapshots.schedule")
                .contains("snapshots.expiry");
        assertThat(lxd.getInstance(inst).config())
                .containsEntry("snapshots.schedule", "0 3 * * *")
                .containsEntry("snapshots.expiry", "3d")
                .doesNotContainKey(ServerScheduleKeys.MARKER);

        delete("srv-user");
        assertThat(lxd.getInstance(inst).config())
                .containsEntry("snapshots.schedule", "0 3 * * *")
                .containsEntry("snapshots.expiry", "3d");
    }
}
