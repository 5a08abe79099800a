package io.lxdbackup.operator.controller;

/**
 * Every condition reason the operator writes. The table in docs/troubleshooting.md explains each one and
 * what a user does about it; keep them in step.
 */
public final class Reasons {
    private Reasons() {}

    // LxdRemote and connections
    public static final String CONNECTED = "Connected";
    public static final String REMOTE_NOT_FOUND = "RemoteNotFound";
    public static final String SECRET_MISSING = "SecretMissing";
    public static final String KEY_UNREADABLE = "KeyUnreadable";
    public static final String SERVER_UNREACHABLE = "ServerUnreachable";
    /** The server took the connection but did not answer, or a stream from it stalled, past the deadline. */
    public static final String SERVER_UNRESPONSIVE = "ServerUnresponsive";

    public static final String FINGERPRINT_MISMATCH = "FingerprintMismatch";
    public static final String TLS_ERROR = "TlsError";
    public static final String NOT_TRUSTED = "NotTrusted";
    public static final String ENROLMENT_FAILED = "EnrolmentFailed";
    public static final String INVALID_SPEC = "InvalidSpec";
    /** An LxdRemote or BackupStore being deleted waits for resources that still need it for their clean-up. */
    public static final String IN_USE = "InUse";
    /**
     * A remote's or store's credentials Secret went with its namespace and no connection made
     * before is at hand (the operator restarted): the clean-up leaves what it cannot reach.
     */
    public static final String CREDENTIALS_DELETED = "CredentialsDeleted";
    /** A referenced Secret lacks the type or label that lets the operator read it ({@link SecretRules}). */
    public static final String SECRET_NOT_ALLOWED = "SecretNotAllowed";
    /** A trust token was not sent: no pinned server certificate, or the token belongs to another server. */
    public static final String TRUST_TOKEN_REFUSED = "TrustTokenRefused";
    /** A resource names an LXD project its remote's {@code allowedProjects} leaves out. */
    public static final String PROJECT_NOT_ALLOWED = "ProjectNotAllowed";
    /** A restore names an object key outside its BackupStore's prefix. */
    public static final String KEY_OUTSIDE_PREFIX = "KeyOutsidePrefix";
    /** A BackupStore without credentials while the operator may not use its own cloud identity. */
    public static final String AMBIENT_CREDENTIALS_NOT_ALLOWED = "AmbientCredentialsNotAllowed";

    // LXD objects
    public static final String NOT_FOUND = "NotFound";
    public static final String INSTANCE_NOT_FOUND = "InstanceNotFound";
    public static final String VOLUME_NOT_FOUND = "VolumeNotFound";
    public static final String VOLUMES_NOT_INCLUDED = "VolumesNotIncluded";
    public static final String NO_VOLUMES_LEFT_OUT = "NoVolumesLeftOut";
    public static final String VOLUMES_INCLUDED = "VolumesIncluded";
    public static final String ALREADY_EXISTS = "AlreadyExists";
    /** Warning event: something at an export's key was not written by it and was left alone. */
    public static final String NOT_OWNED = "NotOwned";
    /** A mode: Server SnapshotSchedule found an instance's snapshots.* keys set by another schedule or by hand. */
    public static final String CONFLICT = "Conflict";

    public static final String NOT_SUPPORTED = "NotSupported";
    public static final String REJECTED_BY_SERVER = "RejectedByServer";
    public static final String TIMEOUT = "Timeout";
    public static final String LXD_ERROR = "LxdError";

    // InstanceSnapshot
    public static final String CREATING = "Creating";
    public static final String SNAPSHOT_READY = "SnapshotReady";
    public static final String SNAPSHOT_MISSING = "SnapshotMissing";

    // BackupStore and object storage
    public static final String STORE_AVAILABLE = "StoreAvailable";
    public static final String STORE_NOT_FOUND = "StoreNotFound";
    public static final String STORE_UNAVAILABLE = "StoreUnavailable";
    public static final String BUCKET_NOT_FOUND = "BucketNotFound";
    public static final String INVALID_CREDENTIALS = "InvalidCredentials";
    public static final String ACCESS_DENIED = "AccessDenied";
    public static final String READ_ONLY_STORE = "ReadOnlyStore";
    public static final String OBJECT_NOT_FOUND = "ObjectNotFound";
    public static final String STORE_ERROR = "StoreError";

    // InstanceExport
    public static final String CREATING_BACKUP = "CreatingBackup";
    public static final String UPLOADING = "Uploading";
    /** Waits for a transfer slot or transfer memory (operator limits); not a failure. */
    public static final String QUEUED = "Queued";
    /** A transfer larger than the operator's limits can carry. */
    public static final String TOO_LARGE = "TooLarge";
    /** An LXD answer larger than the operator reads. */
    public static final String RESPONSE_TOO_LARGE = "ResponseTooLarge";

    public static final String BACKUP_FAILED = "BackupFailed";
    public static final String UPLOAD_FAILED = "UploadFailed";
    public static final String CHECKSUM_MISMATCH = "ChecksumMismatch";
    public static final String EXPORT_COMPLETED = "ExportCompleted";
    public static final String EXPIRED = "Expired";

    // schedules
    public static final String INVALID_SCHEDULE = "InvalidSchedule";
    public static final String NO_INSTANCES_SELECTED = "NoInstancesSelected";
    public static final String DRIFT_CORRECTED = "DriftCorrected";

    // InstanceRestore
    public static final String CHECKSUM_UNAVAILABLE = "ChecksumUnavailable";
    public static final String EXPORT_NOT_READY = "ExportNotReady";
    public static final String SOURCE_NOT_FOUND = "SourceNotFound";
    public static final String RESTORED = "Restored";
    public static final String RESTORING = "Restoring";

    // InstanceCopy
    public static final String COPYING = "Copying";
    public static final String SYNCED = "Synced";
    public static final String SUSPENDED = "Suspended";
    public static final String SOURCE_UNREACHABLE = "SourceUnreachable";
    public static final String TARGET_UNREACHABLE = "TargetUnreachable";
    public static final String INCOMPATIBLE_MODE = "IncompatibleMode";
    public static final String COPY_FAILED = "CopyFailed";
    public static final String REFRESH_INCOMPLETE = "RefreshIncomplete";
    /** InstanceCopy promotion (condition Promoted). */
    public static final String PROMOTED = "Promoted";

    public static final String NEVER_SYNCED = "NeverSynced";
    public static final String START_FAILED = "StartFailed";
    public static final String ALREADY_PROMOTED = "AlreadyPromoted";

    // BackupVerification (and the Verified condition of InstanceExport)
    public static final String VERIFIED = "Verified";
    public static final String OBJECT_MISSING = "ObjectMissing";
    public static final String RESTORE_DRILL_FAILED = "RestoreDrillFailed";
    public static final String NO_EXPORTS_SELECTED = "NoExportsSelected";

    // generic
    public static final String KUBERNETES_ERROR = "KubernetesError";
    public static final String INTERNAL_ERROR = "InternalError";
}
