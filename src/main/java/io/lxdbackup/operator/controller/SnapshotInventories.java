package io.lxdbackup.operator.controller;

import io.lxdbackup.operator.api.v1alpha1.InstanceRunStatus;
import io.lxdbackup.operator.api.v1alpha1.InventorySnapshot;
import io.lxdbackup.operator.api.v1alpha1.SnapshotInventory;
import io.lxdbackup.operator.api.v1alpha1.SnapshotOrigin;
import io.lxdbackup.operator.api.v1alpha1.SnapshotScheduleStatus;
import io.lxdbackup.operator.lxd.Instance;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.lxd.Snapshot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The snapshot inventory of a SnapshotSchedule: for each selected instance, the snapshots the
 * server holds (whoever made them), newest first, from the instance listing the schedule reads
 * anyway ({@code recursion=2} carries each instance's snapshots, so there is no request per
 * instance). Bounded so the status stays far below etcd's object limit: at most
 * {@link #MAX_INSTANCES} instances (by name) get an inventory, and at most {@link #MAX_ITEMS}
 * snapshots are listed in all; an instance past that budget keeps its count, marked truncated.
 */
final class SnapshotInventories {
    /** Instances (first by name) that get an inventory; the rest are counted as omitted. */
    static final int MAX_INSTANCES = 100;
    /** Snapshots listed in one schedule's status at most (about 150-400 bytes each). */
    static final int MAX_ITEMS = 1000;
    /** LXD's pattern when {@code snapshots.pattern} is unset. */
    static final String DEFAULT_PATTERN = "snap%d";

    private static final Pattern PATTERN_PARTS = Pattern.compile("\\{\\{.*?}}|\\{%.*?%}|%d");

    private SnapshotInventories() {}

    /** What one listing says of the selected instances. */
    record Result(Map<String, Entry> byInstance, int omitted, Instant newest) {}

    /** One instance: its inventory (null when omitted) and its newest snapshot (null when none). */
    record Entry(SnapshotInventory inventory, Snapshot newest) {}

    /**
     * @param listing       the instances as {@link LxdClient#listInstancesWithSnapshots} lists them
     * @param names         the selected instances
     * @param operatorMade  per instance, the names of the snapshots operator-mode schedules made
     * @param serverMade    per instance, which snapshot names LXD's own schedule gives (null = none)
     * @param maxItems      snapshots listed per instance
     * @return null when the listing carries no snapshots (made without recursion=2)
     */
    static Result build(
            List<Instance> listing,
            Collection<String> names,
            Function<String, Set<String>> operatorMade,
            Function<Instance, Predicate<String>> serverMade,
            int maxItems) {
        Map<String, Instance> byName = new HashMap<>();
        listing.forEach(i -> byName.put(i.name(), i));
        Map<String, Entry> out = new LinkedHashMap<>();
        int listed = 0;
        int reported = 0;
        int omitted = 0;
        Instant newestOfAll = null;
        for (String name : new TreeSet<>(names)) {
            Instance inst = byName.get(name);
            if (inst == null) {
                continue;
            }
            List<Snapshot> snaps = LxdClient.snapshotsOf(inst);
            if (snaps == null) {
                return null;
            }
            List<Snapshot> sorted = new ArrayList<>(snaps);
            // newest first; LXD's list order (creation order) breaks ties and orders snapshots without a time
            Comparator<Snapshot> byTime = Comparator.comparing(
                    Snapshot::createdAt, Comparator.nullsFirst(Comparator.<Instant>naturalOrder()));
            java.util.Collections.reverse(sorted);
            sorted.sort(byTime.reversed());
            Snapshot newest = sorted.isEmpty() ? null : sorted.get(0);
            if (newest != null
                    && newest.createdAt() != null
                    && (newestOfAll == null || newest.createdAt().isAfter(newestOfAll))) {
                newestOfAll = newest.createdAt();
            }
            if (reported >= MAX_INSTANCES) {
                omitted++;
                out.put(name, new Entry(null, newest));
                continue;
            }
            reported++;
            int room = Math.max(0, Math.min(maxItems, MAX_ITEMS - listed));
            Set<String> ours = operatorMade.apply(name);
            Predicate<String> server = serverMade.apply(inst);
            List<InventorySnapshot> items = new ArrayList<>();
            for (Snapshot s : sorted.subList(0, Math.min(room, sorted.size()))) {
                SnapshotOrigin origin = ours != null && ours.contains(s.name())
                        ? SnapshotOrigin.OPERATOR
                        : server != null && server.test(s.name()) ? SnapshotOrigin.SERVER : SnapshotOrigin.OTHER;
                items.add(new InventorySnapshot(s.name(), time(s.createdAt()), time(s.expiresAt()), s.size(), origin));
            }
            listed += items.size();
            SnapshotInventory inv = new SnapshotInventory();
            inv.setCount(sorted.size());
            inv.setTruncated(items.size() < sorted.size());
            inv.setItems(items.isEmpty() ? null : items);
            out.put(name, new Entry(inv, newest));
        }
        return new Result(out, omitted, newestOfAll);
    }

    /**
     * Writes a result into the status: each selected instance's {@code snapshots} (and, with
     * {@code setLast}, {@code lastSnapshot}/{@code lastSnapshotTime} from the server's newest);
     * instances not in the result lose theirs.
     */
    static void apply(SnapshotScheduleStatus status, Result r, Instant listedAt, boolean setLast) {
        String before = fingerprint(status);
        Map<String, InstanceRunStatus> runs = new java.util.TreeMap<>();
        if (status.getInstances() != null) {
            status.getInstances().forEach(x -> runs.put(x.getName(), x));
        }
        for (Map.Entry<String, Entry> e : r.byInstance().entrySet()) {
            runs.computeIfAbsent(e.getKey(), n -> {
                InstanceRunStatus x = new InstanceRunStatus();
                x.setName(n);
                return x;
            });
        }
        if (setLast) {
            // mode Server reports nothing else per instance: an instance no longer selected goes
            runs.keySet().retainAll(r.byInstance().keySet());
        }
        for (InstanceRunStatus run : runs.values()) {
            Entry e = r.byInstance().get(run.getName());
            run.setSnapshots(e == null ? null : e.inventory());
            if (setLast) {
                Snapshot newest = e == null ? null : e.newest();
                run.setLastSnapshot(newest == null ? null : newest.name());
                run.setLastSnapshotTime(newest == null ? null : time(newest.createdAt()));
            }
        }
        status.setInstances(runs.isEmpty() ? null : new ArrayList<>(runs.values()));
        status.setLastSnapshotTime(time(r.newest()));
        status.setInventoryOmittedInstances(r.omitted() == 0 ? null : r.omitted());
        // a listing that finds what the last one found keeps its time: no status write for nothing
        if (status.getInventoryTime() == null || !before.equals(fingerprint(status))) {
            status.setInventoryTime(Conditions.timestamp(listedAt));
        }
    }

    private static String fingerprint(SnapshotScheduleStatus status) {
        return io.fabric8.kubernetes.client.utils.Serialization.asJson(java.util.Arrays.asList(
                status.getInstances(), status.getLastSnapshotTime(), status.getInventoryOmittedInstances()));
    }

    /** Clears what an earlier listing reported (the listing now carries no snapshots). */
    static void clear(SnapshotScheduleStatus status) {
        if (status.getInstances() != null) {
            status.getInstances().forEach(x -> x.setSnapshots(null));
        }
        status.setInventoryTime(null);
        status.setInventoryOmittedInstances(null);
    }

    /**
     * Whether a snapshot name is one LXD's {@code snapshots.pattern} gives: each {@code {{ }}} or
     * {@code {% %}} template stands for any text and {@code %d} for a number (without {@code %d}, LXD
     * appends {@code -<n>} when the name is taken).
     */
    static Predicate<String> patternMatcher(String lxdPattern) {
        String p = lxdPattern == null || lxdPattern.isBlank() ? DEFAULT_PATTERN : lxdPattern;
        StringBuilder re = new StringBuilder();
        Matcher m = PATTERN_PARTS.matcher(p);
        int at = 0;
        while (m.find()) {
            re.append(Pattern.quote(p.substring(at, m.start())));
            re.append(m.group().equals("%d") ? "\\d+" : ".*?");
            at = m.end();
        }
        re.append(Pattern.quote(p.substring(at)));
        if (!p.contains("%d")) {
            // a pattern without %d whose name is taken gets "-<n>" appended by LXD
            re.append("(?:-\\d+)?");
        }
        Pattern compiled = Pattern.compile(re.toString(), Pattern.DOTALL);
        return name -> compiled.matcher(name).matches();
    }

    private static String time(Instant t) {
        return t == null ? null : t.toString();
    }
}
