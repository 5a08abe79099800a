package io.lxdbackup.operator.controller;

import io.lxdbackup.operator.api.v1alpha1.AbstractScheduleSpec;
import io.lxdbackup.operator.api.v1alpha1.VolumeRef;
import io.lxdbackup.operator.api.v1alpha1.VolumeSelector;
import io.lxdbackup.operator.lxd.LxdException;
import io.lxdbackup.operator.lxd.StorageVolume;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Which custom storage volumes a schedule covers right now: the named {@code volumes} plus those
 * of {@code volumeSelector.pool} matching its name glob and config. Evaluated at every run, like
 * {@link InstanceSelection}. A volume is known by its key {@code pool/name}, which no instance
 * name can be (instance names have no {@code /}).
 */
public final class VolumeSelection {
    private VolumeSelection() {}

    /** One volume and, when it cannot be backed up, why ({@code problem}). */
    public record Selected(String pool, String name, String problem) {
        public boolean exists() {
            return problem == null;
        }

        public String key() {
            return VolumeSelection.key(pool, name);
        }
    }

    /** The key of a volume in a schedule's bookkeeping. */
    public static String key(String pool, String name) {
        return pool + "/" + name;
    }

    /** The pool and name of a key made by {@link #key}. */
    static String[] split(String key) {
        int i = key.indexOf('/');
        return new String[] {key.substring(0, i), key.substring(i + 1)};
    }

    static boolean isVolumeKey(String key) {
        return key.indexOf('/') > 0;
    }

    /** Whether the spec names volumes at all. */
    public static boolean any(AbstractScheduleSpec spec) {
        return (spec.getVolumes() != null && !spec.getVolumes().isEmpty()) || spec.getVolumeSelector() != null;
    }

    /** Whether the spec names instances at all. */
    public static boolean anyInstances(AbstractScheduleSpec spec) {
        return (spec.getInstances() != null && !spec.getInstances().isEmpty()) || spec.getInstanceSelector() != null;
    }

    /** Checks the volume part of a spec; a {@link Failure} (InvalidSpec) says what to fix. */
    public static void validate(AbstractScheduleSpec spec) {
        if (spec.getVolumes() != null) {
            for (int i = 0; i < spec.getVolumes().size(); i++) {
                VolumeRef v = spec.getVolumes().get(i);
                if (v == null || blank(v.getPool())) {
                    throw Failure.permanent(
                            Reasons.INVALID_SPEC,
                            "spec.volumes[" + i + "].pool is required: the storage pool holding the volume");
                }
                if (blank(v.getName())) {
                    throw Failure.permanent(
                            Reasons.INVALID_SPEC, "spec.volumes[" + i + "].name is required: the custom volume's name");
                }
                if (v.getPool().contains("/") || v.getName().contains("/")) {
                    throw Failure.permanent(
                            Reasons.INVALID_SPEC,
                            "spec.volumes[" + i + "]: pool and name may not contain '/' (got " + v.getPool() + ", "
                                    + v.getName() + ")");
                }
            }
        }
        VolumeSelector sel = spec.getVolumeSelector();
        if (sel != null && (blank(sel.getPool()) || sel.getPool().contains("/"))) {
            throw Failure.permanent(
                    Reasons.INVALID_SPEC,
                    "spec.volumeSelector.pool is required: the storage pool whose custom volumes are selected");
        }
    }

    /**
     * The selection, with {@code listPool} answering the custom volumes of a pool (empty when the
     * pool does not exist). Each pool is listed once.
     */
    public static List<Selected> select(
            AbstractScheduleSpec spec, Function<String, Optional<List<StorageVolume>>> listPool) {
        Map<String, Optional<List<StorageVolume>>> pools = new HashMap<>();
        Function<String, Optional<List<StorageVolume>>> list = p -> pools.computeIfAbsent(p, listPool);
        Map<String, Selected> out = new TreeMap<>();
        if (spec.getVolumes() != null) {
            for (VolumeRef v : spec.getVolumes()) {
                Optional<List<StorageVolume>> vols = list.apply(v.getPool());
                String problem = vols.isEmpty()
                        ? "storage pool " + v.getPool() + " does not exist"
                        : vols.get().stream().anyMatch(x -> x.name().equals(v.getName()))
                                ? null
                                : "volume " + v.getName() + " does not exist in storage pool " + v.getPool();
                out.put(key(v.getPool(), v.getName()), new Selected(v.getPool(), v.getName(), problem));
            }
        }
        VolumeSelector sel = spec.getVolumeSelector();
        if (sel != null) {
            Pattern glob = blank(sel.getNamePattern()) ? null : InstanceSelection.glob(sel.getNamePattern());
            for (StorageVolume v : list.apply(sel.getPool()).orElse(List.of())) {
                if (glob != null && !glob.matcher(v.name()).matches()) {
                    continue;
                }
                if (!matchesConfig(v.config(), sel.getMatchConfig())) {
                    continue;
                }
                out.putIfAbsent(key(sel.getPool(), v.name()), new Selected(sel.getPool(), v.name(), null));
            }
        }
        return new ArrayList<>(out.values());
    }

    /** The custom volumes of a pool; empty when the pool does not exist. */
    static Optional<List<StorageVolume>> listPool(io.lxdbackup.operator.lxd.LxdApi client, String pool) {
        try {
            return Optional.of(client.listCustomVolumes(pool));
        } catch (LxdException.NotFound e) {
            return Optional.empty();
        }
    }

    static boolean matchesConfig(Map<String, String> cfg, Map<String, String> match) {
        if (match == null) {
            return true;
        }
        Map<String, String> c = cfg == null ? Map.of() : cfg;
        for (Map.Entry<String, String> e : match.entrySet()) {
            if (!Objects.equals(c.get(e.getKey()), e.getValue())) {
                return false;
            }
        }
        return true;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
