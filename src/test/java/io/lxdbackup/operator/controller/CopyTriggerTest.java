package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.lxdbackup.operator.schedule.CronSchedule;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class CopyTriggerTest {
    static final Instant CREATED = Instant.parse("2026-11-26T10:00:30Z");
    static final CronSchedule HOURLY = CronSchedule.parse("@hourly", "UTC");

    static CopyTrigger.History fresh() {
        return new CopyTrigger.History(CREATED, null, null, false, false, false, false, null);
    }

    static CopyTrigger.History synced(Instant lastSchedule) {
        return new CopyTrigger.History(CREATED, lastSchedule, null, true, true, false, true, null);
    }

    static CopyTrigger.History failed(Instant lastSchedule, boolean atGeneration, Instant retry) {
        return new CopyTrigger.History(
                CREATED, lastSchedule, null, lastSchedule != null, false, true, atGeneration, retry);
    }

    static Instant at(String t) {
        return Instant.parse("2026-11-26T" + t + "Z");
    }

    @Test
    void withoutScheduleCopiesOnceAndAgainOnlyAfterASpecChange() {
        CopyTrigger first = CopyTrigger.decide(null, false, null, fresh(), at("10:01:00"));
        assertThat(first.run()).isTrue();
        assertThat(first.why()).isEqualTo("initial");
        assertThat(first.scheduledTime()).isEmpty();
        assertThat(first.nextSyncTime()).isEmpty();

        CopyTrigger done = CopyTrigger.decide(null, false, null, synced(null), at("10:05:00"));
        assertThat(done.run()).isFalse();
        assertThat(done.requeueAfter()).isEmpty();

        CopyTrigger changed = CopyTrigger.decide(
                null,
                false,
                null,
                new CopyTrigger.History(CREATED, null, null, true, false, false, false, null),
                at("10:06:00"));
        assertThat(changed.run()).isTrue();
        assertThat(changed.why()).isEqualTo("spec changed");
    }

    @Test
    void failuresAreRetriedAtTheRetryTimeOrAtOnceAfterASpecChange() {
        Instant retry = at("10:10:00");
        CopyTrigger waiting = CopyTrigger.decide(null, false, null, failed(null, true, retry), at("10:09:00"));
        assertThat(waiting.run()).isFalse();
        assertThat(waiting.requeueAfter()).contains(Duration.ofMinutes(1));
        assertThat(CopyTrigger.decide(null, false, null, failed(null, true, retry), retry)
                        .why())
                .isEqualTo("retry");
        CopyTrigger fixed = CopyTrigger.decide(null, false, null, failed(null, false, retry), at("10:09:00"));
        assertThat(fixed.run()).isTrue();
        assertThat(fixed.why()).isEqualTo("spec changed");
    }

    @Test
    void scheduleCopiesAtOnceTheFirstTimeThenOnTheCron() {
        CopyTrigger first = CopyTrigger.decide(HOURLY, false, null, fresh(), at("10:01:00"));
        assertThat(first.run()).isTrue();
        assertThat(first.why()).isEqualTo("initial");
        assertThat(first.scheduledTime()).contains(at("10:01:00"));

        CopyTrigger idle = CopyTrigger.decide(HOURLY, false, null, synced(at("10:01:00")), at("10:30:00"));
        assertThat(idle.run()).isFalse();
        assertThat(idle.nextSyncTime().orElseThrow().toInstant()).isEqualTo(at("11:00:00"));
        // the wait is capped, so a wall-clock step delays a run by a minute at most
        assertThat(idle.requeueAfter()).contains(CopyTrigger.MAX_IDLE_WAIT);
        CopyTrigger soon = CopyTrigger.decide(HOURLY, false, null, synced(at("10:01:00")), at("10:59:50"));
        assertThat(soon.requeueAfter()).contains(Duration.ofSeconds(10));

        CopyTrigger fire = CopyTrigger.decide(HOURLY, false, null, synced(at("10:01:00")), at("11:00:02"));
        assertThat(fire.run()).isTrue();
        assertThat(fire.why()).isEqualTo("scheduled");
        assertThat(fire.scheduledTime()).contains(at("11:00:00"));
    }

    @Test
    void downtimeGivesOneCatchUpCopyAndTheDeadlineSkipsLateOnes() {
        CopyTrigger late = CopyTrigger.decide(HOURLY, false, null, synced(at("10:01:00")), at("14:20:00"));
        assertThat(late.run()).isTrue();
        assertThat(late.scheduledTime()).contains(at("14:00:00"));
        assertThat(late.missedRuns()).isEqualTo(3);
        assertThat(late.lastMissedTime()).contains(at("13:00:00"));
        assertThat(late.deadlinePassed()).isFalse();

        CopyTrigger skipped = CopyTrigger.decide(HOURLY, false, 300L, synced(at("10:01:00")), at("14:20:00"));
        assertThat(skipped.run()).isFalse();
        assertThat(skipped.nextSyncTime().orElseThrow().toInstant()).isEqualTo(at("15:00:00"));
        // all four are missed, the latest past its deadline: recorded as decided, like the schedules do
        assertThat(skipped.missedRuns()).isEqualTo(4);
        assertThat(skipped.lastMissedTime()).contains(at("14:00:00"));
        assertThat(skipped.deadlinePassed()).isTrue();
        // decided again with that time as lastScheduleTime: nothing missed any more, nothing runs
        CopyTrigger after = CopyTrigger.decide(HOURLY, false, 300L, synced(at("14:00:00")), at("14:20:30"));
        assertThat(after.run()).isFalse();
        assertThat(after.missedRuns()).isZero();
        assertThat(after.deadlinePassed()).isFalse();
    }

    @Test
    void suspendedStartsNothingAndResumeDoesNotCatchUp() {
        CopyTrigger suspended = CopyTrigger.decide(HOURLY, true, null, synced(at("10:01:00")), at("12:30:00"));
        assertThat(suspended.run()).isFalse();
        assertThat(suspended.nextSyncTime()).isEmpty();
        assertThat(suspended.requeueAfter()).isEmpty();

        CopyTrigger resumed = CopyTrigger.decide(
                HOURLY,
                false,
                null,
                new CopyTrigger.History(CREATED, at("10:01:00"), at("12:30:00"), true, true, false, true, null),
                at("12:30:05"));
        assertThat(resumed.run()).isFalse();
        assertThat(resumed.nextSyncTime().orElseThrow().toInstant()).isEqualTo(at("13:00:00"));
    }

    @Test
    void aFailedScheduledCopyIsRetriedBeforeTheNextFire() {
        Instant retry = at("11:00:40");
        CopyTrigger waiting =
                CopyTrigger.decide(HOURLY, false, null, failed(at("11:00:00"), true, retry), at("11:00:20"));
        assertThat(waiting.run()).isFalse();
        assertThat(waiting.requeueAfter()).contains(Duration.ofSeconds(20));
        CopyTrigger again =
                CopyTrigger.decide(HOURLY, false, null, failed(at("11:00:00"), true, retry), at("11:00:41"));
        assertThat(again.run()).isTrue();
        assertThat(again.why()).isEqualTo("retry");
        assertThat(again.scheduledTime()).isEmpty();
    }
}
