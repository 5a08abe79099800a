package io.lxdbackup.operator.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ScheduleDecisionTest {

    private static final CronSchedule HOURLY = CronSchedule.parse("@hourly", "UTC");
    private static final CronSchedule DAILY_SIX = CronSchedule.parse("0 6 * * *", "Europe/Berlin");
    private static final Instant CREATED = Instant.parse("2024-01-01T00:00:00Z");

    private static Instant at(String instant) {
        return Instant.parse(instant);
    }

    private static Optional<Instant> instant(Optional<ZonedDateTime> t) {
        return t.map(ZonedDateTime::toInstant);
    }

    @Test
    void firesOnTimeOnce() {
        ScheduleDecision d = ScheduleDecision.decide(DAILY_SIX, at("2024-01-01T05:00:10Z"), null, CREATED, null, false);
        assertThat(d.shouldRun()).isTrue();
        assertThat(d.scheduledTime().orElseThrow().toOffsetDateTime()).hasToString("2024-01-01T06:00+01:00");
        assertThat(d.catchUp()).isFalse();
        assertThat(d.missedRuns()).isZero();
        assertThat(d.latestMissedTime()).isEmpty();
        assertThat(instant(d.nextScheduleTime())).contains(at("2024-01-02T05:00:00Z"));
        assertThat(d.requeueAfter(at("2024-01-01T05:00:10Z")))
                .contains(Duration.ofHours(24).minusSeconds(10));
    }

    @Test
    void nothingIsDueBeforeTheFirstScheduledTime() {
        ScheduleDecision d = ScheduleDecision.decide(DAILY_SIX, at("2024-01-01T04:00:00Z"), null, CREATED, null, false);
        assertThat(d.shouldRun()).isFalse();
        assertThat(d.missedRuns()).isZero();
        assertThat(instant(d.nextScheduleTime())).contains(at("2024-01-01T05:00:00Z"));
        assertThat(d.requeueAfter(at("2024-01-01T04:00:00Z"))).contains(Duration.ofHours(1));
    }

    @Test
    void timesBeforeCreationAreNotDue() {
        Instant created = at("2024-01-01T05:30:00Z"); // after 06:00 Berlin (05:00Z)
        ScheduleDecision d = ScheduleDecision.decide(DAILY_SIX, at("2024-01-01T05:40:00Z"), null, created, null, false);
        assertThat(d.shouldRun()).isFalse();
        assertThat(instant(d.nextScheduleTime())).contains(at("2024-01-02T05:00:00Z"));
    }

    @Test
    void afterDowntimeExactlyOneCatchUpRunsForTheMostRecentMissedTime() {
        Instant last = at("2024-01-01T06:00:00Z");
        Instant now = at("2024-01-01T11:20:00Z");
        ScheduleDecision d = ScheduleDecision.decide(HOURLY, now, last, CREATED, null, false);
        assertThat(instant(d.scheduledTime())).contains(at("2024-01-01T11:00:00Z"));
        assertThat(d.catchUp()).isTrue();
        assertThat(d.missedRuns()).isEqualTo(4); // 07:00 to 10:00 never run
        assertThat(instant(d.latestMissedTime())).contains(at("2024-01-01T10:00:00Z"));
        assertThat(instant(d.nextScheduleTime())).contains(at("2024-01-01T12:00:00Z"));
    }

    @Test
    void catchUpWithinTheStartingDeadlineRuns() {
        ScheduleDecision d = ScheduleDecision.decide(
                HOURLY, at("2024-01-01T11:20:00Z"), at("2024-01-01T06:00:00Z"), CREATED, 1800L, false);
        assertThat(instant(d.scheduledTime())).contains(at("2024-01-01T11:00:00Z"));
        assertThat(d.catchUp()).isTrue();
    }

    @Test
    void catchUpBeyondTheStartingDeadlineIsSkippedAndReportedAsMissed() {
        ScheduleDecision d = ScheduleDecision.decide(
                HOURLY, at("2024-01-01T11:20:00Z"), at("2024-01-01T06:00:00Z"), CREATED, 300L, false);
        assertThat(d.shouldRun()).isFalse();
        assertThat(d.catchUp()).isFalse();
        assertThat(d.missedRuns()).isEqualTo(5); // 07:00 to 11:00
        assertThat(instant(d.latestMissedTime())).contains(at("2024-01-01T11:00:00Z"));
        assertThat(instant(d.nextScheduleTime())).contains(at("2024-01-01T12:00:00Z"));
    }

    @Test
    void theDeadlineItselfIsStillInTime() {
        Instant scheduled = at("2024-01-01T11:00:00Z");
        assertThat(ScheduleDecision.decide(HOURLY, scheduled.plusSeconds(300), null, CREATED, 300L, false)
                        .shouldRun())
                .isTrue();
        assertThat(ScheduleDecision.decide(HOURLY, scheduled.plusSeconds(300).plusMillis(1), null, CREATED, 300L, false)
                        .shouldRun())
                .isFalse();
        assertThat(ScheduleDecision.decide(HOURLY, scheduled, null, CREATED, 0L, false)
                        .shouldRun())
                .isTrue();
    }

    @Test
    void decidingAgainAfterRecordingTheRunDoesNotRunTheSameTimeTwice() {
        Instant now = at("2024-01-01T11:20:00Z");
        ScheduleDecision first = ScheduleDecision.decide(HOURLY, now, at("2024-01-01T06:00:00Z"), CREATED, null, false);
        Instant recorded = first.scheduledTime().orElseThrow().toInstant();

        // e.g. the operator restarted and reconciles again with the status it wrote
        ScheduleDecision again = ScheduleDecision.decide(HOURLY, now.plusSeconds(30), recorded, CREATED, null, false);
        assertThat(again.shouldRun()).isFalse();
        assertThat(again.missedRuns()).isZero();
        assertThat(instant(again.nextScheduleTime())).contains(at("2024-01-01T12:00:00Z"));
    }

    @Test
    void nothingRunsWhileSuspended() {
        ScheduleDecision d = ScheduleDecision.decide(
                HOURLY, at("2024-01-01T11:00:05Z"), at("2024-01-01T06:00:00Z"), CREATED, null, true);
        assertThat(d.shouldRun()).isFalse();
        assertThat(d.missedRuns()).isZero();
        assertThat(d.nextScheduleTime()).isEmpty();
        assertThat(d.requeueAfter(at("2024-01-01T11:00:05Z"))).isEmpty();
    }

    @Test
    void resumingDoesNotFireTimesThatPassedWhileSuspended() {
        Instant last = at("2024-01-01T06:00:00Z");
        Instant resumedAt = at("2024-01-01T13:30:00Z");

        ScheduleDecision justResumed =
                ScheduleDecision.decide(HOURLY, resumedAt.plusSeconds(5), last, CREATED, resumedAt, null, false);
        assertThat(justResumed.shouldRun()).isFalse();
        assertThat(justResumed.missedRuns()).isZero();
        assertThat(instant(justResumed.nextScheduleTime())).contains(at("2024-01-01T14:00:00Z"));

        ScheduleDecision nextHour =
                ScheduleDecision.decide(HOURLY, at("2024-01-01T14:00:02Z"), last, CREATED, resumedAt, null, false);
        assertThat(instant(nextHour.scheduledTime())).contains(at("2024-01-01T14:00:00Z"));
        assertThat(nextHour.catchUp()).isFalse();
        assertThat(nextHour.missedRuns()).isZero();
    }

    @Test
    void withoutAResumeTimeTheLatestMissedRunWouldCatchUp() {
        ScheduleDecision d = ScheduleDecision.decide(
                HOURLY, at("2024-01-01T13:30:05Z"), at("2024-01-01T06:00:00Z"), CREATED, null, false);
        assertThat(instant(d.scheduledTime())).contains(at("2024-01-01T13:00:00Z"));
        assertThat(d.missedRuns()).isEqualTo(6);
    }

    @Test
    void aLastScheduleTimeInTheFutureNeverFiresEarly() {
        ScheduleDecision d = ScheduleDecision.decide(
                HOURLY, at("2024-01-01T10:59:00Z"), at("2024-01-01T11:00:00Z"), CREATED, null, false);
        assertThat(d.shouldRun()).isFalse();
        assertThat(instant(d.nextScheduleTime())).contains(at("2024-01-01T12:00:00Z"));
    }

    @Test
    void missedRunsAreCountedUpToALimit() {
        CronSchedule everyMinute = CronSchedule.parse("* * * * *", "UTC");
        ScheduleDecision d =
                ScheduleDecision.decide(everyMinute, at("2024-01-31T00:00:30Z"), null, CREATED, null, false);
        assertThat(instant(d.scheduledTime())).contains(at("2024-01-31T00:00:00Z"));
        assertThat(d.missedRuns()).isEqualTo(ScheduleDecision.MAX_COUNTED_MISSED_RUNS);
    }

    @Test
    void requeueIsNeverShorterThanOneSecond() {
        ScheduleDecision d =
                ScheduleDecision.decide(HOURLY, at("2024-01-01T10:59:59.900Z"), null, CREATED, null, false);
        assertThat(d.requeueAfter(at("2024-01-01T10:59:59.900Z"))).contains(Duration.ofSeconds(1));
    }

    @Test
    void negativeDeadlineIsRejected() {
        assertThatThrownBy(() -> ScheduleDecision.decide(HOURLY, at("2024-01-01T11:00:00Z"), null, CREATED, -1L, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("startingDeadlineSeconds must be 0 or more, got -1");
    }
}
