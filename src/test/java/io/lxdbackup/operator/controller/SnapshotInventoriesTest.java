package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.lxdbackup.operator.api.v1alpha1.InstanceRunStatus;
import io.lxdbackup.operator.api.v1alpha1.SnapshotScheduleStatus;
import io.lxdbackup.operator.lxd.Instance;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** The inventory's bounds and LXD's snapshot name patterns. */
class SnapshotInventoriesTest {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    /** An instance as recursion=2 lists it, with {@code n} snapshots s0..s(n-1), one minute apart. */
    static Instance instance(String name, int n) {
        ObjectNode raw = JsonNodeFactory.instance.objectNode().put("name", name);
        ArrayNode snaps = raw.putArray("snapshots");
        for (int i = 0; i < n; i++) {
            snaps.addObject()
                    .put("name", name + "/s" + i)
                    .put("created_at", T0.plusSeconds(60L * i).toString())
                    .put("expires_at", "0001-01-01T00:00:00Z")
                    .put("size", i % 2 == 0 ? -1 : 1000 + i);
        }
        return new Instance(
                name,
                "container",
                "Stopped",
                null,
                null,
                "default",
                T0,
                false,
                false,
                List.of(),
                Map.of(),
                Map.of(),
                Map.of(),
                Map.of(),
                null,
                raw);
    }

    @Test
    void newestFirstWithSizesOriginsAndTruncation() {
        SnapshotInventories.Result r = SnapshotInventories.build(
                List.of(instance("web", 5)),
                List.of("web"),
                n -> Set.of("s1"),
                i -> SnapshotInventories.patternMatcher("s%d"),
                3);
        var e = r.byInstance().get("web");
        assertThat(e.inventory().getCount()).isEqualTo(5);
        assertThat(e.inventory().getTruncated()).isTrue();
        assertThat(e.inventory().getItems()).extracting(x -> x.getName()).containsExactly("s4", "s3", "s2");
        assertThat(e.inventory().getItems().get(0).getSize()).isNull(); // LXD's -1
        assertThat(e.inventory().getItems().get(1).getSize()).isEqualTo(1003L);
        assertThat(e.inventory().getItems().get(0).getExpiresAt()).isNull();
        assertThat(e.newest().name()).isEqualTo("s4");
        assertThat(r.newest()).isEqualTo(T0.plusSeconds(240));
        r = SnapshotInventories.build(List.of(instance("web", 5)), List.of("web"), n -> Set.of("s1"), i -> null, 50);
        assertThat(r.byInstance().get("web").inventory().getItems())
                .extracting(x -> x.getOrigin().value())
                .containsExactly("Other", "Other", "Other", "Operator", "Other");
    }

    @Test
    void boundedInInstancesAndInListedSnapshotsSoTheStatusStaysSmall() {
        List<Instance> listing = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            String n = String.format("vm%03d", i);
            listing.add(instance(n, 60));
            names.add(n);
        }
        SnapshotInventories.Result r = SnapshotInventories.build(listing, names, n -> null, i -> null, 50);
        assertThat(r.omitted()).isEqualTo(150 - SnapshotInventories.MAX_INSTANCES);
        long listed = r.byInstance().values().stream()
                .filter(e -> e.inventory() != null && e.inventory().getItems() != null)
                .mapToLong(e -> e.inventory().getItems().size())
                .sum();
        assertThat(listed).isEqualTo(SnapshotInventories.MAX_ITEMS);
        // past the budget an instance keeps its count, marked truncated
        var late = r.byInstance().get("vm099").inventory();
        assertThat(late.getCount()).isEqualTo(60);
        assertThat(late.getTruncated()).isTrue();
        assertThat(late.getItems()).isNull();
        assertThat(r.byInstance().get("vm120").inventory()).isNull();
        assertThat(r.byInstance().get("vm120").newest().name()).isEqualTo("s59");

        SnapshotScheduleStatus status = new SnapshotScheduleStatus();
        SnapshotInventories.apply(status, r, T0, true);
        assertThat(status.getInventoryOmittedInstances()).isEqualTo(50);
        assertThat(status.getInstances()).hasSize(150);
        InstanceRunStatus first = status.getInstances().get(0);
        assertThat(first.getLastSnapshot()).isEqualTo("s59");
        // the whole status, at the largest inventory a schedule reports: far below etcd's 1.5 MiB
        assertThat(Serialization.asJson(status).length()).isLessThan(400_000);
    }

    @Test
    void aListingThatFindsTheSameKeepsTheInventoryTimeSoTheStatusIsNotRewritten() {
        SnapshotScheduleStatus status = new SnapshotScheduleStatus();
        SnapshotInventories.apply(status, build(instance("web", 2)), T0, true);
        assertThat(status.getInventoryTime()).isEqualTo(T0.toString());
        SnapshotInventories.apply(status, build(instance("web", 2)), T0.plusSeconds(120), true);
        assertThat(status.getInventoryTime()).isEqualTo(T0.toString());
        SnapshotInventories.apply(status, build(instance("web", 3)), T0.plusSeconds(240), true);
        assertThat(status.getInventoryTime()).isEqualTo(T0.plusSeconds(240).toString());
        assertThat(status.getInstances().get(0).getLastSnapshot()).isEqualTo("s2");
        assertThat(status.getInstances().get(0).getSnapshots().getCount()).isEqualTo(3);
    }

    static SnapshotInventories.Result build(Instance i) {
        return SnapshotInventories.build(List.of(i), List.of(i.name()), n -> null, x -> null, 10);
    }

    @Test
    void aListingWithoutSnapshotsGivesNoInventory() {
        Instance plain = new Instance(
                "web",
                "container",
                "Stopped",
                null,
                null,
                "default",
                T0,
                false,
                false,
                List.of(),
                Map.of(),
                Map.of(),
                Map.of(),
                Map.of(),
                null,
                JsonNodeFactory.instance.objectNode().put("name", "web"));
        assertThat(SnapshotInventories.build(List.of(plain), List.of("web"), n -> null, i -> null, 10))
                .isNull();
    }

    @Test
    void lxdPatternsMatchTheNamesLxdGives() {
        Predicate<String> def = SnapshotInventories.patternMatcher(null);
        assertThat(def.test("snap0")).isTrue();
        assertThat(def.test("snap12")).isTrue();
        assertThat(def.test("snapx")).isFalse();
        assertThat(def.test("mysnap0")).isFalse();
        Predicate<String> dated = SnapshotInventories.patternMatcher("auto-{{ creation_date|date:'2006-01-02-1504' }}");
        assertThat(dated.test("auto-2026-12-07-1504")).isTrue();
        assertThat(dated.test("auto-2026-12-07-1504-1")).isTrue(); // taken name: LXD appends -<n>
        assertThat(dated.test("manual")).isFalse();
        Predicate<String> dots = SnapshotInventories.patternMatcher("a.b%d");
        assertThat(dots.test("a.b3")).isTrue();
        assertThat(dots.test("axb3")).isFalse();
    }
}
