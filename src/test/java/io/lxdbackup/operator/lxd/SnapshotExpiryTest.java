package io.lxdbackup.operator.lxd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class SnapshotExpiryTest {
    static final Instant T = Instant.parse("2026-01-31T10:00:00Z");

    @Test
    void addsEachUnitAsLxdDoes() {
        assertThat(SnapshotExpiry.resolve("30M", T)).contains(Instant.parse("2026-01-31T10:30:00Z"));
        assertThat(SnapshotExpiry.resolve("2H 1d", T)).contains(Instant.parse("2026-02-01T12:00:00Z"));
        assertThat(SnapshotExpiry.resolve("1w", T)).contains(Instant.parse("2026-02-07T10:00:00Z"));
        assertThat(SnapshotExpiry.resolve("1m", T)).contains(Instant.parse("2026-02-28T10:00:00Z"));
        assertThat(SnapshotExpiry.resolve("1y", T)).contains(Instant.parse("2027-01-31T10:00:00Z"));
    }

    @Test
    void blankMeansNever() {
        assertThat(SnapshotExpiry.resolve(null, T)).isEmpty();
        assertThat(SnapshotExpiry.resolve(" ", T)).isEmpty();
    }

    @Test
    void refusesWhatLxdRefuses() {
        assertThatThrownBy(() -> SnapshotExpiry.resolve("3x", T)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SnapshotExpiry.resolve("d", T)).isInstanceOf(IllegalArgumentException.class);
    }
}
