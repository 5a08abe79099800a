package io.lxdbackup.operator.controller.verify;

import io.lxdbackup.operator.api.v1alpha1.BackupVerificationSpec;
import io.lxdbackup.operator.api.v1alpha1.RestoreDrillSpec;
import io.lxdbackup.operator.api.v1alpha1.VerificationLevel;
import io.lxdbackup.operator.api.v1alpha1.VerificationSelector;
import io.lxdbackup.operator.controller.Failure;
import io.lxdbackup.operator.controller.Reasons;
import io.lxdbackup.operator.schedule.CronSchedule;
import io.lxdbackup.operator.schedule.GoDuration;
import io.lxdbackup.operator.schedule.InvalidScheduleException;
import io.lxdbackup.operator.verify.ExportSelection;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * A BackupVerification's spec, checked: what the API server's schema cannot say (cron, time
 * zone, durations, the drill settings level Restore needs) ends here as {@code InvalidSpec} or
 * {@code InvalidSchedule} with a message naming the field.
 *
 * @param cron null without schedule
 * @param drill null for level Checksum
 */
record VerificationSettings(
        VerificationLevel level,
        CronSchedule cron,
        ExportSelection.Criteria criteria,
        long bytesPerSecond,
        Drill drill) {

    /** Level Restore: where and how the scratch instance is imported and checked. */
    record Drill(
            String remote, String project, String storagePool, boolean start, List<String> command, Duration timeout) {}

    static VerificationSettings of(BackupVerificationSpec spec) {
        if (spec == null) {
            throw Failure.permanent(Reasons.INVALID_SPEC, "spec is required");
        }
        VerificationLevel level = spec.getLevel() == null ? VerificationLevel.CHECKSUM : spec.getLevel();
        CronSchedule cron = null;
        if (spec.getSchedule() != null) {
            try {
                cron = CronSchedule.parse(spec.getSchedule(), spec.getTimeZone());
            } catch (InvalidScheduleException e) {
                throw Failure.permanent(Reasons.INVALID_SCHEDULE, e.getMessage());
            }
        }
        VerificationSelector sel = spec.getSelector() == null ? new VerificationSelector() : spec.getSelector();
        Duration maxAge = sel.getMaxAge() == null ? null : duration("selector.maxAge", sel.getMaxAge());
        if (sel.getNewestPerInstance() != null && sel.getNewestPerInstance() < 1) {
            throw Failure.permanent(Reasons.INVALID_SPEC, "selector.newestPerInstance must be 1 or more");
        }
        ExportSelection.Criteria criteria = new ExportSelection.Criteria(
                sel.getScheduleRef() == null ? null : sel.getScheduleRef().getName(),
                sel.getStoreRef() == null ? null : sel.getStoreRef().getName(),
                sel.getInstances() == null ? Set.of() : Set.copyOf(sel.getInstances()),
                maxAge,
                sel.getNewestPerInstance());
        if (spec.getBytesPerSecond() != null && spec.getBytesPerSecond() < 1024) {
            throw Failure.permanent(
                    Reasons.INVALID_SPEC, "bytesPerSecond must be at least 1024 (or absent for no limit)");
        }
        long rate = spec.getBytesPerSecond() == null ? 0 : spec.getBytesPerSecond();
        Drill drill = null;
        if (level == VerificationLevel.RESTORE) {
            RestoreDrillSpec r = spec.getRestore();
            if (r == null
                    || r.getRemoteRef() == null
                    || r.getRemoteRef().getName() == null
                    || r.getRemoteRef().getName().isBlank()) {
                throw Failure.permanent(
                        Reasons.INVALID_SPEC,
                        "level Restore needs spec.restore.remoteRef.name: the LxdRemote "
                                + "the scratch instances are imported on");
            }
            List<String> command =
                    r.getCommand() == null || r.getCommand().isEmpty() ? null : List.copyOf(r.getCommand());
            if (command != null && command.get(0).isBlank()) {
                throw Failure.permanent(Reasons.INVALID_SPEC, "spec.restore.command[0] must name the program to run");
            }
            Duration timeout =
                    r.getTimeout() == null ? Duration.ofMinutes(5) : duration("restore.timeout", r.getTimeout());
            drill = new Drill(
                    r.getRemoteRef().getName(),
                    blankToNull(r.getProject()),
                    blankToNull(r.getStoragePool()),
                    Boolean.TRUE.equals(r.getStart()) || command != null,
                    command,
                    timeout);
        } else if (spec.getRestore() != null) {
            throw Failure.permanent(
                    Reasons.INVALID_SPEC, "spec.restore is only used with level: Restore; set the level or remove it");
        }
        return new VerificationSettings(level, cron, criteria, rate, drill);
    }

    private static Duration duration(String field, String text) {
        try {
            Duration d = GoDuration.parse(text);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("must be positive");
            }
            return d;
        } catch (IllegalArgumentException e) {
            throw Failure.permanent(
                    Reasons.INVALID_SPEC,
                    field + " '" + text + "': " + e.getMessage() + " (a Go duration such as 90s, 36h or 168h)");
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
