package io.lxdbackup.operator.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class RetentionPolicyTest {

    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    private static RetentionCandidate ok(String id, String utc) {
        return new RetentionCandidate(id, Instant.parse(utc), true);
    }

    private static RetentionCandidate failed(String id, String utc) {
        return new RetentionCandidate(id, Instant.parse(utc), false);
    }

    /** The example in RetentionPolicy's Javadoc; keep the two in step. */
    @Test
    void javadocWorkedExample() {
        List<RetentionCandidate> candidates = List.of(
                ok("l", "2024-01-28T06:00:00Z"),
                ok("k", "2024-02-25T06:00:00Z"),
                ok("j", "2024-03-03T06:00:00Z"),
                ok("i", "2024-03-09T06:00:00Z"),
                ok("h", "2024-03-10T06:00:00Z"),
                ok("g", "2024-03-11T06:00:00Z"),
                failed("f", "2024-03-12T06:00:00Z"),
                ok("e", "2024-03-13T06:00:00Z"),
                ok("d", "2024-03-14T06:00:00Z"),
                ok("c", "2024-03-14T18:00:00Z"),
                ok("b", "2024-03-15T06:00:00Z"),
                failed("a", "2024-03-15T18:00:00Z"));
        RetentionPolicy policy = new RetentionPolicy(2, null, 3, 1, 1, null);

        RetentionResult result = policy.select(candidates, ZoneOffset.UTC);

        assertThat(result.keepIds()).containsExactly("a", "b", "c", "e", "g", "h", "j", "k");
        assertThat(result.removeIds()).containsExactly("d", "f", "i", "l");
        assertThat(result.reasons().get("a"))
                .containsExactly("unsuccessful but newer than the newest successful backup; it may still be running");
        assertThat(result.reasons().get("b")).containsExactly("keep-last: 1 of 2");
        assertThat(result.reasons().get("e")).containsExactly("keep-daily: 2024-03-13 (1 of 3)");
        assertThat(result.reasons().get("j")).containsExactly("keep-weekly: 2024-W09 (1 of 1)");
        assertThat(result.reasons().get("k")).containsExactly("keep-monthly: 2024-02 (1 of 1)");
        assertThat(result.reasons().get("d")).containsExactly("not selected by any keep rule");
        assertThat(result.reasons().get("f"))
                .containsExactly("unsuccessful and older than the newest successful backup");
        assertThat(result.reasons()).hasSize(candidates.size());
    }

    @Test
    void aYearOfDailyBackups() {
        List<RetentionCandidate> candidates = new ArrayList<>();
        for (LocalDate day = LocalDate.of(2024, 1, 1); day.getYear() == 2024; day = day.plusDays(1)) {
            candidates.add(new RetentionCandidate(
                    day.toString(), day.atTime(6, 0).atZone(BERLIN).toInstant(), true));
        }
        RetentionPolicy policy = new RetentionPolicy(3, null, 7, 4, 6, null);

        RetentionResult result = policy.select(candidates, BERLIN);

        assertThat(result.keepIds())
                .containsExactly(
                        // keep-last
                        "2024-12-31",
                        "2024-12-30",
                        "2024-12-29",
                        // keep-daily: 7 more days
                        "2024-12-28",
                        "2024-12-27",
                        "2024-12-26",
                        "2024-12-25",
                        "2024-12-24",
                        "2024-12-23",
                        "2024-12-22",
                        // keep-weekly: weeks 2025-W01, 2024-W52 and W51 are covered; Sundays of W50-W47
                        "2024-12-15",
                        "2024-12-08",
                        "2024-12-01",
                        "2024-11-24",
                        // keep-monthly: December and November are covered; last day of October to May
                        "2024-10-31",
                        "2024-09-30",
                        "2024-08-31",
                        "2024-07-31",
                        "2024-06-30",
                        "2024-05-31");
        assertThat(result.remove()).hasSize(366 - 20);
    }

    @Test
    void aMonthOfHourlyBackupsAcrossSpringForward() {
        CronSchedule hourly = CronSchedule.parse("0 * * * *", "Europe/Berlin");
        List<RetentionCandidate> candidates = new ArrayList<>();
        Instant cursor = LocalDateTime.parse("2024-02-29T23:59").atZone(BERLIN).toInstant();
        Instant end = LocalDateTime.parse("2024-04-01T00:00").atZone(BERLIN).toInstant();
        while (true) {
            cursor = hourly.next(cursor).orElseThrow().toInstant();
            if (!cursor.isBefore(end)) {
                break;
            }
            String id = LocalDateTime.ofInstant(cursor, BERLIN).toString();
            candidates.add(new RetentionCandidate(id, cursor, true));
        }
        assertThat(candidates).hasSize(31 * 24 - 1); // 02:00 on 31 March does not exist
        RetentionPolicy policy = new RetentionPolicy(3, 6, 7, 4, 6, null);

        RetentionResult result = policy.select(candidates, BERLIN);

        assertThat(result.keepIds())
                .containsExactly(
                        // keep-last
                        "2024-03-31T23:00",
                        "2024-03-31T22:00",
                        "2024-03-31T21:00",
                        // keep-hourly
                        "2024-03-31T20:00",
                        "2024-03-31T19:00",
                        "2024-03-31T18:00",
                        "2024-03-31T17:00",
                        "2024-03-31T16:00",
                        "2024-03-31T15:00",
                        // keep-daily: 31 March is covered; the last backup of each of the 7 days before
                        "2024-03-30T23:00",
                        "2024-03-29T23:00",
                        "2024-03-28T23:00",
                        "2024-03-27T23:00",
                        "2024-03-26T23:00",
                        "2024-03-25T23:00",
                        "2024-03-24T23:00",
                        // keep-weekly: W13 and W12 are covered, only three older weeks exist
                        "2024-03-17T23:00",
                        "2024-03-10T23:00",
                        "2024-03-03T23:00");
        // keep-monthly=6 finds nothing: March is covered and there is nothing older.
    }

    @Test
    void periodsAreCalendarPeriodsInTheGivenZone() {
        // 23:30 UTC on 1 March is already 2 March in Berlin.
        List<RetentionCandidate> candidates =
                List.of(ok("late", "2024-03-01T23:30:00Z"), ok("early", "2024-03-01T12:00:00Z"));
        RetentionPolicy daily = new RetentionPolicy(null, null, 5, null, null, null);
        assertThat(daily.select(candidates, ZoneOffset.UTC).keepIds()).containsExactly("late");
        assertThat(daily.select(candidates, BERLIN).keepIds()).containsExactly("late", "early");
    }

    @Test
    void noRuleSetKeepsEverything() {
        List<RetentionCandidate> candidates = List.of(
                ok("a", "2024-01-01T00:00:00Z"), failed("b", "2024-01-02T00:00:00Z"), ok("c", "2024-01-03T00:00:00Z"));
        RetentionResult result = RetentionPolicy.keepAll().select(candidates, ZoneOffset.UTC);
        assertThat(result.keepIds()).containsExactly("c", "b", "a");
        assertThat(result.remove()).isEmpty();
        assertThat(result.reasons().get("b")).containsExactly("no retention rule is set; everything is kept");
    }

    @Test
    void allZeroKeepsOnlyTheNewestSuccessful() {
        List<RetentionCandidate> candidates = List.of(
                ok("a", "2024-01-01T00:00:00Z"), ok("b", "2024-01-02T00:00:00Z"), failed("c", "2024-01-03T00:00:00Z"));
        RetentionResult result = new RetentionPolicy(0, 0, 0, 0, 0, 0).select(candidates, ZoneOffset.UTC);
        assertThat(result.keepIds()).containsExactly("c", "b");
        assertThat(result.removeIds()).containsExactly("a");
        assertThat(result.reasons().get("b")).containsExactly("newest successful backup; it is always kept");
    }

    @Test
    void failedBackupsAreNeverCountedAndOnlyThoseNewerThanTheNewestSuccessfulAreKept() {
        List<RetentionCandidate> candidates = List.of(
                ok("s2", "2024-01-01T00:00:00Z"),
                failed("f-old", "2024-01-02T00:00:00Z"),
                ok("s1", "2024-01-03T00:00:00Z"),
                failed("f-running-1", "2024-01-04T00:00:00Z"),
                failed("f-running-2", "2024-01-05T00:00:00Z"));
        RetentionResult result =
                new RetentionPolicy(2, null, null, null, null, null).select(candidates, ZoneOffset.UTC);
        assertThat(result.keepIds()).containsExactly("f-running-2", "f-running-1", "s1", "s2");
        assertThat(result.removeIds()).containsExactly("f-old");
    }

    @Test
    void withoutAnySuccessfulBackupTheFailedOnesAreKept() {
        List<RetentionCandidate> candidates =
                List.of(failed("a", "2024-01-01T00:00:00Z"), failed("b", "2024-01-02T00:00:00Z"));
        RetentionResult result =
                new RetentionPolicy(1, null, null, null, null, null).select(candidates, ZoneOffset.UTC);
        assertThat(result.keepIds()).containsExactly("b", "a");
    }

    /**
     * ISO week 2024-W09 runs from Monday 26 February to Sunday 3 March. Backups that keep-weekly
     * removed (older ones in a week it kept) are out of reach for keep-monthly; backups it merely
     * skipped (their week was covered by keep-last) are not.
     */
    @Test
    void weeksSpanningTwoMonthsFollowPbs() {
        List<RetentionCandidate> daily = new ArrayList<>();
        for (LocalDate day = LocalDate.of(2024, 2, 20); !day.isAfter(LocalDate.of(2024, 3, 2)); day = day.plusDays(1)) {
            daily.add(new RetentionCandidate(day.toString(), day.atTime(6, 0).toInstant(ZoneOffset.UTC), true));
        }

        RetentionResult removedByWeekly =
                new RetentionPolicy(null, null, null, 1, 2, null).select(daily, ZoneOffset.UTC);
        assertThat(removedByWeekly.keepIds()).containsExactly("2024-03-02", "2024-02-25");
        assertThat(removedByWeekly.reasons().get("2024-02-29"))
                .containsExactly("keep-weekly: a newer backup of 2024-W09 is kept");
        assertThat(removedByWeekly.reasons().get("2024-02-25")).containsExactly("keep-monthly: 2024-02 (1 of 2)");

        RetentionResult skippedByWeekly = new RetentionPolicy(1, null, null, 0, 2, null).select(daily, ZoneOffset.UTC);
        assertThat(skippedByWeekly.keepIds()).containsExactly("2024-03-02", "2024-02-29");
        assertThat(skippedByWeekly.reasons().get("2024-02-28"))
                .containsExactly("keep-monthly: a newer backup of 2024-02 is kept");
    }

    @Test
    void newerBackupsOfAPeriodAreRemovedByTheRuleThatKeptTheNewest() {
        List<RetentionCandidate> candidates =
                List.of(ok("sun-am", "2024-03-10T06:00:00Z"), ok("sun-pm", "2024-03-10T18:00:00Z"));
        RetentionResult result =
                new RetentionPolicy(null, null, 1, null, null, null).select(candidates, ZoneOffset.UTC);
        assertThat(result.keepIds()).containsExactly("sun-pm");
        assertThat(result.reasons().get("sun-am")).containsExactly("keep-daily: a newer backup of 2024-03-10 is kept");
    }

    @Test
    void emptyInputGivesEmptyResult() {
        RetentionResult result = new RetentionPolicy(1, 1, 1, 1, 1, 1).select(List.of(), ZoneOffset.UTC);
        assertThat(result.keep()).isEmpty();
        assertThat(result.remove()).isEmpty();
    }

    @Test
    void negativeCountsAreRejected() {
        assertThatThrownBy(() -> new RetentionPolicy(null, null, -1, null, null, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("retention keepDaily must be 0 or more (or left unset), got -1");
    }

    @Test
    void duplicateIdsAreRejected() {
        List<RetentionCandidate> candidates = List.of(ok("a", "2024-01-01T00:00:00Z"), ok("a", "2024-01-02T00:00:00Z"));
        assertThatThrownBy(() -> RetentionPolicy.keepAll().select(candidates, ZoneOffset.UTC))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("duplicate retention candidate id \"a\"");
    }

    @Test
    void invariantsHoldForRandomHistories() {
        Random random = new Random(42);
        for (int round = 0; round < 200; round++) {
            List<RetentionCandidate> candidates = new ArrayList<>();
            Instant t = Instant.parse("2023-01-01T00:00:00Z");
            int size = random.nextInt(60);
            for (int i = 0; i < size; i++) {
                t = t.plusSeconds(60L * (1 + random.nextInt(3 * 24 * 60)));
                candidates.add(new RetentionCandidate("b" + i, t, random.nextInt(5) != 0));
            }
            RetentionPolicy policy = new RetentionPolicy(
                    randomCount(random),
                    randomCount(random),
                    randomCount(random),
                    randomCount(random),
                    randomCount(random),
                    randomCount(random));

            RetentionResult result = policy.select(candidates, BERLIN);

            Set<String> all = new HashSet<>(result.keepIds());
            all.addAll(result.removeIds());
            assertThat(all).hasSize(candidates.size());
            assertThat(result.keep().size() + result.remove().size()).isEqualTo(candidates.size());
            assertThat(result.reasons().keySet()).isEqualTo(all);
            RetentionCandidate newestSuccessful = candidates.stream()
                    .filter(RetentionCandidate::successful)
                    .reduce((a, b) -> b)
                    .orElse(null);
            if (newestSuccessful != null) {
                assertThat(result.keepIds()).contains(newestSuccessful.id());
                for (RetentionCandidate c : candidates) {
                    if (!c.successful()) {
                        boolean newer = c.time().isAfter(newestSuccessful.time());
                        assertThat(result.keepIds().contains(c.id())).isEqualTo(newer || !policy.hasAnyRule());
                    }
                }
            }
            if (policy.hasAnyRule()) {
                int limit = Stream.of(
                                policy.keepLast(),
                                policy.keepHourly(),
                                policy.keepDaily(),
                                policy.keepWeekly(),
                                policy.keepMonthly(),
                                policy.keepYearly())
                        .mapToInt(n -> n == null ? 0 : n)
                        .sum();
                long keptSuccessful = result.keep().stream()
                        .filter(RetentionCandidate::successful)
                        .count();
                assertThat(keptSuccessful).isLessThanOrEqualTo(Math.max(limit, 1));
            }
        }
    }

    private static Integer randomCount(Random random) {
        int n = random.nextInt(6);
        return n == 5 ? null : n;
    }
}
