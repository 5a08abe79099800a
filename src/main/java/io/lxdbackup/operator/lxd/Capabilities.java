package io.lxdbackup.operator.lxd;

import java.util.List;
import java.util.Set;

/**
 * What a server can do, derived from the {@code api_extensions} list of {@code GET /1.0}.
 * Controllers consult this before sending a request so that an unsupported option is refused
 * with a clear message instead of an obscure server error.
 */
public record Capabilities(
        boolean snapshotExpiry,
        boolean snapshotExpiryOnCreate,
        boolean stateful,
        boolean diskVolumesMode,
        boolean backupMetadataVersion,
        boolean importDevices,
        boolean importOverridePool,
        boolean importOverrideName,
        boolean backupCompressionAlgorithm,
        boolean explicitTrustToken,
        boolean operationWait,
        List<String> compressionAlgorithms) {

    public static final String EXT_SNAPSHOT_EXPIRY = "snapshot_expiry";
    public static final String EXT_SNAPSHOT_EXPIRY_CREATION = "snapshot_expiry_creation";
    public static final String EXT_STATEFUL = "migration_stateful";
    public static final String EXT_DISK_VOLUMES_MODE = "instance_snapshot_multi_volume";
    public static final String EXT_BACKUP_METADATA_VERSION = "backup_metadata_version";
    public static final String EXT_IMPORT_DEVICES = "import_instance_devices";
    public static final String EXT_BACKUP_OVERRIDE_POOL = "container_backup_override_pool";
    public static final String EXT_BACKUP_OVERRIDE_NAME = "backup_override_name";
    public static final String EXT_BACKUP_COMPRESSION_ALGORITHM = "backup_compression_algorithm";
    public static final String EXT_EXPLICIT_TRUST_TOKEN = "explicit_trust_token";
    public static final String EXT_OPERATION_WAIT = "operation_wait";
    public static final String EXT_VOLUME_SNAPSHOTS = "storage_api_volume_snapshots";
    public static final String EXT_CUSTOM_VOLUME_SNAPSHOT_EXPIRY = "custom_volume_snapshot_expiry";
    public static final String EXT_VOLUME_SNAPSHOT_SCHEDULING = "volume_snapshot_scheduling";
    public static final String EXT_CUSTOM_VOLUME_BACKUP = "custom_volume_backup";
    public static final String EXT_CUSTOM_VOLUME_REFRESH = "custom_volume_refresh";
    public static final String EXT_STORAGE_REMOTE_VOLUME_HANDLING = "storage_api_remote_volume_handling";

    /**
     * Compression algorithms a backup may ask for. LXD validates the choice against the tools
     * installed on the host, so these are candidates: a refused one is reported when used.
     */
    public static final List<String> KNOWN_COMPRESSION = List.of("zstd", "gzip", "none", "lz4", "xz", "bzip2");

    public static Capabilities from(Set<String> extensions) {
        boolean compression = extensions.contains(EXT_BACKUP_COMPRESSION_ALGORITHM);
        return new Capabilities(
                extensions.contains(EXT_SNAPSHOT_EXPIRY),
                extensions.contains(EXT_SNAPSHOT_EXPIRY_CREATION),
                extensions.contains(EXT_STATEFUL),
                extensions.contains(EXT_DISK_VOLUMES_MODE),
                extensions.contains(EXT_BACKUP_METADATA_VERSION),
                extensions.contains(EXT_IMPORT_DEVICES),
                extensions.contains(EXT_BACKUP_OVERRIDE_POOL),
                extensions.contains(EXT_BACKUP_OVERRIDE_NAME),
                compression,
                extensions.contains(EXT_EXPLICIT_TRUST_TOKEN),
                extensions.contains(EXT_OPERATION_WAIT),
                compression ? KNOWN_COMPRESSION : List.of("gzip"));
    }
}
