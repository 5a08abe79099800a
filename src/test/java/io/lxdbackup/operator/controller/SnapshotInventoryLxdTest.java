package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.InstanceRunStatus;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshot;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotPhase;
import io.lxdbackup.operator.api.v1alpha1.InventorySnapshot;
import io.lxdbackup.operator.api.v1alpha1.InventorySpec;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.api.v1alpha1.SnapshotInventory;
import io.lxdbackup.operator.api.v1alpha1.SnapshotOrigin;
import io.lxdbackup.operator.api.v1alpha1.SnapshotSchedule;
import io.lxdbackup.operator.api.v1alpha1.SnapshotScheduleMode;
import io.lxdbackup.operator.api.v1alpha1.SnapshotScheduleSpec;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.lxd.Snapshot;
import io.lxdbackup.operator.metrics.OperatorMetrics;
import io.lxdbackup.operator.testing.Fixtures;
import io.lxdbackup.operator.testing.LxdRig;
import io.lxdbackup.operator.testing.MutableClock;
import io.lxdbackup.operator.testing.OperatorHarness;
import io.micrometer.core.instrument.Gauge;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The snapshot inventory of SnapshotSchedules on the real LXD rig: snapshots made outside the
 * operator (lxc, the LXD API) appear with LXD's times, expiry and size and the right origin,
 * lastSnapshot follows the server in mode Server, the listing is bounded, and a snapshot deleted
 * on the server leaves the inventory at the next listing.
 */
@Tag("lxd")
class SnapshotInventoryLxdTest {
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
        clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.HOURS).plusSeconds(60));
        op = new OperatorHarness(clock, Duration.ofSeconds(1)).start();
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

    static SnapshotSchedule schedule(String name, String cron, List<String> insts, Integer maxPerInstance) {
        SnapshotSchedule s = new SnapshotSchedule();
        s.getMetadata().setName(name);
        s.getMetadata().setNamespace(Fixtures.NS);
        SnapshotScheduleSpec spec = new SnapshotScheduleSpec();
        spec.setRemoteRef(new ObjectRef("lxd-a"));
        spec.setSchedule(cron);
        spec.setInstances(insts);
        spec.setIncludeStopped(true);
        if (maxPerInstance != null) {
            InventorySpec inv = new InventorySpec();
            inv.setMaxSnapshotsPerInstance(maxPerInstance);
            spec.setInventory(inv);
        }
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

    static InstanceRunStatus run(SnapshotSchedule s, String inst) {
        return s.getStatus().getInstances().stream()
                .filter(r -> r.getName().equals(inst))
                .findFirst()
                .orElseThrow();
    }

    static SnapshotInventory inventory(SnapshotSchedule s, String inst) {
        return s.getStatus() == null || s.getStatus().getInstances() == null
                ? null
                : s.getStatus().getInstances().stream()
                        .filter(r -> r.getName().equals(inst))
                        .findFirst()
                        .map(InstanceRunStatus::getSnapshots)
                        .orElse(null);
    }

    static List<String> names(SnapshotInventory inv) {
        return inv.getItems() == null
                ? List.of()
                : inv.getItems().stream().map(InventorySnapshot::getName).toList();
    }

    static Map<String, SnapshotOrigin> origins(SnapshotInventory inv) {
        return inv.getItems().stream()
                .collect(Collectors.toMap(InventorySnapshot::getName, InventorySnapshot::getOrigin));
    }

    /** The server's snapshots of {@code inst}, newest first, as LXD itself lists them. */
    static List<Snapshot> onServer(String inst) {
        return lxd.listSnapshots(inst).stream()
                .sorted(Comparator.comparing(Snapshot::createdAt).reversed())
                .toList();
    }

    static double gauge(String schedule, String inst) {
        Gauge g = op.runtime()
                .registry()
                .find(OperatorMetrics.INSTANCE_SNAPSHOTS)
                .tags("namespace", Fixtures.NS, "schedule", schedule, "instance", inst)
                .gauge();
        return g == null ? -1 : g.value();
    }

    static void snapshot(String inst, String name) {
        rig.lxc("a", "snapshot", inst, name);
    }

    /** Advances the injected clock one hour and waits for the @hourly run at that hour to be recorded. */
    static SnapshotSchedule fireHourly(String name) {
        clock.advance(Duration.ofHours(1));
        String due = clock.instant().truncatedTo(ChronoUnit.HOURS).toString();
        return awaitSchedule(
                name,
                x -> due.equals(x.getStatus().getLastScheduleTime())
                        && x.getStatus().getInventoryTime() != null);
    }

    static void awaitChildReady(String schedule, int n) {
        await().atMost(T)
                .pollInterval(Duration.ofMillis(250))
                .until(() -> kube
                                .resources(InstanceSnapshot.class)
                                .inNamespace(Fixtures.NS)
                                .withLabel(ScheduleReconcilerBase.LABEL_SCHEDULE, schedule)
                                .list()
                                .getItems()
                                .stream()
                                .filter(c -> c.getStatus() != null
                                        && c.getStatus().getPhase() == InstanceSnapshotPhase.READY)
                                .count()
                        >= n);
    }

    /**
     * Before the schedules a test creates (real time), so nothing is due until the test moves it.
     * The clock goes back to times a listing of the previous test may already have been shared
     * for; such a listing is reused for {@link SharedListings#MAX_AGE}, so the test waits that out.
     */
    @BeforeEach
    void resetClock() throws InterruptedException {
        Thread.sleep(SharedListings.MAX_AGE.plusSeconds(1).toMillis());
        clock.set(Instant.now().truncatedTo(ChronoUnit.HOURS).plusSeconds(60));
    }

    @Test
    void operatorModeInventoryShowsSnapshotsMadeOutsideTheOperatorBoundedAndFollowsDeletions() {
        String inst = instance("inv-op");
        // made outside the operator: by lxc, and through the API with an expiry
        snapshot(inst, "hand-1");
        Instant expiry = Instant.now().plus(Duration.ofDays(3)).truncatedTo(ChronoUnit.SECONDS);
        lxd.waitFor(
                lxd.createSnapshot(inst, new LxdClient.SnapshotRequest("api-1", false, expiry, false, null)),
                Duration.ofMinutes(1));
        SnapshotSchedule s = schedule("inv-op", "@hourly", List.of(inst), 3);
        kube.resource(s).create();

        // run 1: the listing taken at the run holds the two snapshots made by hand
        SnapshotSchedule after1 = fireHourly("inv-op");
        SnapshotInventory inv = inventory(after1, inst);
        assertThat(inv.getCount()).isEqualTo(2);
        assertThat(inv.getTruncated()).isFalse();
        assertThat(names(inv)).containsExactly("api-1", "hand-1");
        // (the server may hold the run's own snapshot by now: compare by name)
        Snapshot apiOnServer = lxd.getSnapshot(inst, "api-1");
        InventorySnapshot api = inv.getItems().get(0);
        assertThat(api.getCreatedAt()).isEqualTo(apiOnServer.createdAt().toString());
        assertThat(Instant.parse(api.getExpiresAt())).isEqualTo(expiry);
        assertThat(api.getOrigin()).isEqualTo(SnapshotOrigin.OTHER);
        // the rig's pool is "dir": LXD answers size -1 there, reported as no size
        assertThat(apiOnServer.size()).isNull();
        assertThat(api.getSize()).isNull();
        InventorySnapshot hand = inv.getItems().get(1);
        assertThat(hand.getExpiresAt()).isNull();
        assertThat(hand.getOrigin()).isEqualTo(SnapshotOrigin.OTHER);
        assertThat(after1.getStatus().getLastSnapshotTime())
                .isEqualTo(apiOnServer.createdAt().toString());
        assertThat(after1.getStatus().getInventoryOmittedInstances()).isNull();
        assertThat(gauge("inv-op", inst)).isEqualTo(2.0);

        // run 1's own snapshot, and two more by hand: run 2 lists five, shows the newest three
        awaitChildReady("inv-op", 1);
        SnapshotSchedule ready1 = awaitSchedule("inv-op", x -> run(x, inst).getLastSnapshotTime() != null);
        InstanceSnapshot child = kube.resources(InstanceSnapshot.class)
                .inNamespace(Fixtures.NS)
                .withName(run(ready1, inst).getLastSnapshot())
                .get();
        assertThat(run(ready1, inst).getLastSnapshotTime())
                .isEqualTo(child.getStatus().getCreationTime());
        String childSnap = child.getStatus().getSnapshotName();
        snapshot(inst, "hand-2");
        snapshot(inst, "hand-3");
        SnapshotSchedule after2 = fireHourly("inv-op");
        inv = inventory(after2, inst);
        assertThat(inv.getCount()).isEqualTo(5);
        assertThat(inv.getTruncated()).isTrue();
        assertThat(names(inv)).containsExactly("hand-3", "hand-2", childSnap);
        assertThat(origins(inv))
                .containsEntry(childSnap, SnapshotOrigin.OPERATOR)
                .containsEntry("hand-3", SnapshotOrigin.OTHER);
        assertThat(gauge("inv-op", inst)).isEqualTo(5.0);

        // deleted on the server: gone from the next run's inventory
        rig.lxc("a", "delete", inst + "/hand-3");
        awaitChildReady("inv-op", 2);
        SnapshotSchedule after3 = fireHourly("inv-op");
        inv = inventory(after3, inst);
        assertThat(names(inv)).doesNotContain("hand-3").hasSize(3).contains("hand-2", childSnap);
        // five before, minus hand-3, plus run 2's snapshot (run 3's is taken after the listing)
        assertThat(inv.getCount()).isEqualTo(5);
        assertThat(gauge("inv-op", inst)).isEqualTo(5.0);
    }

    @Test
    void serverModeReportsTheServersNewestSnapshotAndWhoMadeEach() {
        String inst = instance("inv-srv");
        SnapshotSchedule s = schedule("inv-srv", "0 6 * * *", List.of(inst), 2);
        s.getSpec().setMode(SnapshotScheduleMode.SERVER);
        s.getSpec().setSnapshotNamePattern("auto-%d");
        kube.resource(s).create();
        SnapshotSchedule configured = awaitSchedule(
                "inv-srv",
                x -> "ServerConfigured"
                                .equals(x.getStatus()
                                        .findCondition(Condition.READY)
                                        .map(Condition::getReason)
                                        .orElse(null))
                        && x.getStatus().getInventoryTime() != null);
        assertThat(inventory(configured, inst).getCount()).isZero();
        assertThat(run(configured, inst).getLastSnapshot()).isNull();

        // what LXD's own schedule names by the pattern, what someone takes by hand, and what an
        // operator-mode schedule of the same namespace takes of the same instance
        snapshot(inst, "auto-0");
        snapshot(inst, "by-hand");
        SnapshotSchedule opSchedule = schedule("inv-srv-op", "@hourly", List.of(inst), null);
        opSchedule.getSpec().setSnapshotNamePattern("op-{{ creation_date|date:'20060102-1504' }}");
        kube.resource(opSchedule).create();
        fireHourly("inv-srv-op");
        awaitChildReady("inv-srv-op", 1);
        String opSnap = kube.resources(InstanceSnapshot.class)
                .inNamespace(Fixtures.NS)
                .withLabel(ScheduleReconcilerBase.LABEL_SCHEDULE, "inv-srv-op")
                .list()
                .getItems()
                .get(0)
                .getStatus()
                .getSnapshotName();
        snapshot(inst, "auto-5");

        // a spec change reconciles now (otherwise the check runs every 2 minutes)
        SnapshotSchedule edit = get("inv-srv");
        edit.getSpec().getInventory().setMaxSnapshotsPerInstance(4);
        kube.resource(edit).update();
        SnapshotSchedule four = awaitSchedule("inv-srv", x -> {
            SnapshotInventory i = inventory(x, inst);
            return i != null && i.getCount() == 4;
        });
        SnapshotInventory inv = inventory(four, inst);
        List<Snapshot> server = onServer(inst);
        assertThat(names(inv)).isEqualTo(server.stream().map(Snapshot::name).toList());
        assertThat(names(inv)).containsExactly("auto-5", opSnap, "by-hand", "auto-0");
        assertThat(origins(inv))
                .containsEntry("auto-5", SnapshotOrigin.SERVER)
                .containsEntry("auto-0", SnapshotOrigin.SERVER)
                .containsEntry("by-hand", SnapshotOrigin.OTHER)
                .containsEntry(opSnap, SnapshotOrigin.OPERATOR);
        assertThat(inv.getTruncated()).isFalse();
        assertThat(run(four, inst).getLastSnapshot()).isEqualTo("auto-5");
        assertThat(run(four, inst).getLastSnapshotTime())
                .isEqualTo(server.get(0).createdAt().toString());
        assertThat(four.getStatus().getLastSnapshotTime())
                .isEqualTo(server.get(0).createdAt().toString());
        assertThat(gauge("inv-srv", inst)).isEqualTo(4.0);

        // bounded: at most two listed, the count stays whole
        edit = get("inv-srv");
        edit.getSpec().getInventory().setMaxSnapshotsPerInstance(2);
        kube.resource(edit).update();
        SnapshotSchedule two = awaitSchedule("inv-srv", x -> {
            SnapshotInventory i = inventory(x, inst);
            return i != null && Boolean.TRUE.equals(i.getTruncated());
        });
        inv = inventory(two, inst);
        assertThat(inv.getCount()).isEqualTo(4);
        assertThat(names(inv)).containsExactly("auto-5", opSnap);

        // the newest deleted on the server: lastSnapshot falls back to the next one
        rig.lxc("a", "delete", inst + "/auto-5");
        edit = get("inv-srv");
        edit.getSpec().getInventory().setMaxSnapshotsPerInstance(3);
        kube.resource(edit).update();
        SnapshotSchedule three = awaitSchedule("inv-srv", x -> {
            SnapshotInventory i = inventory(x, inst);
            return i != null && i.getCount() == 3;
        });
        inv = inventory(three, inst);
        assertThat(names(inv)).containsExactly(opSnap, "by-hand", "auto-0");
        assertThat(inv.getTruncated()).isFalse();
        assertThat(run(three, inst).getLastSnapshot()).isEqualTo(opSnap);
        assertThat(gauge("inv-srv", inst)).isEqualTo(3.0);

        kube.resources(SnapshotSchedule.class)
                .inNamespace(Fixtures.NS)
                .withName("inv-srv-op")
                .delete();
        kube.resources(SnapshotSchedule.class)
                .inNamespace(Fixtures.NS)
                .withName("inv-srv")
                .delete();
        await().atMost(T).until(() -> get("inv-srv") == null);
        await().atMost(T).until(() -> gauge("inv-srv", inst) == -1);
    }
}
