package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.Setter;
import lombok.ToString;

/** Observed state of an InstanceCopy. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Getter
@Setter
@EqualsAndHashCode(callSuper = true)
@ToString(callSuper = true)
public class InstanceCopyStatus extends BaseStatus<InstanceCopyPhase> implements VolumesNotIncludedStatus {

    @JsonPropertyDescription(
            "Custom volumes attached to the instance (disk devices, profiles included) that this copy did not cover: their data is not in it. Back them up with spec.volume, or set attachedVolumes: Include where offered. Absent = none.")
    private List<AttachedVolume> volumesNotIncluded;

    @JsonPropertyDescription("RFC 3339 time the last copy finished (successfully or not).")
    private String lastSyncTime;

    @JsonPropertyDescription("RFC 3339 time the last successful copy finished.")
    private String lastSuccessfulSyncTime;

    @JsonPropertyDescription("RFC 3339 time of the next scheduled copy; absent without schedule or while suspended.")
    private String nextSyncTime;

    @JsonPropertyDescription("RFC 3339 time a failed copy is tried again; absent when the last copy did not fail.")
    private String nextRetryTime;

    @JsonPropertyDescription(
            "RFC 3339 scheduled time of the last copy the schedule started (the start time for the first copy, which does not wait for the schedule).")
    private String lastScheduleTime;

    @JsonPropertyDescription("RFC 3339 time suspend was last turned off; scheduled times before it are not caught up.")
    private String resumeTime;

    @JsonPropertyDescription(
            "Scheduled times of the latest decision that were not run (operator down past startingDeadlineSeconds, or older than the one catch-up copy).")
    private Integer missedRuns;

    @JsonPropertyDescription("RFC 3339 time of the most recent scheduled time that was not run.")
    private String lastMissedTime;

    @JsonPropertyDescription(
            "What the last successful copy transferred: Full or Incremental (relay copies are always Full).")
    private SyncKind lastSyncKind;

    @JsonPropertyDescription("Snapshot names of the instance on the source after the last copy.")
    private List<String> snapshotsOnSource;

    @JsonPropertyDescription("Snapshot names of the instance on the target after the last copy.")
    private List<String> snapshotsOnTarget;

    @JsonPropertyDescription(
            "Snapshots the last successful copy brought to the target (all of them for a Full copy, only the new ones for an Incremental one).")
    private List<String> transferredSnapshots;

    @JsonPropertyDescription(
            "Snapshots the last successful copy removed from the target because they no longer exist on the source (LXD refresh mirrors the source's snapshot list).")
    private List<String> removedSnapshots;

    @JsonPropertyDescription(
            "Identifies the copy in progress; the target instance carries it in config key user.lxdbackup.sync once that copy is complete. Absent when no copy is running.")
    private String syncId;

    @JsonPropertyDescription("RFC 3339 time the copy in progress was started; absent when no copy is running.")
    private String copyRequestedAt;

    @JsonPropertyDescription(
            "Instance on the target server the copy in progress writes to before it is renamed to the target name; absent when none.")
    private String stagingInstance;

    @JsonPropertyDescription(
            "LXD operation on the target server that completes the copy in progress; lets a restarted operator wait for it instead of copying twice.")
    private String operationId;

    @JsonPropertyDescription(
            "LXD migration operation on the source server of the copy in progress; cancelled when the copy is abandoned.")
    private String sourceOperationId;

    @JsonPropertyDescription("Relay mode: LXD-side backup on the source being streamed; always deleted afterwards.")
    private String backupName;

    @JsonPropertyDescription("Last progress report of the copy in progress.")
    private String progress;

    @JsonPropertyDescription(
            "The source instance's own boot.autostart, boot.autostart.priority and boot.autostart.delay, read when the last copy started; a promotion gives them back to the target (spec.promote). Absent for volume copies.")
    private AutostartSettings sourceAutostart;

    @JsonPropertyDescription(
            "RFC 3339 time the target was promoted (spec.promote): it is no longer a copy, and this resource copies nothing any more.")
    private String promotedTime;
}
