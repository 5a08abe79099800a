package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshot;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotStatus;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Which child updates wake a schedule: changes it reports or prunes on, not progress writes. */
class ScheduleChildEventFilterTest {
    final SnapshotScheduleReconciler schedules =
            new SnapshotScheduleReconciler(null, null, null, null, Clock.systemUTC(), Duration.ofMinutes(1));

    static InstanceSnapshot child(InstanceSnapshotPhase phase, String snapshotName) {
        InstanceSnapshot c = new InstanceSnapshot();
        if (phase != null) {
            InstanceSnapshotStatus s = new InstanceSnapshotStatus();
            s.setPhase(phase);
            s.setSnapshotName(snapshotName);
            c.setStatus(s);
        }
        return c;
    }

    @Test
    void progressWritesOfARunningChildDoNotWakeTheSchedule() {
        assertThat(schedules.changesWhatTheScheduleSees(child(InstanceSnapshotPhase.PENDING, null), child(null, null)))
                .isFalse();
        assertThat(schedules.changesWhatTheScheduleSees(
                        child(InstanceSnapshotPhase.CREATING, null), child(InstanceSnapshotPhase.PENDING, null)))
                .isFalse();
    }

    @Test
    void stateResultAndDeletionChangesWakeTheSchedule() {
        assertThat(schedules.changesWhatTheScheduleSees(
                        child(InstanceSnapshotPhase.READY, "snap0"), child(InstanceSnapshotPhase.CREATING, null)))
                .as("became Ready")
                .isTrue();
        assertThat(schedules.changesWhatTheScheduleSees(
                        child(InstanceSnapshotPhase.FAILED, null), child(InstanceSnapshotPhase.CREATING, null)))
                .as("failed")
                .isTrue();
        assertThat(schedules.changesWhatTheScheduleSees(
                        child(InstanceSnapshotPhase.CREATING, "snap1"), child(InstanceSnapshotPhase.CREATING, null)))
                .as("result name recorded")
                .isTrue();
        InstanceSnapshot marked = child(InstanceSnapshotPhase.READY, "snap0");
        marked.getMetadata().setDeletionTimestamp("2026-11-27T00:00:00Z");
        assertThat(schedules.changesWhatTheScheduleSees(marked, child(InstanceSnapshotPhase.READY, "snap0")))
                .as("marked for deletion")
                .isTrue();
    }
}
