package io.lxdbackup.operator.controller;

import io.lxdbackup.operator.lxd.LxdApi;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.lxd.LxdException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code snapshots.*} keys a {@code mode: Server} SnapshotSchedule writes on an instance or a
 * custom volume (whose config holds the same keys but {@code snapshots.schedule.stopped}), and
 * whose they are. The schedule that writes them also writes {@value #MARKER} (its uid) and
 * {@value #MARKER_NAME} (namespace/name) in the same ETag-guarded write; it changes or removes
 * the keys only while that marker is its own. Keys another schedule marked, or keys someone set
 * without a marker, are left alone and reported as a conflict.
 */
final class ServerScheduleKeys {
    static final String MARKER = "user.lxdbackup.snapshot-schedule";
    static final String MARKER_NAME = "user.lxdbackup.snapshot-schedule-name";

    /** What happened on one instance: {@code conflict} set when it was left alone. */
    record Outcome(List<String> drift, String conflict) {}

    /** Edits the config of one instance or volume ({@link LxdClient#editInstanceConfig} and its volume twin). */
    @FunctionalInterface
    interface ConfigEditor {
        boolean edit(java.util.function.Function<Map<String, String>, LxdClient.ConfigEdit> edit);
    }

    static ConfigEditor instance(LxdApi client, String instance) {
        return e -> client.editInstanceConfig(instance, e);
    }

    static ConfigEditor volume(LxdApi client, String pool, String name) {
        return e -> client.editVolumeConfig(pool, name, e);
    }

    private final String uid;
    private final String name;
    private final List<String> keys;

    /**
     * @param uid  the schedule's uid
     * @param name the schedule's namespace/name, for the other schedules' messages
     * @param keys the {@code snapshots.*} keys a schedule manages
     */
    ServerScheduleKeys(String uid, String name, List<String> keys) {
        this.uid = uid;
        this.name = name;
        this.keys = keys;
    }

    /**
     * Writes the {@code desired} keys (removing the managed keys not desired) where the instance's
     * keys are this schedule's or nobody's.
     *
     * @param legacy the schedule configured this instance before markers were written (its status
     *               says so): keys without a marker are then taken as its own
     */
    Outcome apply(LxdApi client, String instance, Map<String, String> desired, boolean legacy) {
        return apply(instance(client, instance), instance, desired, legacy);
    }

    /**
     * {@link #apply(LxdApi, String, Map, boolean)} on any config ({@code instance} names it in
     * messages: an instance name, or pool/volume).
     */
    Outcome apply(ConfigEditor editor, String instance, Map<String, String> desired, boolean legacy) {
        List<String> drift = new ArrayList<>();
        String[] conflict = new String[1];
        editor.edit(cfg -> {
            drift.clear();
            conflict[0] = null;
            String marker = cfg.get(MARKER);
            if (marker != null && !marker.equals(uid)) {
                conflict[0] = instance + ": its snapshots.* keys belong to SnapshotSchedule "
                        + cfg.getOrDefault(MARKER_NAME, "with uid " + marker);
                return null;
            }
            boolean ours = marker != null || legacy;
            Set<String> present = new TreeSet<>();
            keys.stream().filter(cfg::containsKey).forEach(present::add);
            if (!ours && !present.isEmpty()) {
                conflict[0] = instance + ": keys set by someone else (" + String.join(", ", present) + ")";
                return null;
            }
            Map<String, String> set = new LinkedHashMap<>();
            Set<String> remove = new TreeSet<>();
            for (String key : keys) {
                String want = desired.get(key);
                String have = cfg.get(key);
                if (want == null && have != null) {
                    remove.add(key);
                } else if (want != null && !want.equals(have)) {
                    set.put(key, want);
                    if (ours) {
                        drift.add(instance + "/" + key + "=" + (have == null ? "(unset)" : have));
                    }
                }
            }
            if (!uid.equals(marker)) {
                set.put(MARKER, uid);
            }
            if (!name.equals(cfg.get(MARKER_NAME))) {
                set.put(MARKER_NAME, name);
            }
            return set.isEmpty() && remove.isEmpty() ? null : new LxdClient.ConfigEdit(set, remove);
        });
        return new Outcome(List.copyOf(drift), conflict[0]);
    }

    /**
     * Removes the keys and the marker if they are this schedule's; leaves anyone else's alone.
     *
     * @return false when the keys were someone else's (left alone)
     */
    boolean remove(LxdApi client, String instance, boolean legacy) {
        return remove(instance(client, instance), legacy);
    }

    /** {@link #remove(LxdApi, String, boolean)} on any config; a config gone is success. */
    boolean remove(ConfigEditor editor, boolean legacy) {
        boolean[] foreign = new boolean[1];
        try {
            editor.edit(cfg -> {
                String marker = cfg.get(MARKER);
                foreign[0] = marker != null
                        ? !marker.equals(uid)
                        : !legacy && keys.stream().anyMatch(cfg::containsKey);
                if (foreign[0]) {
                    return null;
                }
                Set<String> remove = new TreeSet<>(keys);
                remove.add(MARKER);
                remove.add(MARKER_NAME);
                remove.removeIf(k -> !cfg.containsKey(k));
                return remove.isEmpty() ? null : new LxdClient.ConfigEdit(Map.of(), remove);
            });
        } catch (LxdException.NotFound e) {
            return true; // instance or volume gone: nothing to remove
        }
        return !foreign[0];
    }
}
