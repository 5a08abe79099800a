package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import java.util.List;
import java.util.Objects;

/** Observed state of an InstanceExport. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class InstanceExportStatus extends BaseStatus<InstanceExportPhase> implements VolumesNotIncludedStatus {

    @JsonPropertyDescription(
            "Custom volumes attached to the instance (disk devices, profiles included) that this export did not cover: their data is not in it. Back them up with spec.volume, or set attachedVolumes: Include where offered. Absent = none.")
    private java.util.List<AttachedVolume> volumesNotIncluded;

    @JsonPropertyDescription(
            "attachedVolumes: Include: the custom volumes attached to the instance and the export object of each, next to the instance's object and listed in its manifest; deleting this InstanceExport (deletionPolicy: Delete) deletes these objects, and only these.")
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
    private ObjectInfo object;

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

    public ExportVerification getVerification() {
        return verification;
    }

    public void setVerification(ExportVerification verification) {
        this.verification = verification;
    }

    public String getBackupOperation() {
        return backupOperation;
    }

    public void setBackupOperation(String backupOperation) {
        this.backupOperation = backupOperation;
    }

    public Integer getAttempts() {
        return attempts;
    }

    public void setAttempts(Integer attempts) {
        this.attempts = attempts;
    }

    public String getBackupName() {
        return backupName;
    }

    public void setBackupName(String backupName) {
        this.backupName = backupName;
    }

    public Compression getCompression() {
        return compression;
    }

    public void setCompression(Compression compression) {
        this.compression = compression;
    }

    public ObjectInfo getObject() {
        return object;
    }

    public void setObject(ObjectInfo object) {
        this.object = object;
    }

    public String getManifestKey() {
        return manifestKey;
    }

    public void setManifestKey(String manifestKey) {
        this.manifestKey = manifestKey;
    }

    public String getLxdVersion() {
        return lxdVersion;
    }

    public void setLxdVersion(String lxdVersion) {
        this.lxdVersion = lxdVersion;
    }

    public List<String> getSnapshots() {
        return snapshots;
    }

    public void setSnapshots(List<String> snapshots) {
        this.snapshots = snapshots;
    }

    public Progress getProgress() {
        return progress;
    }

    public void setProgress(Progress progress) {
        this.progress = progress;
    }

    public String getStartTime() {
        return startTime;
    }

    public void setStartTime(String startTime) {
        this.startTime = startTime;
    }

    public String getCompletionTime() {
        return completionTime;
    }

    public void setCompletionTime(String completionTime) {
        this.completionTime = completionTime;
    }

    public String getExpiration() {
        return expiration;
    }

    public void setExpiration(String expiration) {
        this.expiration = expiration;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass() || !super.equals(o)) {
            return false;
        }
        InstanceExportStatus that = (InstanceExportStatus) o;
        return Objects.equals(volumesNotIncluded, that.volumesNotIncluded)
                && Objects.equals(volumes, that.volumes)
                && Objects.equals(backupName, that.backupName)
                && Objects.equals(compression, that.compression)
                && Objects.equals(object, that.object)
                && Objects.equals(manifestKey, that.manifestKey)
                && Objects.equals(lxdVersion, that.lxdVersion)
                && Objects.equals(snapshots, that.snapshots)
                && Objects.equals(progress, that.progress)
                && Objects.equals(startTime, that.startTime)
                && Objects.equals(completionTime, that.completionTime)
                && Objects.equals(expiration, that.expiration)
                && Objects.equals(backupOperation, that.backupOperation)
                && Objects.equals(attempts, that.attempts)
                && Objects.equals(verification, that.verification);
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                super.hashCode(),
                volumesNotIncluded,
                backupName,
                compression,
                object,
                manifestKey,
                lxdVersion,
                snapshots,
                progress,
                startTime,
                completionTime,
                expiration,
                backupOperation,
                attempts,
                verification,
                volumes);
    }

    @Override
    public String toString() {
        return "InstanceExportStatus{" + "backupName=" + backupName
                + ", compression=" + compression
                + ", object=" + object
                + ", manifestKey=" + manifestKey
                + ", lxdVersion=" + lxdVersion
                + ", snapshots=" + snapshots
                + ", progress=" + progress
                + ", startTime=" + startTime
                + ", completionTime=" + completionTime
                + ", expiration=" + expiration
                + ", backupOperation=" + backupOperation
                + ", attempts=" + attempts + ", " + super.toString() + "}";
    }
}
