package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.Setter;
import lombok.ToString;

/** Observed state of an InstanceSnapshot. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Getter
@Setter
@EqualsAndHashCode(callSuper = true)
@ToString(callSuper = true)
public class InstanceSnapshotStatus extends BaseStatus<InstanceSnapshotPhase> implements VolumesNotIncludedStatus {

    @JsonPropertyDescription(
            "Custom volumes attached to the instance (disk devices, profiles included) that this snapshot did not cover: their data is not in it. Back them up with spec.volume, or set attachedVolumes: Include where offered. Absent = none.")
    private List<AttachedVolume> volumesNotIncluded;

    @JsonPropertyDescription(
            "attachedVolumes: Include: the custom volumes attached to the instance and the snapshot taken of each in the same run; deleting this InstanceSnapshot (deletionPolicy: Delete) deletes these volume snapshots, and only these.")
    private List<IncludedVolume> volumes;

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
}
