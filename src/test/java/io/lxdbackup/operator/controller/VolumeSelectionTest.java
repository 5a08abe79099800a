package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lxdbackup.operator.api.v1alpha1.ExportSchedule;
import io.lxdbackup.operator.api.v1alpha1.ExportScheduleSpec;
import io.lxdbackup.operator.api.v1alpha1.ExportScheduleStatus;
import io.lxdbackup.operator.api.v1alpha1.ExportTemplate;
import io.lxdbackup.operator.api.v1alpha1.InstanceRunStatus;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.api.v1alpha1.SnapshotSchedule;
import io.lxdbackup.operator.api.v1alpha1.SnapshotScheduleSpec;
import io.lxdbackup.operator.api.v1alpha1.VolumeRef;
import io.lxdbackup.operator.api.v1alpha1.VolumeSelector;
import io.lxdbackup.operator.lxd.StorageVolume;
import io.lxdbackup.operator.schedule.ChildNames;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The volume part of a schedule's selection, its validation, and how volumes are kept apart from instances. */
class VolumeSelectionTest {
    static final ZonedDateTime AT = ZonedDateTime.of(2026, 12, 7, 6, 0, 0, 0, ZoneOffset.UTC);

    static StorageVolume vol(String pool, String name, Map<String, String> config) {
        return new StorageVolume(pool, name, "filesystem", "", config, List.of());
    }

    static SnapshotScheduleSpec spec() {
        SnapshotScheduleSpec s = new SnapshotScheduleSpec();
        s.setRemoteRef(new ObjectRef("lxd-a"));
        s.setSchedule("@hourly");
        return s;
    }

    @Test
    void explicitVolumesAndSelectorAreUnitedAndEachPoolIsListedOnce() {
        SnapshotScheduleSpec spec = spec();
        spec.setVolumes(List.of(new VolumeRef("default", "data"), new VolumeRef("default", "gone")));
        VolumeSelector sel = new VolumeSelector();
        sel.setPool("default");
        sel.setNamePattern("app-*");
        sel.setMatchConfig(Map.of("user.backup", "true"));
        spec.setVolumeSelector(sel);
        List<String> listed = new ArrayList<>();
        List<VolumeSelection.Selected> out = VolumeSelection.select(spec, pool -> {
            listed.add(pool);
            return Optional.of(List.of(
                    vol(pool, "data", Map.of()),
                    vol(pool, "app-1", Map.of("user.backup", "true")),
                    vol(pool, "app-2", Map.of("user.backup", "false")),
                    vol(pool, "other", Map.of("user.backup", "true"))));
        });
        assertThat(listed).containsExactly("default");
        assertThat(out)
                .extracting(VolumeSelection.Selected::key, VolumeSelection.Selected::exists)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("default/app-1", true),
                        org.assertj.core.groups.Tuple.tuple("default/data", true),
                        org.assertj.core.groups.Tuple.tuple("default/gone", false));
        assertThat(out.get(2).problem()).isEqualTo("volume gone does not exist in storage pool default");
    }

    @Test
    void aMissingPoolIsReportedPerVolumeAndSelectsNothing() {
        SnapshotScheduleSpec spec = spec();
        spec.setVolumes(List.of(new VolumeRef("nopool", "data")));
        VolumeSelector sel = new VolumeSelector();
        sel.setPool("nopool");
        spec.setVolumeSelector(sel);
        List<VolumeSelection.Selected> out = VolumeSelection.select(spec, pool -> Optional.empty());
        assertThat(out).singleElement().satisfies(v -> {
            assertThat(v.exists()).isFalse();
            assertThat(v.problem()).isEqualTo("storage pool nopool does not exist");
        });
    }

    @Test
    void validationSaysWhatToFix() {
        SnapshotScheduleSpec spec = spec();
        spec.setVolumes(List.of(new VolumeRef("", "data")));
        assertThatThrownBy(() -> VolumeSelection.validate(spec)).isInstanceOfSatisfying(Failure.class, f -> {
            assertThat(f.reason()).isEqualTo(Reasons.INVALID_SPEC);
            assertThat(f.getMessage()).contains("spec.volumes[0].pool is required");
        });
        spec.setVolumes(List.of(new VolumeRef("default", " ")));
        assertThatThrownBy(() -> VolumeSelection.validate(spec)).hasMessageContaining("spec.volumes[0].name");
        spec.setVolumes(List.of(new VolumeRef("default", "a/b")));
        assertThatThrownBy(() -> VolumeSelection.validate(spec)).hasMessageContaining("may not contain '/'");
        spec.setVolumes(null);
        spec.setVolumeSelector(new VolumeSelector());
        assertThatThrownBy(() -> VolumeSelection.validate(spec))
                .isInstanceOfSatisfying(
                        Failure.class, f -> assertThat(f.reason()).isEqualTo(Reasons.INVALID_SPEC))
                .hasMessageContaining("spec.volumeSelector.pool is required");
        spec.getVolumeSelector().setPool("default");
        VolumeSelection.validate(spec);
        assertThat(VolumeSelection.any(spec)).isTrue();
        assertThat(VolumeSelection.anyInstances(spec)).isFalse();
    }

    @Test
    void aVolumesChildNameNeverMeetsAnInstancesAndIsStable() {
        String volume = ChildNames.childName("nightly", VolumeSelection.key("default", "data"), AT);
        // an instance whose name is the volume key with '-' in place of '/'
        String instance = ChildNames.childName("nightly", "default-data", AT);
        assertThat(volume)
                .isNotEqualTo(instance)
                .startsWith("nightly-default-data-")
                .endsWith("-202612070600");
        assertThat(ChildNames.childName("nightly", "default/data", AT)).isEqualTo(volume);
    }

    @Test
    void statusKeepsVolumesApartFromInstances() {
        ExportScheduleStatus status = new ExportScheduleStatus();
        var runs = ScheduleReconcilerBase.runsByName(status);
        runs.put("web1", ScheduleReconcilerBase.newRun("web1"));
        runs.put("default/data", ScheduleReconcilerBase.newRun("default/data"));
        ScheduleReconcilerBase.writeRuns(status, runs);
        assertThat(status.getInstances()).extracting(InstanceRunStatus::getName).containsExactly("web1");
        assertThat(status.getInstances().get(0).getPool()).isNull();
        assertThat(status.getVolumes())
                .extracting(InstanceRunStatus::getPool, InstanceRunStatus::getName)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("default", "data"));
        assertThat(status.findVolume("default", "data")).isPresent();
        // read back under the same keys
        assertThat(ScheduleReconcilerBase.runsByName(status)).containsOnlyKeys("web1", "default/data");
    }

    @Test
    void volumeChildrenCarryTheVolumeAndOnlyTheSettingsThatApplyToIt() {
        SnapshotScheduleReconciler sr =
                new SnapshotScheduleReconciler(null, null, null, null, Clock.systemUTC(), Duration.ofMinutes(1));
        SnapshotSchedule s = new SnapshotSchedule();
        SnapshotScheduleSpec spec = spec();
        spec.setStateful(false);
        spec.setExpiry("48h");
        spec.setAttachedVolumes(io.lxdbackup.operator.api.v1alpha1.AttachedVolumesMode.INCLUDE);
        s.setSpec(spec);
        var snap = sr.newVolumeChild(s, new VolumeRef("default", "data"), AT);
        assertThat(snap.getSpec().getInstance()).isNull();
        assertThat(snap.getSpec().getVolume()).isEqualTo(new VolumeRef("default", "data"));
        assertThat(snap.getSpec().getTtl()).isEqualTo("48h");
        assertThat(snap.getSpec().getStateful()).isNull();
        assertThat(snap.getSpec().getAttachedVolumes()).isNull();
        assertThat(sr.childVolume(snap)).isEqualTo(new VolumeRef("default", "data"));
        assertThat(sr.targetKey(snap)).isEqualTo("default/data");

        ExportScheduleReconciler er =
                new ExportScheduleReconciler(null, null, null, null, Clock.systemUTC(), Duration.ofMinutes(1));
        ExportSchedule e = new ExportSchedule();
        ExportScheduleSpec es = new ExportScheduleSpec();
        es.setRemoteRef(new ObjectRef("lxd-a"));
        ExportTemplate t = new ExportTemplate();
        t.setStoreRef(new ObjectRef("s3-main"));
        t.setInstanceOnly(true);
        t.setAttachedVolumes(io.lxdbackup.operator.api.v1alpha1.AttachedVolumesMode.INCLUDE);
        es.setExportTemplate(t);
        e.setSpec(es);
        var exp = er.newVolumeChild(e, new VolumeRef("default", "data"), AT);
        assertThat(exp.getSpec().getInstance()).isNull();
        assertThat(exp.getSpec().getVolume()).isEqualTo(new VolumeRef("default", "data"));
        assertThat(exp.getSpec().getInstanceOnly()).isTrue();
        assertThat(exp.getSpec().getAttachedVolumes()).isNull();
        assertThat(exp.getSpec().getStoreRef().getName()).isEqualTo("s3-main");
    }

    @Test
    void serverModeWritesTheKeysAVolumeHas() {
        SnapshotScheduleSpec spec = spec();
        spec.setExpiry("168h");
        spec.setSnapshotNamePattern("auto-%d");
        assertThat(SnapshotScheduleReconciler.desiredVolumeKeys(spec))
                .containsExactlyInAnyOrderEntriesOf(Map.of(
                        "snapshots.schedule", "@hourly", "snapshots.expiry", "1w", "snapshots.pattern", "auto-%d"));
    }
}
