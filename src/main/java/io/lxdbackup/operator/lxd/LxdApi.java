package io.lxdbackup.operator.lxd;

import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The LXD operations the operator uses, one method per {@link LxdClient} call of the same name and
 * signature. {@link LxdClient} is the implementation that talks to a server; controllers and
 * other users depend on this interface only, so a test can hand them an in-process fake. The
 * request and result records stay nested in {@link LxdClient}.
 *
 * <p>Copies between two servers ({@link #pullFrom}, {@link #pushTo}, {@link #pullVolumeFrom})
 * need both sides to be the same implementation.
 */
public interface LxdApi extends AutoCloseable {
    LxdEndpoint endpoint();

    /** A view of this client whose calls address another project (null = the server default). */
    LxdApi inProject(String project);

    /**
     * What identifies this client's connection: the same object for all views of one client
     * (other projects, other members), a new one when the client is rebuilt.
     */
    Object connection();

    String project();

    void close();

    /** {@code GET /1.0}, cached after the first successful call. */
    ServerInfo server();

    /** {@code GET /1.0}, always asking the server. */
    ServerInfo refreshServer();

    /**
     * The server's clock (the {@code Date} header of {@code GET /1.0}, whole seconds). Used to
     * compare with times LXD records, such as a snapshot's {@code created_at}, without trusting
     * the operator's own clock to agree with the server's.
     */
    Instant serverTime();

    /** The fingerprint of the certificate the server presented in the last TLS handshake. */
    String presentedServerFingerprint();

    /**
     * Adds this client's certificate to the server's trust store, like {@code lxc remote add}.
     * {@code secret} is a trust password or a trust token ({@code lxc config trust add}).
     */
    void trust(String secret, String clientName);

    /**
     * {@code GET /1.0/operations/{id}}. NotFound once LXD has forgotten the operation (about five
     * seconds after it ended); see {@link #waitFor(Operation, Duration, Consumer)} for what then.
     */
    Operation getOperation(String id);

    /** Every operation the server knows in this project: running ones and those finished in the last seconds. */
    List<Operation> listOperations();

    /** Running operations that name the instance among their resources (a copy into it, a backup of it, ...). */
    List<Operation> runningOperationsOn(String instance);

    /** Running operations that name the instance or volume among their resources. */
    List<Operation> runningOperationsOn(LxdTarget target);

    /** Asks LXD to cancel an operation; already finished or forgotten operations are ignored. */
    void cancelOperation(String id);

    /** Waits for an operation to end, without progress reports. */
    Operation waitFor(Operation op, Duration timeout);

    /**
     * Waits for an operation to end. Where the server serves {@code GET /1.0/operations/{id}/wait}
     * the wait is a long poll in slices (short ones when {@code progress} wants the operation's
     * metadata as it changes); otherwise the client polls {@code GET /1.0/operations/{id}} with a
     * backoff from {@value #POLL_FIRST_MS} ms up to {@value #POLL_MAX_MS} ms.
     *
     * <p>Throws {@link LxdException.OperationCancelled} when it was cancelled,
     * {@link LxdException.OperationFailed} when it failed (or {@link LxdException.AlreadyExists}
     * for a name clash, {@link LxdException.BadRequest} for a value LXD refused inside the
     * operation), {@link LxdException.OperationTimeout} when it outlives {@code timeout} (the
     * operation itself goes on), and {@link LxdException.NotFound} when LXD no longer knows it.
     *
     * <p>LXD forgets a finished operation about five seconds after it ends, so NotFound does not
     * say whether it succeeded. A caller that may have missed the end (a restart, a long pause)
     * confirms the outcome from the object the operation was to produce or change (the snapshot,
     * the backup, the copied instance) and repeats the request only when that object is missing.
     */
    Operation waitFor(Operation op, Duration timeout, Consumer<Operation> progress);

    List<Instance> listInstances();

    /**
     * The instances with their snapshots ({@code recursion=2}), read with {@link LxdClient#snapshotsOf}: one
     * request for the whole project instead of one per instance. LXD adds each instance's state
     * and backups too.
     */
    List<Instance> listInstancesWithSnapshots();

    Instance getInstance(String name);

    boolean instanceExists(String name);

    /**
     * Copies an instance within this server ({@code lxc copy a b} on one remote). The new
     * instance is not started.
     */
    Operation copyLocal(String source, String target, boolean instanceOnly);

    Operation deleteInstance(String name);

    /** {@code action} is start, stop, restart, freeze or unfreeze. */
    Operation changeState(String name, String action, boolean force, int timeoutSeconds);

    /**
     * Runs {@code command} inside the running instance, without a terminal or websockets (LXD
     * records the output in its log files), and returns the exit code.
     */
    int exec(String instance, List<String> command, Duration timeout);

    Operation renameInstance(String name, String newName);

    /**
     * Sets and removes single config keys and leaves every other key as it is. The update is
     * guarded by the instance's ETag and retried when someone else changed the instance in
     * between, so concurrent edits of other keys are never lost.
     */
    void updateInstanceConfig(String name, Map<String, String> set, Set<String> remove);

    /**
     * Like {@link #updateInstanceConfig}, with the change decided from the instance's config as
     * read for this very write (again after a 412), so a decision about who owns a key can never
     * act on an older state. {@code edit} answers null to write nothing.
     *
     * @return whether a write was made
     */
    boolean editInstanceConfig(String name, Function<Map<String, String>, LxdClient.ConfigEdit> edit);

    /**
     * Sets (adds or replaces) instance-local devices, leaving the others as they are; a device of
     * the same name in a profile is overridden by the local one. Guarded by the instance's ETag
     * like {@link #editInstanceConfig}.
     */
    void setInstanceDevices(String name, Map<String, Map<String, String>> devices);

    boolean storagePoolExists(String pool);

    /** The storage driver of a pool ({@code dir}, {@code btrfs}, {@code zfs}, ...). */
    String storagePoolDriver(String pool);

    /** The volumes of a storage pool in this project, as {@code <type>/<name>} (for example {@code container/web1}). */
    List<String> listStorageVolumes(String pool);

    /** {@code GET /1.0/storage-pools/<pool>/volumes/custom/<name>}. */
    StorageVolume getVolume(String pool, String name);

    boolean volumeExists(String pool, String name);

    /** The custom volumes of a pool in this project (snapshots left out). */
    List<StorageVolume> listCustomVolumes(String pool);

    /** Creates an empty custom filesystem volume (used by tests and examples). */
    void createVolume(String pool, String name, Map<String, String> config);

    /** Renames a custom volume within its pool ({@code lxc storage volume rename}). */
    Operation renameVolume(String pool, String name, String newName);

    Operation deleteVolume(String pool, String name);

    /**
     * Sets and removes single config keys of a custom volume and leaves the others (the
     * volume's {@code snapshots.schedule}, {@code .expiry}, {@code .pattern} in server mode).
     * Guarded by the volume's ETag and retried when someone else changed it in between.
     */
    void updateVolumeConfig(String pool, String name, Map<String, String> set, Set<String> remove);

    /**
     * Like {@link #updateVolumeConfig}, with the change decided from the volume's config as read for
     * this very write (again after a 412), as {@link #editInstanceConfig} does for instances.
     * {@code edit} answers null to write nothing.
     *
     * @return whether a write was made
     */
    boolean editVolumeConfig(String pool, String name, Function<Map<String, String>, LxdClient.ConfigEdit> edit);

    Operation createSnapshot(String instance, LxdClient.SnapshotRequest req);

    Operation createSnapshot(LxdTarget target, LxdClient.SnapshotRequest req);

    List<Snapshot> listSnapshots(String instance);

    List<Snapshot> listSnapshots(LxdTarget target);

    Snapshot getSnapshot(String instance, String name);

    Snapshot getSnapshot(LxdTarget target, String name);

    boolean snapshotExists(String instance, String name);

    boolean snapshotExists(LxdTarget target, String name);

    /** Sets a snapshot's expiry; null means never. */
    Operation updateSnapshotExpiry(String instance, String name, Instant expiresAt);

    /** Sets a snapshot's expiry; null means never. A volume snapshot keeps its description. */
    Operation updateSnapshotExpiry(LxdTarget target, String name, Instant expiresAt);

    Operation deleteSnapshot(String instance, String name);

    Operation deleteSnapshot(LxdTarget target, String name);

    /**
     * Deletes a snapshot; {@code diskVolumesMode} {@code all-exclusive} also deletes the snapshots
     * of the exclusively attached volumes taken with it ({@code lxc delete --disk-volumes}).
     */
    Operation deleteSnapshot(LxdTarget target, String name, String diskVolumesMode);

    /** Restores an instance in place to one of its snapshots. */
    Operation restoreSnapshot(String instance, String snapshot, boolean stateful);

    /**
     * Restores an instance in place to one of its snapshots; {@code diskVolumesMode}
     * {@code all-exclusive} also restores the exclusively attached volumes from the snapshots
     * taken with it ({@code lxc restore --disk-volumes}).
     */
    Operation restoreSnapshot(String instance, String snapshot, boolean stateful, String diskVolumesMode);

    /**
     * Restores a custom volume in place to one of its snapshots ({@code lxc storage volume
     * restore}). LXD takes the restore from a PUT of the volume and leaves its config alone.
     */
    Operation restoreVolumeSnapshot(VolumeTarget volume, String snapshot);

    Operation createBackup(String instance, LxdClient.BackupRequest req);

    /**
     * Creates an LXD-side backup of an instance or custom volume. For a volume
     * {@code instanceOnly} means "without its snapshots" ({@code volume_only}).
     */
    Operation createBackup(LxdTarget target, LxdClient.BackupRequest req);

    List<Backup> listBackups(String instance);

    List<Backup> listBackups(LxdTarget target);

    Backup getBackup(String instance, String name);

    Backup getBackup(LxdTarget target, String name);

    Operation deleteBackup(String instance, String name);

    Operation deleteBackup(LxdTarget target, String name);

    /**
     * Opens the backup file as a stream straight from the server's response. The caller reads
     * and closes it; nothing is buffered beyond the socket.
     */
    LxdClient.Download downloadBackup(String instance, String name);

    /** {@link #downloadBackup(String, String)} for an instance or a custom volume. */
    LxdClient.Download downloadBackup(LxdTarget target, String name);

    /**
     * Creates an instance from a backup file read from {@code data}, streamed as the request
     * body. {@code length} may be -1 (chunked upload). The stream is read exactly once.
     */
    Operation importBackup(InputStream data, long length, LxdClient.ImportRequest req);

    /**
     * Creates a custom volume from a volume backup file read from {@code data}
     * ({@code lxc storage volume import}), under {@code name} in {@code pool}. {@code length}
     * may be -1 (chunked upload). The stream is read exactly once.
     */
    Operation importVolumeBackup(InputStream data, long length, String pool, String name);

    /**
     * {@link LxdClient#copyFrom} returning both operations: the source's migration operation can be
     * cancelled ({@link #cancelOperation}) to abort the transfer, which LXD does not allow on
     * the target's side.
     */
    LxdClient.CopyOperations pullFrom(LxdApi source, LxdClient.CopyRequest req);

    /**
     * Copies an instance of this client's server to {@code target} in push mode, like
     * {@code lxc copy --mode=push}: the target opens a migration sink, this (source) server
     * connects to it and sends the data, so only the source needs to reach the target. Refresh
     * works as in {@link LxdClient#copyFrom}: the sink decides which snapshots it still needs.
     * Returns both operations; the target's ends when the sink has everything, and it is the
     * one to cancel. The target operation is cancelled if the source refuses.
     */
    LxdClient.CopyOperations pushTo(LxdApi target, LxdClient.CopyRequest req);

    /**
     * Copies a custom volume from {@code source} into this client's server in pull mode: the
     * source opens a migration operation ({@code POST} on the volume with {@code migration:
     * true}), this server creates the volume from it. With {@code refresh} (extension
     * {@code custom_volume_refresh}) an existing target volume is brought up to date and only
     * missing snapshots travel. Returns both operations; the source's is cancelled if the
     * target refuses.
     */
    LxdClient.CopyOperations pullVolumeFrom(LxdApi source, LxdClient.VolumeCopyRequest req);

    /**
     * Subscribes to {@code /1.0/events} over a websocket. {@code types} filters by event type
     * (lifecycle, operation, logging); {@code onClose} receives the failure, or null on a clean close.
     */
    LxdClient.EventSubscription events(Set<String> types, Consumer<LxdEvent> onEvent, Consumer<Throwable> onClose);
}
