package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ResyncSlotsTest {
    private static final Duration TEN = Duration.ofMinutes(10);

    @Test
    void theSnapshotsOfOneInstanceComeDueTogether() {
        Instant a = Instant.parse("2026-12-07T10:00:03.250Z");
        Instant b = Instant.parse("2026-12-07T10:04:41.900Z");
        Instant dueA = a.plus(ResyncSlots.next("ns/lxd-a/default/web", a, TEN));
        Instant dueB = b.plus(ResyncSlots.next("ns/lxd-a/default/web", b, TEN));
        // created at different times, checked at the same moment of the interval
        assertThat(Duration.between(dueA, dueB).toMillis() % TEN.toMillis()).isZero();
    }

    @Test
    void delaysStayWithinHalfAndOneAndAHalfIntervalsAndAreExactOnceInStep() {
        Instant now = Instant.parse("2026-12-07T10:00:00Z");
        for (int i = 0; i < 2_000; i++) {
            Instant t = now.plusMillis(i * 7_919L);
            Duration d = ResyncSlots.next("ns/r/default/i" + i, t, TEN);
            assertThat(d).isBetween(TEN.dividedBy(2), TEN.multipliedBy(3).dividedBy(2));
            Instant due = t.plus(d);
            // the check at its slot schedules the next one exactly one interval later
            assertThat(ResyncSlots.next("ns/r/default/i" + i, due, TEN)).isEqualTo(TEN);
        }
    }

    @Test
    void instancesAreSpreadOverTheInterval() {
        Instant now = Instant.parse("2026-12-07T10:00:00Z");
        Set<Long> minutes = new HashSet<>();
        int[] perMinute = new int[10];
        for (int i = 0; i < 1_000; i++) {
            Instant due = now.plus(ResyncSlots.next("ns/r/default/inst-" + i, now, TEN));
            long minute = (due.toEpochMilli() / 60_000) % 10;
            minutes.add(minute);
            perMinute[(int) minute]++;
        }
        assertThat(minutes).hasSize(10);
        for (int n : perMinute) {
            assertThat(n).isBetween(60, 140); // about 100 each: no minute carries the load of all
        }
    }
}
