package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;
import java.util.Objects;

/** Observed state of an InstanceCopy. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class InstanceCopyStatus extends BaseStatus<InstanceCopyPhase> implements VolumesNotIncludedStatus {

    @JsonPropertyDescription(
            "Custom volumes attached to the instance (disk devices, profiles included) that this copy did not cover: their data is not in it. Back them up with spec.volume, or set attachedVolumes: Include where offered. Absent = none.")
    private java.util.List<AttachedVolume> volumesNotIncluded;

    @Override
    public java.util.List<AttachedVolume> getVolumesNotIncluded() {
        return volumesNotIncluded;
    }

    @Override
    public void setVolumesNotIncluded(java.util.List<AttachedVolume> volumesNotIncluded) {
        this.volumesNotIncluded = volumesNotIncluded;
    }

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

    public AutostartSettings getSourceAutostart() {
        return sourceAutostart;
    }

    public void setSourceAutostart(AutostartSettings sourceAutostart) {
        this.sourceAutostart = sourceAutostart;
    }

    public String getPromotedTime() {
        return promotedTime;
    }

    public void setPromotedTime(String promotedTime) {
        this.promotedTime = promotedTime;
    }

    public String getLastSyncTime() {
        return lastSyncTime;
    }

    public void setLastSyncTime(String lastSyncTime) {
        this.lastSyncTime = lastSyncTime;
    }

    public String getLastSuccessfulSyncTime() {
        return lastSuccessfulSyncTime;
    }

    public void setLastSuccessfulSyncTime(String lastSuccessfulSyncTime) {
        this.lastSuccessfulSyncTime = lastSuccessfulSyncTime;
    }

    public String getNextSyncTime() {
        return nextSyncTime;
    }

    public void setNextSyncTime(String nextSyncTime) {
        this.nextSyncTime = nextSyncTime;
    }

    public String getNextRetryTime() {
        return nextRetryTime;
    }

    public void setNextRetryTime(String nextRetryTime) {
        this.nextRetryTime = nextRetryTime;
    }

    public String getLastScheduleTime() {
        return lastScheduleTime;
    }

    public void setLastScheduleTime(String lastScheduleTime) {
        this.lastScheduleTime = lastScheduleTime;
    }

    public Integer getMissedRuns() {
        return missedRuns;
    }

    public void setMissedRuns(Integer missedRuns) {
        this.missedRuns = missedRuns;
    }

    public String getLastMissedTime() {
        return lastMissedTime;
    }

    public void setLastMissedTime(String lastMissedTime) {
        this.lastMissedTime = lastMissedTime;
    }

    public String getResumeTime() {
        return resumeTime;
    }

    public void setResumeTime(String resumeTime) {
        this.resumeTime = resumeTime;
    }

    public SyncKind getLastSyncKind() {
        return lastSyncKind;
    }

    public void setLastSyncKind(SyncKind lastSyncKind) {
        this.lastSyncKind = lastSyncKind;
    }

    public List<String> getSnapshotsOnSource() {
        return snapshotsOnSource;
    }

    public void setSnapshotsOnSource(List<String> snapshotsOnSource) {
        this.snapshotsOnSource = snapshotsOnSource;
    }

    public List<String> getSnapshotsOnTarget() {
        return snapshotsOnTarget;
    }

    public void setSnapshotsOnTarget(List<String> snapshotsOnTarget) {
        this.snapshotsOnTarget = snapshotsOnTarget;
    }

    public List<String> getTransferredSnapshots() {
        return transferredSnapshots;
    }

    public void setTransferredSnapshots(List<String> transferredSnapshots) {
        this.transferredSnapshots = transferredSnapshots;
    }

    public List<String> getRemovedSnapshots() {
        return removedSnapshots;
    }

    public void setRemovedSnapshots(List<String> removedSnapshots) {
        this.removedSnapshots = removedSnapshots;
    }

    public String getSyncId() {
        return syncId;
    }

    public void setSyncId(String syncId) {
        this.syncId = syncId;
    }

    public String getCopyRequestedAt() {
        return copyRequestedAt;
    }

    public void setCopyRequestedAt(String copyRequestedAt) {
        this.copyRequestedAt = copyRequestedAt;
    }

    public String getStagingInstance() {
        return stagingInstance;
    }

    public void setStagingInstance(String stagingInstance) {
        this.stagingInstance = stagingInstance;
    }

    public String getOperationId() {
        return operationId;
    }

    public void setOperationId(String operationId) {
        this.operationId = operationId;
    }

    public String getSourceOperationId() {
        return sourceOperationId;
    }

    public void setSourceOperationId(String sourceOperationId) {
        this.sourceOperationId = sourceOperationId;
    }

    public String getBackupName() {
        return backupName;
    }

    public void setBackupName(String backupName) {
        this.backupName = backupName;
    }

    public String getProgress() {
        return progress;
    }

    public void setProgress(String progress) {
        this.progress = progress;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass() || !super.equals(o)) {
            return false;
        }
        InstanceCopyStatus that = (InstanceCopyStatus) o;
        return Objects.equals(volumesNotIncluded, that.volumesNotIncluded)
                && Objects.equals(lastSyncTime, that.lastSyncTime)
                && Objects.equals(lastSuccessfulSyncTime, that.lastSuccessfulSyncTime)
                && Objects.equals(nextSyncTime, that.nextSyncTime)
                && Objects.equals(nextRetryTime, that.nextRetryTime)
                && Objects.equals(lastScheduleTime, that.lastScheduleTime)
                && Objects.equals(resumeTime, that.resumeTime)
                && Objects.equals(missedRuns, that.missedRuns)
                && Objects.equals(lastMissedTime, that.lastMissedTime)
                && Objects.equals(lastSyncKind, that.lastSyncKind)
                && Objects.equals(snapshotsOnSource, that.snapshotsOnSource)
                && Objects.equals(snapshotsOnTarget, that.snapshotsOnTarget)
                && Objects.equals(transferredSnapshots, that.transferredSnapshots)
                && Objects.equals(removedSnapshots, that.removedSnapshots)
                && Objects.equals(syncId, that.syncId)
                && Objects.equals(copyRequestedAt, that.copyRequestedAt)
                && Objects.equals(stagingInstance, that.stagingInstance)
                && Objects.equals(operationId, that.operationId)
                && Objects.equals(sourceOperationId, that.sourceOperationId)
                && Objects.equals(backupName, that.backupName)
                && Objects.equals(progress, that.progress)
                && Objects.equals(sourceAutostart, that.sourceAutostart)
                && Objects.equals(promotedTime, that.promotedTime);
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                super.hashCode(),
                volumesNotIncluded,
                lastSyncTime,
                lastSuccessfulSyncTime,
                nextSyncTime,
                nextRetryTime,
                lastScheduleTime,
                resumeTime,
                missedRuns,
                lastMissedTime,
                lastSyncKind,
                snapshotsOnSource,
                snapshotsOnTarget,
                transferredSnapshots,
                removedSnapshots,
                syncId,
                copyRequestedAt,
                stagingInstance,
                operationId,
                sourceOperationId,
                backupName,
                progress,
                sourceAutostart,
                promotedTime);
    }

    @Override
    public String toString() {
        return "InstanceCopyStatus{" + "lastSyncTime=" + lastSyncTime
                + ", lastSuccessfulSyncTime=" + lastSuccessfulSyncTime
                + ", nextSyncTime=" + nextSyncTime
                + ", nextRetryTime=" + nextRetryTime
                + ", lastScheduleTime=" + lastScheduleTime
                + ", resumeTime=" + resumeTime
                + ", missedRuns=" + missedRuns
                + ", lastMissedTime=" + lastMissedTime
                + ", lastSyncKind=" + lastSyncKind
                + ", snapshotsOnSource=" + snapshotsOnSource
                + ", snapshotsOnTarget=" + snapshotsOnTarget
                + ", transferredSnapshots=" + transferredSnapshots
                + ", removedSnapshots=" + removedSnapshots
                + ", syncId=" + syncId
                + ", copyRequestedAt=" + copyRequestedAt
                + ", stagingInstance=" + stagingInstance
                + ", operationId=" + operationId
                + ", sourceOperationId=" + sourceOperationId
                + ", backupName=" + backupName
                + ", progress=" + progress
                + ", sourceAutostart=" + sourceAutostart
                + ", promotedTime=" + promotedTime
                + ", " + super.toString() + "}";
    }
}
