package io.lxdbackup.operator.verify;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which completed exports one verification run checks. Pure: the caller describes each export
 * and the criteria, and gets them back newest first.
 */
public final class ExportSelection {
    private ExportSelection() {}

    /**
     * One completed export.
     *
     * @param source remote and project together ("lxd-a/default"): an instance name alone is not
     *     unique across servers
     * @param schedule the ExportSchedule that made it, or null
     * @param volume "pool/name" of the custom volume of a volume export (instance null), else null
     */
    public record Candidate(
            String name,
            String instance,
            String source,
            String schedule,
            String store,
            Instant completedAt,
            String volume) {
        /** An instance export. */
        public Candidate(
                String name, String instance, String source, String schedule, String store, Instant completedAt) {
            this(name, instance, source, schedule, store, completedAt, null);
        }

        /** The export's target: its instance, or its volume (never taken for an instance of that name). */
        String instanceKey() {
            return source + "/" + (instance != null ? instance : "volume " + volume);
        }

        public boolean isVolume() {
            return instance == null && volume != null;
        }
    }

    /** The criteria; null (or empty) ones do not restrict. */
    public record Criteria(
            String schedule, String store, Set<String> instances, Duration maxAge, Integer newestPerInstance) {}

    public static List<Candidate> select(List<Candidate> all, Criteria c, Instant now) {
        List<Candidate> sorted = new ArrayList<>(all);
        sorted.sort(NEWEST_FIRST);
        Map<String, Integer> perInstance = new LinkedHashMap<>();
        List<Candidate> out = new ArrayList<>();
        for (Candidate e : sorted) {
            if (c.schedule() != null && !c.schedule().equals(e.schedule())) {
                continue;
            }
            if (c.store() != null && !c.store().equals(e.store())) {
                continue;
            }
            if (c.instances() != null
                    && !c.instances().isEmpty()
                    // a volume export has no instance: a selection by instances leaves it out
                    && (e.instance() == null || !c.instances().contains(e.instance()))) {
                continue;
            }
            if (c.maxAge() != null && e.completedAt().isBefore(now.minus(c.maxAge()))) {
                continue;
            }
            int n = perInstance.merge(e.instanceKey(), 1, Integer::sum);
            if (c.newestPerInstance() != null && n > c.newestPerInstance()) {
                continue;
            }
            out.add(e);
        }
        return out;
    }

    /** The newest of {@code selected} for each instance or volume (what a restore drill imports), newest first. */
    public static List<Candidate> newestPerInstance(List<Candidate> selected) {
        Map<String, Candidate> newest = new LinkedHashMap<>();
        selected.stream().sorted(NEWEST_FIRST).forEach(e -> newest.putIfAbsent(e.instanceKey(), e));
        return new ArrayList<>(newest.values());
    }

    /** Newest first; ties by name, so the order is stable. */
    static final Comparator<Candidate> NEWEST_FIRST =
            Comparator.comparing(Candidate::completedAt).reversed().thenComparing(Candidate::name);
}
