package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;
import java.util.Objects;

/** What the LXD server supports, derived from its API extensions. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class Capabilities {

    @JsonPropertyDescription(
            "The server keeps an expiry on snapshots and lets it be changed (API extension snapshot_expiry).")
    private Boolean snapshotExpiry;

    @JsonPropertyDescription(
            "The server accepts expires_at when creating snapshots (API extension snapshot_expiry_creation).")
    private Boolean snapshotExpiryAtCreation;

    @JsonPropertyDescription("The server supports stateful snapshots (live state capture).")
    private Boolean stateful;

    @JsonPropertyDescription("The server supports diskVolumesMode (all-exclusive) on snapshots.")
    private Boolean diskVolumesMode;

    @JsonPropertyDescription("The server supports choosing the backup metadata (export) version.")
    private Boolean backupMetadataVersion;

    @JsonPropertyDescription("The server supports overriding devices when importing a backup.")
    private Boolean importDevices;

    @JsonPropertyDescription(
            "The server supports choosing the storage pool when importing a backup (API extension container_backup_override_pool).")
    private Boolean backupOverridePool;

    @JsonPropertyDescription(
            "The server supports importing a backup under another instance name (API extension backup_override_name).")
    private Boolean backupOverrideName;

    @JsonPropertyDescription("The server supports incremental (refresh) instance copies.")
    private Boolean instanceCopyRefresh;

    @JsonPropertyDescription("Backup compression algorithms the server offers, for example gzip and zstd.")
    private List<String> compressionAlgorithms;

    public Boolean getSnapshotExpiry() {
        return snapshotExpiry;
    }

    public void setSnapshotExpiry(Boolean snapshotExpiry) {
        this.snapshotExpiry = snapshotExpiry;
    }

    public Boolean getSnapshotExpiryAtCreation() {
        return snapshotExpiryAtCreation;
    }

    public void setSnapshotExpiryAtCreation(Boolean snapshotExpiryAtCreation) {
        this.snapshotExpiryAtCreation = snapshotExpiryAtCreation;
    }

    public Boolean getBackupOverrideName() {
        return backupOverrideName;
    }

    public void setBackupOverrideName(Boolean backupOverrideName) {
        this.backupOverrideName = backupOverrideName;
    }

    public Boolean getStateful() {
        return stateful;
    }

    public void setStateful(Boolean stateful) {
        this.stateful = stateful;
    }

    public Boolean getDiskVolumesMode() {
        return diskVolumesMode;
    }

    public void setDiskVolumesMode(Boolean diskVolumesMode) {
        this.diskVolumesMode = diskVolumesMode;
    }

    public Boolean getBackupMetadataVersion() {
        return backupMetadataVersion;
    }

    public void setBackupMetadataVersion(Boolean backupMetadataVersion) {
        this.backupMetadataVersion = backupMetadataVersion;
    }

    public Boolean getImportDevices() {
        return importDevices;
    }

    public void setImportDevices(Boolean importDevices) {
        this.importDevices = importDevices;
    }

    public Boolean getBackupOverridePool() {
        return backupOverridePool;
    }

    public void setBackupOverridePool(Boolean backupOverridePool) {
        this.backupOverridePool = backupOverridePool;
    }

    public Boolean getInstanceCopyRefresh() {
        return instanceCopyRefresh;
    }

    public void setInstanceCopyRefresh(Boolean instanceCopyRefresh) {
        this.instanceCopyRefresh = instanceCopyRefresh;
    }

    public List<String> getCompressionAlgorithms() {
        return compressionAlgorithms;
    }

    public void setCompressionAlgorithms(List<String> compressionAlgorithms) {
        this.compressionAlgorithms = compressionAlgorithms;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass()) {
            return false;
        }
        Capabilities that = (Capabilities) o;
        return Objects.equals(snapshotExpiry, that.snapshotExpiry)
                && Objects.equals(snapshotExpiryAtCreation, that.snapshotExpiryAtCreation)
                && Objects.equals(backupOverrideName, that.backupOverrideName)
                && Objects.equals(stateful, that.stateful)
                && Objects.equals(diskVolumesMode, that.diskVolumesMode)
                && Objects.equals(backupMetadataVersion, that.backupMetadataVersion)
                && Objects.equals(importDevices, that.importDevices)
                && Objects.equals(backupOverridePool, that.backupOverridePool)
                && Objects.equals(instanceCopyRefresh, that.instanceCopyRefresh)
                && Objects.equals(compressionAlgorithms, that.compressionAlgorithms);
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                snapshotExpiry,
                snapshotExpiryAtCreation,
                backupOverrideName,
                stateful,
                diskVolumesMode,
                backupMetadataVersion,
                importDevices,
                backupOverridePool,
                instanceCopyRefresh,
                compressionAlgorithms);
    }

    @Override
    public String toString() {
        return "Capabilities{" + "snapshotExpiry=" + snapshotExpiry
                + ", snapshotExpiryAtCreation=" + snapshotExpiryAtCreation
                + ", backupOverrideName=" + backupOverrideName
                + ", stateful=" + stateful
                + ", diskVolumesMode=" + diskVolumesMode
                + ", backupMetadataVersion=" + backupMetadataVersion
                + ", importDevices=" + importDevices
                + ", backupOverridePool=" + backupOverridePool
                + ", instanceCopyRefresh=" + instanceCopyRefresh
                + ", compressionAlgorithms=" + compressionAlgorithms + "}";
    }
}
