/**
 * Time rules for schedules, with no I/O and no Kubernetes types: cron with time zones and DST
 * ({@link io.lxdbackup.operator.schedule.CronSchedule}), when to fire
 * ({@link io.lxdbackup.operator.schedule.ScheduleDecision}), which backups to keep
 * ({@link RetentionPolicy}), names of the objects a run creates
 * ({@link io.lxdbackup.operator.schedule.ChildNames}) and Go-style durations
 * ({@link io.lxdbackup.operator.schedule.GoDuration}).
 */
package io.lxdbackup.operator.schedule;
