package io.lxdbackup.operator.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.lxdbackup.operator.verify.ExportSelection.Candidate;
import io.lxdbackup.operator.verify.ExportSelection.Criteria;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ExportSelectionTest {
    static final Instant NOW = Instant.parse("2026-03-10T12:00:00Z");

    static Candidate c(String name, String instance, String source, String schedule, String store, int hoursAgo) {
        return new Candidate(name, instance, source, schedule, store, NOW.minus(Duration.ofHours(hoursAgo)));
    }

    static final List<Candidate> ALL = List.of(
            c("web-1", "web", "a/default", "nightly", "s3", 50),
            c("web-2", "web", "a/default", "nightly", "s3", 26),
            c("web-3", "web", "a/default", "nightly", "s3", 2),
            c("web-b", "web", "b/default", null, "s3", 1),
            c("db-1", "db", "a/default", "nightly", "offsite", 30),
            c("db-2", "db", "a/default", null, "offsite", 3));

    static List<String> names(List<Candidate> l) {
        return l.stream().map(Candidate::name).toList();
    }

    @Test
    void noCriteriaSelectsEverythingNewestFirst() {
        assertThat(names(ExportSelection.select(ALL, new Criteria(null, null, null, null, null), NOW)))
                .containsExactly("web-b", "web-3", "db-2", "web-2", "db-1", "web-1");
    }

    @Test
    void criteriaCombine() {
        assertThat(names(ExportSelection.select(ALL, new Criteria("nightly", null, null, null, null), NOW)))
                .containsExactly("web-3", "web-2", "db-1", "web-1");
        assertThat(names(ExportSelection.select(ALL, new Criteria(null, "offsite", null, null, null), NOW)))
                .containsExactly("db-2", "db-1");
        assertThat(names(ExportSelection.select(
                        ALL, new Criteria(null, null, Set.of("db"), Duration.ofHours(24), null), NOW)))
                .containsExactly("db-2");
        assertThat(names(ExportSelection.select(
                        ALL, new Criteria("nightly", null, Set.of("web"), Duration.ofHours(48), null), NOW)))
                .containsExactly("web-3", "web-2");
    }

    @Test
    void newestNPerInstanceCountsEachRemoteAndProjectApart() {
        // web on remote b is another instance than web on remote a
        assertThat(names(ExportSelection.select(ALL, new Criteria(null, null, null, null, 1), NOW)))
                .containsExactly("web-b", "web-3", "db-2");
        assertThat(names(ExportSelection.select(ALL, new Criteria(null, null, Set.of("web"), null, 2), NOW)))
                .containsExactly("web-b", "web-3", "web-2");
        // the count applies after the other criteria: the newest nightly db export is db-1
        assertThat(names(ExportSelection.select(ALL, new Criteria("nightly", null, null, null, 1), NOW)))
                .containsExactly("web-3", "db-1");
    }

    @Test
    void drillsTakeTheNewestOfEachInstance() {
        assertThat(names(ExportSelection.newestPerInstance(ALL))).containsExactly("web-b", "web-3", "db-2");
    }

    @Test
    void volumeExportsCountPerVolumeAndAreLeftOutOfASelectionByInstances() {
        List<Candidate> all = List.of(
                new Candidate("v1-old", null, "a/default", null, "s3", NOW.minus(Duration.ofHours(5)), "pool/v1"),
                new Candidate("v1-new", null, "a/default", null, "s3", NOW.minus(Duration.ofHours(1)), "pool/v1"),
                new Candidate("v2", null, "a/default", null, "s3", NOW.minus(Duration.ofHours(3)), "pool/v2"),
                c("web-1", "web", "a/default", null, "s3", 2));
        // newest per volume, as per instance: two volumes are two targets
        assertThat(names(ExportSelection.select(all, new Criteria(null, "s3", null, null, 1), NOW)))
                .containsExactly("v1-new", "web-1", "v2");
        assertThat(names(ExportSelection.newestPerInstance(all))).containsExactly("v1-new", "web-1", "v2");
        assertThat(names(ExportSelection.select(all, new Criteria(null, null, Set.of("web"), null, null), NOW)))
                .containsExactly("web-1");
    }
}
