package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import lombok.Data;

/** Desired state of an InstanceSnapshot; only the expiry fields may change after creation. */
@ValidationRule(
        value = "self.remoteRef == oldSelf.remoteRef",
        message = "remoteRef is immutable",
        reason = "FieldValueForbidden")
@ValidationRule(
        value =
                "has(self.instance) == has(oldSelf.instance) && (!has(self.instance) || self.instance == oldSelf.instance)",
        message = "instance is immutable",
        reason = "FieldValueForbidden")
@ValidationRule(
        value = "has(self.volume) == has(oldSelf.volume) && (!has(self.volume) || self.volume == oldSelf.volume)",
        message = "volume is immutable",
        reason = "FieldValueForbidden")
@ValidationRule(
        value = "has(self.project) == has(oldSelf.project) && (!has(self.project) || self.project == oldSelf.project)",
        message = "project is immutable",
        reason = "FieldValueForbidden")
@ValidationRule(
        value =
                "has(self.snapshotName) == has(oldSelf.snapshotName) && (!has(self.snapshotName) || self.snapshotName == oldSelf.snapshotName)",
        message = "snapshotName is immutable",
        reason = "FieldValueForbidden")
@ValidationRule(
        value =
                "has(self.stateful) == has(oldSelf.stateful) && (!has(self.stateful) || self.stateful == oldSelf.stateful)",
        message = "stateful is immutable",
        reason = "FieldValueForbidden")
@ValidationRule(
        value =
                "has(self.diskVolumesMode) == has(oldSelf.diskVolumesMode) && (!has(self.diskVolumesMode) || self.diskVolumesMode == oldSelf.diskVolumesMode)",
        message = "diskVolumesMode is immutable",
        reason = "FieldValueForbidden")
@ValidationRule(
        value = "has(self.reuse) == has(oldSelf.reuse) && (!has(self.reuse) || self.reuse == oldSelf.reuse)",
        message = "reuse is immutable",
        reason = "FieldValueForbidden")
@ValidationRule(
        value =
                "has(self.deletionPolicy) == has(oldSelf.deletionPolicy) && (!has(self.deletionPolicy) || self.deletionPolicy == oldSelf.deletionPolicy)",
        message = "deletionPolicy is immutable",
        reason = "FieldValueForbidden")
@ValidationRule(
        value =
                "(has(self.expiresAt) ? 1 : 0) + (has(self.ttl) ? 1 : 0) + (has(self.noExpiry) && self.noExpiry ? 1 : 0) <= 1",
        message = "set at most one of expiresAt, ttl and noExpiry=true")
@ValidationRule(
        value = "has(self.instance) != has(self.volume)",
        message = "set exactly one of instance (an instance) and volume (a custom storage volume: {pool, name})")
@ValidationRule(
        value = "!has(self.volume) || ((!has(self.stateful) || !self.stateful) && !has(self.diskVolumesMode))",
        message = "stateful and diskVolumesMode apply to instances only, not to a volume")
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
public class InstanceSnapshotSpec {

    @JsonPropertyDescription("Reference to the LxdRemote (same namespace) that hosts the instance; required.")
    @Required
    private ObjectRef remoteRef;

    @JsonPropertyDescription("Name of the instance to snapshot; exactly one of instance and volume.")
    @Size(min = 1, max = 63)
    private String instance;

    @JsonPropertyDescription(
            "Custom storage volume to snapshot instead of an instance ({pool, name}); exactly one of instance and volume.")
    private VolumeRef volume;

    @JsonPropertyDescription("LXD project; default: the LxdRemote's spec.project.")
    @Size(min = 1, max = 63)
    private String project;

    @JsonPropertyDescription("Snapshot name on the server; absent = the server naming pattern (snapshots.pattern).")
    @Size(min = 1, max = 255)
    @Pattern("^[^/]+$")
    private String snapshotName;

    @JsonPropertyDescription("true = also capture the running state (VMs, needs server support); default false.")
    @Default("false")
    private Boolean stateful;

    @JsonPropertyDescription(
            "RFC 3339 time the server deletes the snapshot; may be changed later; absent = see ttl and the instance snapshots.expiry.")
    @Pattern(SchemaPatterns.RFC3339)
    private String expiresAt;

    @JsonPropertyDescription(
            "Expiry relative to creation as a Go duration (for example 168h; days are not valid); may be changed later.")
    @Pattern(SchemaPatterns.DURATION)
    private String ttl;

    @JsonPropertyDescription(
            "true = never expire even if the instance sets snapshots.expiry; may be changed later; default false.")
    @Default("false")
    private Boolean noExpiry;

    @JsonPropertyDescription(
            "Which volumes to include: root or all-exclusive (needs server support); absent = server default (root).")
    private DiskVolumesMode diskVolumesMode;

    @JsonPropertyDescription("true = replace an existing LXD snapshot of the same name; default false.")
    @Default("false")
    private Boolean reuse;

    @JsonPropertyDescription(
            "Delete removes the LXD snapshot when this object is deleted, Retain keeps it; default Delete.")
    @Default("Delete")
    private DeletionPolicy deletionPolicy;

    @JsonPropertyDescription(
            "Custom volumes attached to the instance: Report lists them in status.volumesNotIncluded (LXD leaves them out of the snapshot), Include snapshots each of them in the same run (status.volumes); instances only; read when the snapshot is taken; default Report.")
    @Default("Report")
    private AttachedVolumesMode attachedVolumes;
}
