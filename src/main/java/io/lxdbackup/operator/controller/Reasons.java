package io.lxdbackup.operator.controller;

/**
 * Every condition reason the operator writes. The README's table explains each one and
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

  // LXD objects
  public static final String NOT_FOUND = "NotFound";
  public static final String INSTANCE_NOT_FOUND = "InstanceNotFound";
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

  // generic
  public static final String KUBERNETES_ERROR = "KubernetesError";
  public static final String INTERNAL_ERROR = "InternalError";
}
