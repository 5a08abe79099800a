package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;
import lombok.Data;

/** What the LXD server supports, derived from its API extensions. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
public class ServerCapabilities {

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
}
