package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import java.util.List;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.Setter;
import lombok.ToString;

/** Observed state of an InstanceExport. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Getter
@Setter
@EqualsAndHashCode(callSuper = true)
@ToString(callSuper = true)
public class InstanceExportStatus extends BaseStatus<InstanceExportPhase> implements VolumesNotIncludedStatus {

    @JsonPropertyDescription(
            "Custom volumes attached to the instance (disk devices, profiles included) that this export did not cover: their data is not in it. Back them up with spec.volume, or set attachedVolumes: Include where offered. Absent = none.")
    private List<AttachedVolume> volumesNotIncluded;

    @JsonPropertyDescription(
            "attachedVolumes: Include: the custom volumes attached to the instance and the export object of each, next to the instance's object and listed in its manifest; deleting this InstanceExport (deletionPolicy: Delete) deletes these objects, and only these.")
    private List<IncludedVolume> volumes;

    @JsonPropertyDescription(
            "Name of the temporary LXD backup while it may exist on the server; cleared once it is deleted.")
    private String backupName;

    @JsonPropertyDescription("LXD operation creating the backup, recorded so a restarted operator can wait for it.")
    private String backupOperation;

    @JsonPropertyDescription("Upload attempts made so far.")
    @Min(0)
    private Integer attempts;

    @JsonPropertyDescription("Compression actually used.")
    private Compression compression;

    @JsonPropertyDescription("The uploaded and verified object.")
    private StoredObjectInfo object;

    @JsonPropertyDescription("Object key of the manifest written beside the export (<key>.json).")
    private String manifestKey;

    @JsonPropertyDescription("LXD server version that produced the export.")
    private String lxdVersion;

    @JsonPropertyDescription("Instance snapshots included in the export.")
    private List<String> snapshots;

    @JsonPropertyDescription("Upload progress.")
    private Progress progress;

    @JsonPropertyDescription("RFC 3339 time the export started.")
    private String startTime;

    @JsonPropertyDescription("RFC 3339 time the upload was verified.")
    private String completionTime;

    @JsonPropertyDescription("RFC 3339 time the object and this object are deleted (from spec.ttl).")
    private String expiration;

    @JsonPropertyDescription("The last check of the stored object by a BackupVerification (with condition Verified).")
    private ExportVerification verification;
}
