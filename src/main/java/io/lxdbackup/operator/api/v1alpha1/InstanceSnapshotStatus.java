package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** Observed state of an InstanceSnapshot. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class InstanceSnapshotStatus extends BaseStatus<InstanceSnapshotPhase> implements VolumesNotIncludedStatus {

    @JsonPropertyDescription(
            "Custom volumes attached to the instance (disk devices, profiles included) that this snapshot did not cover: their data is not in it. Back them up with spec.volume, or set attachedVolumes: Include where offered. Absent = none.")
    private java.util.List<AttachedVolume> volumesNotIncluded;

    @JsonPropertyDescription(
            "attachedVolumes: Include: the custom volumes attached to the instance and the snapshot taken of each in the same run; deleting this InstanceSnapshot (deletionPolicy: Delete) deletes these volume snapshots, and only these.")
    private java.util.List<IncludedVolume> volumes;

    public java.util.List<IncludedVolume> getVolumes() {
        return volumes;
    }

    public void setVolumes(java.util.List<IncludedVolume> volumes) {
        this.volumes = volumes;
    }

    @Override
    public java.util.List<AttachedVolume> getVolumesNotIncluded() {
        return volumesNotIncluded;
    }

    @Override
    public void setVolumesNotIncluded(java.util.List<AttachedVolume> volumesNotIncluded) {
        this.volumesNotIncluded = volumesNotIncluded;
    }

    @JsonPropertyDescription("Name of the snapshot on the server.")
    private String snapshotName;

    @JsonPropertyDescription("RFC 3339 creation time reported by LXD (created_at).")
    private String creationTime;

    @JsonPropertyDescription("RFC 3339 expiry applied on the server; absent = never expires.")
    private String expiresAt;

    @JsonPropertyDescription("Whether the snapshot includes the running state.")
    private Boolean stateful;

    @JsonPropertyDescription("Snapshot size in bytes, when the server reports it.")
    private Long size;

    @JsonPropertyDescription("true once the snapshot exists on the server and can be restored.")
    private Boolean readyToUse;

    @JsonPropertyDescription(
            "RFC 3339 time the operator asked LXD to create the snapshot, used to find it after an interrupted attempt; cleared once Ready.")
    private String creationRequestedAt;

    @JsonPropertyDescription(
            "RFC 3339 expiry with random nanoseconds sent with the creation request: the snapshot carrying exactly this expiry is the one this resource created, so a restarted operator never adopts a snapshot someone else took meanwhile. Replaced on the server by the intended expiry, and cleared here, once Ready.")
    private String creationMark;

    public String getSnapshotName() {
        return snapshotName;
    }

    public void setSnapshotName(String snapshotName) {
        this.snapshotName = snapshotName;
    }

    public String getCreationTime() {
        return creationTime;
    }

    public void setCreationTime(String creationTime) {
        this.creationTime = creationTime;
    }

    public String getExpiresAt() {
        return expiresAt;
    }

    public void setExpiresAt(String expiresAt) {
        this.expiresAt = expiresAt;
    }

    public Boolean getStateful() {
        return stateful;
    }

    public void setStateful(Boolean stateful) {
        this.stateful = stateful;
    }

    public Long getSize() {
        return size;
    }

    public void setSize(Long size) {
        this.size = size;
    }

    public Boolean getReadyToUse() {
        return readyToUse;
    }

    public void setReadyToUse(Boolean readyToUse) {
        this.readyToUse = readyToUse;
    }

    public String getCreationRequestedAt() {
        return creationRequestedAt;
    }

    public void setCreationRequestedAt(String creationRequestedAt) {
        this.creationRequestedAt = creationRequestedAt;
    }

    public String getCreationMark() {
        return creationMark;
    }

    public void setCreationMark(String creationMark) {
        this.creationMark = creationMark;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass() || !super.equals(o)) {
            return false;
        }
        InstanceSnapshotStatus that = (InstanceSnapshotStatus) o;
        return Objects.equals(volumesNotIncluded, that.volumesNotIncluded)
                && Objects.equals(volumes, that.volumes)
                && Objects.equals(snapshotName, that.snapshotName)
                && Objects.equals(creationTime, that.creationTime)
                && Objects.equals(expiresAt, that.expiresAt)
                && Objects.equals(stateful, that.stateful)
                && Objects.equals(size, that.size)
                && Objects.equals(readyToUse, that.readyToUse)
                && Objects.equals(creationRequestedAt, that.creationRequestedAt)
                && Objects.equals(creationMark, that.creationMark);
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                super.hashCode(),
                volumesNotIncluded,
                snapshotName,
                creationTime,
                expiresAt,
                stateful,
                size,
                readyToUse,
                creationRequestedAt,
                creationMark,
                volumes);
    }

    @Override
    public String toString() {
        return "InstanceSnapshotStatus{" + "snapshotName=" + snapshotName
                + ", creationTime=" + creationTime
                + ", expiresAt=" + expiresAt
                + ", stateful=" + stateful
                + ", size=" + size
                + ", readyToUse=" + readyToUse
                + ", creationRequestedAt=" + creationRequestedAt
                + ", creationMark=" + creationMark + ", " + super.toString() + "}";
    }
}
