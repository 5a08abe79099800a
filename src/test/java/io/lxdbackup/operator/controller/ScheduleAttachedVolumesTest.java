package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.lxdbackup.operator.api.v1alpha1.AttachedVolumesMode;
import io.lxdbackup.operator.api.v1alpha1.ExportSchedule;
import io.lxdbackup.operator.api.v1alpha1.ExportScheduleSpec;
import io.lxdbackup.operator.api.v1alpha1.ExportTemplate;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.api.v1alpha1.SnapshotSchedule;
import io.lxdbackup.operator.api.v1alpha1.SnapshotScheduleSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.Test;

/** Schedules pass attachedVolumes from their template to every child they create. */
class ScheduleAttachedVolumesTest {
    static final ZonedDateTime AT = ZonedDateTime.of(2026, 12, 7, 6, 0, 0, 0, ZoneOffset.UTC);

    @Test
    void snapshotScheduleChildrenGetAttachedVolumes() {
        SnapshotScheduleReconciler r =
                new SnapshotScheduleReconciler(null, null, null, null, Clock.systemUTC(), Duration.ofMinutes(1));
        SnapshotSchedule s = new SnapshotSchedule();
        SnapshotScheduleSpec spec = new SnapshotScheduleSpec();
        spec.setRemoteRef(new ObjectRef("lxd-a"));
        s.setSpec(spec);
        assertThat(r.newChild(s, "web1", AT).getSpec().getAttachedVolumes()).isNull();
        spec.setAttachedVolumes(AttachedVolumesMode.INCLUDE);
        assertThat(r.newChild(s, "web1", AT).getSpec().getAttachedVolumes()).isEqualTo(AttachedVolumesMode.INCLUDE);
    }

    @Test
    void exportScheduleChildrenGetAttachedVolumes() {
        ExportScheduleReconciler r =
                new ExportScheduleReconciler(null, null, null, null, Clock.systemUTC(), Duration.ofMinutes(1));
        ExportSchedule s = new ExportSchedule();
        ExportScheduleSpec spec = new ExportScheduleSpec();
        spec.setRemoteRef(new ObjectRef("lxd-a"));
        ExportTemplate t = new ExportTemplate();
        t.setStoreRef(new ObjectRef("s3-main"));
        t.setAttachedVolumes(AttachedVolumesMode.INCLUDE);
        spec.setExportTemplate(t);
        s.setSpec(spec);
        assertThat(r.newChild(s, "web1", AT).getSpec().getAttachedVolumes()).isEqualTo(AttachedVolumesMode.INCLUDE);
        t.setAttachedVolumes(AttachedVolumesMode.REPORT);
        assertThat(r.newChild(s, "web1", AT).getSpec().getAttachedVolumes()).isEqualTo(AttachedVolumesMode.REPORT);
    }
}
