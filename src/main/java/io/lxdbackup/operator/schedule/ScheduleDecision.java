package io.lxdbackup.operator.schedule;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.Objects;
import java.util.Optional;

/**
 * What a schedule should do at one reconcile: run one scheduled time now, or nothing, and when to
 * look again.
 *
 * <h2>Rules</h2>
 *
 * Like Kubernetes CronJob, but never a burst:
 *
 * <ul>
 *   <li>The <b>baseline</b> is {@code lastScheduleTime}, or {@code creationTime} when nothing has
 *       been scheduled yet, or {@code resumedAt} when that is later. Only scheduled times {@code t}
 *       with {@code baseline < t <= now} are considered ("due").
 *   <li>At most <b>one</b> run per decision: the most recent due time. Older due times are
 *       reported in {@link #missedRuns()} and never run, so an operator that was down for a day
 *       takes one catch-up backup, not 24.
 *   <li>With {@code startingDeadlineSeconds} set, the most recent due time is skipped (reported as
 *       missed, {@link #latestMissedTime()}) when {@code now - t > startingDeadlineSeconds}.
 *   <li>While {@code suspended} nothing runs and no next time is given. On resume the caller
 *       passes the time it saw {@code suspend} turn false as {@code resumedAt}; times due before it
 *       were suspended, not missed, so they neither run nor count.
 * </ul>
 *
 * The caller records {@link #scheduledTime()} as {@code status.lastScheduleTime} when it starts the
 * run; deciding again with that value cannot pick the same time twice. If the operator dies between
 * creating the child and writing the status, the child's name, derived from the scheduled time by
 * {@link ChildNames}, makes the second create an "already exists" instead of a second backup.
 *
 * @param scheduledTime the scheduled time to run now, if any
 * @param catchUp whether that run is late: it starts more than {@link #ON_TIME_TOLERANCE} after its
 *     scheduled time, typically because the operator was down or busy
 * @param missedRuns due times that will never run (older ones, plus the latest when it is past its
 *     deadline); saturates at {@link #MAX_COUNTED_MISSED_RUNS}
 * @param latestMissedTime the most recent of those missed times, if any
 * @param nextScheduleTime the first scheduled time after {@code now}; empty while suspended or when
 *     the schedule never fires again
 */
public record ScheduleDecision(
        Optional<ZonedDateTime> scheduledTime,
        boolean catchUp,
        int missedRuns,
        Optional<ZonedDateTime> latestMissedTime,
        Optional<ZonedDateTime> nextScheduleTime) {

    /** Cron has minute resolution: a run started within the scheduled minute is on time. */
    public static final Duration ON_TIME_TOLERANCE = Duration.ofMinutes(1);

    /** Counting is bounded so a long outage on a minutely schedule stays cheap to decide. */
    public static final int MAX_COUNTED_MISSED_RUNS = 1000;

    public ScheduleDecision {
        Objects.requireNonNull(scheduledTime, "scheduledTime");
        Objects.requireNonNull(latestMissedTime, "latestMissedTime");
        Objects.requireNonNull(nextScheduleTime, "nextScheduleTime");
    }

    /** {@link #decide(CronSchedule, Instant, Instant, Instant, Instant, Long, boolean)} without a resume time. */
    public static ScheduleDecision decide(
            CronSchedule schedule,
            Instant now,
            Instant lastScheduleTime,
            Instant creationTime,
            Long startingDeadlineSeconds,
            boolean suspended) {
        return decide(schedule, now, lastScheduleTime, creationTime, null, startingDeadlineSeconds, suspended);
    }

    /**
     * Decides what to do at {@code now}; see the class description for the rules.
     *
     * @param lastScheduleTime nullable: the last scheduled time that was started
     * @param creationTime when the schedule object was created
     * @param resumedAt nullable: when the schedule was last un-suspended
     * @param startingDeadlineSeconds nullable: how late a run may start; 0 or more
     */
    public static ScheduleDecision decide(
            CronSchedule schedule,
            Instant now,
            Instant lastScheduleTime,
            Instant creationTime,
            Instant resumedAt,
            Long startingDeadlineSeconds,
            boolean suspended) {
        Objects.requireNonNull(schedule, "schedule");
        Objects.requireNonNull(now, "now");
        Objects.requireNonNull(creationTime, "creationTime");
        if (startingDeadlineSeconds != null && startingDeadlineSeconds < 0) {
            throw new IllegalArgumentException(
                    "startingDeadlineSeconds must be 0 or more, got " + startingDeadlineSeconds);
        }
        if (suspended) {
            return new ScheduleDecision(Optional.empty(), false, 0, Optional.empty(), Optional.empty());
        }

        Instant started = lastScheduleTime != null ? lastScheduleTime : creationTime;
        Instant baseline = resumedAt != null && resumedAt.isAfter(started) ? resumedAt : started;
        // A baseline in the future (clock skew between replicas) must not make us fire early.
        Instant nextAfter = baseline.isAfter(now) ? baseline : now;
        Optional<ZonedDateTime> next = schedule.next(nextAfter);

        Optional<ZonedDateTime> latestDue =
                schedule.lastFireAtOrBefore(now).filter(t -> t.toInstant().isAfter(baseline));
        if (latestDue.isEmpty()) {
            return new ScheduleDecision(Optional.empty(), false, 0, Optional.empty(), next);
        }

        ZonedDateTime due = latestDue.get();
        int olderDue = countDue(schedule, baseline, due.toInstant());
        Duration late = Duration.between(due.toInstant(), now);
        if (startingDeadlineSeconds != null && late.compareTo(Duration.ofSeconds(startingDeadlineSeconds)) > 0) {
            return new ScheduleDecision(
                    Optional.empty(), false, Math.min(olderDue + 1, MAX_COUNTED_MISSED_RUNS), latestDue, next);
        }
        boolean catchUp = late.compareTo(ON_TIME_TOLERANCE) >= 0;
        return new ScheduleDecision(
                latestDue, catchUp, olderDue, olderDue > 0 ? previousDue(schedule, due) : Optional.empty(), next);
    }

    /** Whether something should be started now. */
    public boolean shouldRun() {
        return scheduledTime.isPresent();
    }

    /**
     * How long to wait before deciding again: until the next scheduled time, at least one second so
     * a slightly early wake-up cannot spin. Empty when there is nothing to wait for.
     */
    public Optional<Duration> requeueAfter(Instant now) {
        return nextScheduleTime.map(next -> {
            Duration wait = Duration.between(now, next.toInstant());
            return wait.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : wait;
        });
    }

    /** Scheduled times in {@code (baseline, before)}, up to {@link #MAX_COUNTED_MISSED_RUNS}. */
    private static int countDue(CronSchedule schedule, Instant baseline, Instant before) {
        int count = 0;
        Instant cursor = baseline;
        while (count < MAX_COUNTED_MISSED_RUNS) {
            Optional<ZonedDateTime> t = schedule.next(cursor);
            if (t.isEmpty() || !t.get().toInstant().isBefore(before)) {
                break;
            }
            count++;
            cursor = t.get().toInstant();
        }
        return count;
    }

    private static Optional<ZonedDateTime> previousDue(CronSchedule schedule, ZonedDateTime due) {
        return schedule.lastFireAtOrBefore(due.toInstant().minusNanos(1));
    }
}
