package io.lxdbackup.operator.controller;

import io.lxdbackup.operator.schedule.CronSchedule;
import io.lxdbackup.operator.schedule.ScheduleDecision;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.Optional;

/**
 * Whether an idle {@code InstanceCopy} starts a copy now, and when to look again. Pure: every
 * input is a value, so the rules are unit-tested without a cluster or a clock.
 *
 * <h2>Rules</h2>
 *
 * <ul>
 *   <li>Suspended: nothing starts, no next time.
 *   <li>Without a schedule: a copy starts when the {@code Synced} condition is not True for the
 *       current generation (first copy, or the spec changed since the last success).
 *   <li>With a schedule: the first copy starts right away (a new copy does not wait an hour or a
 *       day for its first sync); after that {@link ScheduleDecision} decides, with the same
 *       catch-up, deadline and resume rules as the other schedules: at most one copy per decision,
 *       never a burst after downtime or a resume.
 *   <li>After a failure the copy is tried again at {@code nextRetryTime}, or at once when the spec
 *       changed since the failure.
 *   <li>An idle scheduled copy looks again at the next scheduled time, but at least every
 *       {@link #MAX_IDLE_WAIT}, so a wall-clock step (NTP, a resumed VM) delays a run by a minute
 *       at most. Such a look costs nothing on the LXD servers.
 * </ul>
 *
 * @param run whether to start a copy now
 * @param why {@code initial}, {@code scheduled}, {@code spec changed} or {@code retry}; null when not running
 * @param scheduledTime what to record as {@code lastScheduleTime} when starting; empty for copies not
 *     started by the schedule
 * @param nextSyncTime the next scheduled time; empty without schedule or while suspended
 * @param requeueAfter when to reconcile again if nothing starts; empty = only on a change
 * @param missedRuns scheduled times that will never run (downtime, deadline)
 * @param lastMissedTime the most recent of those missed times, if any
 * @param deadlinePassed whether the most recent due time itself is missed (past
 *     {@code startingDeadlineSeconds}); it is recorded as {@code lastScheduleTime} like a run, so it
 *     is decided once, as in the other schedules
 */
public record CopyTrigger(
        boolean run,
        String why,
        Optional<Instant> scheduledTime,
        Optional<ZonedDateTime> nextSyncTime,
        Optional<Duration> requeueAfter,
        int missedRuns,
        Optional<Instant> lastMissedTime,
        boolean deadlinePassed) {

    public static final Duration MAX_IDLE_WAIT = Duration.ofMinutes(1);

    /** What the status says about earlier copies. */
    public record History(
            Instant creationTime,
            Instant lastScheduleTime,
            Instant resumeTime,
            boolean everSynced,
            boolean syncedAtGeneration,
            boolean failed,
            boolean failedAtGeneration,
            Instant nextRetryTime) {}

    public static CopyTrigger decide(
            CronSchedule schedule, boolean suspended, Long startingDeadlineSeconds, History h, Instant now) {
        if (suspended) {
            return new CopyTrigger(
                    false, null, Optional.empty(), Optional.empty(), Optional.empty(), 0, Optional.empty(), false);
        }
        boolean retryDue = h.failed()
                && (!h.failedAtGeneration() || h.nextRetryTime() == null || !now.isBefore(h.nextRetryTime()));
        String retryWhy = h.failed() && !h.failedAtGeneration() ? "spec changed" : "retry";
        if (schedule == null) {
            if (h.failed()) {
                return retryDue
                        ? start(retryWhy, Optional.empty(), Optional.empty(), null)
                        : idle(Optional.empty(), Optional.of(Duration.between(now, h.nextRetryTime())), null);
            }
            if (!h.syncedAtGeneration()) {
                return start(h.everSynced() ? "spec changed" : "initial", Optional.empty(), Optional.empty(), null);
            }
            return idle(Optional.empty(), Optional.empty(), null);
        }
        ScheduleDecision d = ScheduleDecision.decide(
                schedule, now, h.lastScheduleTime(), h.creationTime(), h.resumeTime(), startingDeadlineSeconds, false);
        if (d.shouldRun()) {
            return start("scheduled", d.scheduledTime().map(ZonedDateTime::toInstant), d.nextScheduleTime(), d);
        }
        if (!h.everSynced() && h.lastScheduleTime() == null && !h.failed()) {
            return start("initial", Optional.of(now), d.nextScheduleTime(), d);
        }
        if (retryDue) {
            return start(retryWhy, Optional.empty(), d.nextScheduleTime(), d);
        }
        Duration wait = d.requeueAfter(now).orElse(MAX_IDLE_WAIT);
        if (h.failed() && h.nextRetryTime() != null) {
            wait = min(wait, Duration.between(now, h.nextRetryTime()));
        }
        return idle(d.nextScheduleTime(), Optional.of(clamp(min(wait, MAX_IDLE_WAIT))), d);
    }

    private static CopyTrigger start(
            String why, Optional<Instant> scheduled, Optional<ZonedDateTime> next, ScheduleDecision d) {
        return new CopyTrigger(
                true, why, scheduled, next, Optional.empty(), missed(d), lastMissed(d), deadlinePassed(d));
    }

    private static CopyTrigger idle(Optional<ZonedDateTime> next, Optional<Duration> requeue, ScheduleDecision d) {
        return new CopyTrigger(
                false,
                null,
                Optional.empty(),
                next,
                requeue.map(CopyTrigger::clamp),
                missed(d),
                lastMissed(d),
                deadlinePassed(d));
    }

    private static int missed(ScheduleDecision d) {
        return d == null ? 0 : d.missedRuns();
    }

    private static Optional<Instant> lastMissed(ScheduleDecision d) {
        return d == null ? Optional.empty() : d.latestMissedTime().map(ZonedDateTime::toInstant);
    }

    private static boolean deadlinePassed(ScheduleDecision d) {
        return d != null && !d.shouldRun() && d.latestMissedTime().isPresent();
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** At least one second, so an early wake-up cannot spin. */
    private static Duration clamp(Duration d) {
        return d.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : d;
    }
}
