package io.lxdbackup.operator.controller;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.lxdbackup.operator.api.v1alpha1.AttachedVolumesMode;
import io.lxdbackup.operator.api.v1alpha1.Compression;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.DeletionPolicy;
import io.lxdbackup.operator.api.v1alpha1.IncludedVolume;
import io.lxdbackup.operator.api.v1alpha1.InstanceExport;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportSpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportStatus;
import io.lxdbackup.operator.api.v1alpha1.Progress;
import io.lxdbackup.operator.api.v1alpha1.StoredObjectInfo;
import io.lxdbackup.operator.lxd.LxdApi;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.lxd.LxdException;
import io.lxdbackup.operator.lxd.LxdTarget;
import io.lxdbackup.operator.lxd.Operation;
import io.lxdbackup.operator.lxd.ServerInfo;
import io.lxdbackup.operator.lxd.Snapshot;
import io.lxdbackup.operator.lxd.VolumeAttachment;
import io.lxdbackup.operator.lxd.VolumeTarget;
import io.lxdbackup.operator.metrics.OperatorMetrics;
import io.lxdbackup.operator.schedule.GoDuration;
import io.lxdbackup.operator.store.BackupManifest;
import io.lxdbackup.operator.store.ChecksumMismatchException;
import io.lxdbackup.operator.store.KeyOwnership;
import io.lxdbackup.operator.store.ObjectInfo;
import io.lxdbackup.operator.store.ObjectKeys;
import io.lxdbackup.operator.store.ObjectStore;
import io.lxdbackup.operator.store.StoreException;
import io.lxdbackup.operator.store.UploadOptions;
import io.lxdbackup.operator.store.UploadResult;
import io.lxdbackup.operator.transfer.TransferLimiter;
import io.lxdbackup.operator.transfer.TransferLimits;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exports an instance to a BackupStore: an LXD-side backup named from the resource, streamed
 * from LXD straight into a multipart upload (SHA-256 on the way, no temporary file), confirmed
 * in the store, described by a manifest beside it, and the LXD backup deleted afterwards.
 *
 * <p>Crash safety. Each external step is preceded by a status patch saying what is about to
 * happen, and every name is fixed before it is used:
 * <ol>
 *   <li>{@code CreatingBackup}: the backup name ({@code lxdbackup-<uid>}), the compression tried
 *       and the snapshots included are written, then the backup is created with a server-side
 *       {@code expires_at} ({@link #BACKUP_EXPIRY}) as a safety net; its operation id is written
 *       next. A restart waits for that operation, or replaces a backup of unknown completeness.
 *   <li>{@code Uploading}: the object key is written with the phase, before the first byte. A
 *       restart aborts the multipart uploads left for that key and streams again from the LXD
 *       backup (recreated if it expired), so the key never changes and no second object appears.
 *   <li>After the upload the store is asked again ({@code head}: size and SHA-256); the verified
 *       object and the manifest key are recorded, then the manifest is written, then the LXD
 *       backup is deleted, and only then {@code Complete=True}.
 * </ol>
 * A permanent failure (bucket missing, credentials, instance gone, LXD refusing the backup)
 * deletes the LXD backup and leaves no object; a transient one (store or LXD unreachable,
 * broken stream) is retried with back-off from the same LXD backup, at most
 * {@link #MAX_FAILURES} times.
 */
@ControllerConfiguration(name = "instanceexport")
public class InstanceExportReconciler implements Reconciler<InstanceExport>, Cleaner<InstanceExport>, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(InstanceExportReconciler.class);
    static final String KIND = "InstanceExport";
    static final String BACKUP_NAME_PREFIX = "lxdbackup-";
    /** Server-side expiry of the LXD backup: removes it even if the operator never comes back. */
    static final Duration BACKUP_EXPIRY = Duration.ofHours(6);

    static final Duration OPERATION_TIMEOUT = Duration.ofHours(2);
    /** Minimum time between two progress patches of one export. */
    static final Duration PROGRESS_INTERVAL = Duration.ofSeconds(5);

    static final Duration RESYNC = Duration.ofMinutes(10);
    static final Duration MAX_BACKOFF = Duration.ofMinutes(5);
    /** Consecutive transient failures after which an export is given up (and cleaned up). */
    static final int MAX_FAILURES = 12;

    private final KubernetesClient kube;
    private final RemoteConnections connections;
    private final StoreConnections stores;
    private final EventRecorder events;
    private final OperatorMetrics metrics;
    private final Clock clock;
    private final UploadOptions uploadOptions;
    private final Transfers transfers;
    /** Exports running on the transfer threads, by resource uid. */
    private final TransferJobs<InstanceExport> jobs;
    /** Streams being uploaded, by resource uid, so deletion or shutdown can stop them. */
    private final Map<String, StoppableStream> active = new ConcurrentHashMap<>();

    private volatile boolean closing;

    public InstanceExportReconciler(
            KubernetesClient kube,
            RemoteConnections connections,
            StoreConnections stores,
            EventRecorder events,
            OperatorMetrics metrics,
            Clock clock) {
        this(kube, connections, stores, events, metrics, clock, new TransferLimiter(TransferLimits.defaults(), clock));
    }

    public InstanceExportReconciler(
            KubernetesClient kube,
            RemoteConnections connections,
            StoreConnections stores,
            EventRecorder events,
            OperatorMetrics metrics,
            Clock clock,
            TransferLimiter transfers) {
        this(kube, connections, stores, events, metrics, clock, UploadOptions.defaults(), transfers);
    }

    public InstanceExportReconciler(
            KubernetesClient kube,
            RemoteConnections connections,
            StoreConnections stores,
            EventRecorder events,
            OperatorMetrics metrics,
            Clock clock,
            UploadOptions uploadOptions,
            TransferLimiter transfers) {
        this.kube = kube;
        this.connections = connections;
        this.stores = stores;
        this.events = events;
        this.metrics = metrics;
        this.clock = clock;
        this.uploadOptions = uploadOptions;
        this.transfers = new Transfers(transfers);
        this.jobs = new TransferJobs<>(transfers.executor());
    }

    /** The LXD-side backup name of an export: stable across restarts, unique per resource. */
    static String backupName(InstanceExport e) {
        return BACKUP_NAME_PREFIX + e.getMetadata().getUid();
    }

    /** A compression to ask LXD for ({@code wire} null = server default) and what it yields. */
    record Candidate(String wire, Compression effective) {}

    /** What the spec asks for, checked. */
    record Settings(Duration ttl, Compression compression, Integer version) {}

    @Override
    public List<EventSource<?, InstanceExport>> prepareEventSources(EventSourceContext<InstanceExport> context) {
        return List.of(jobs.eventSource());
    }

    @Override
    public UpdateControl<InstanceExport> reconcile(InstanceExport e, Context<InstanceExport> context) {
        Optional<UpdateControl<InstanceExport>> transferring = jobs.poll(e);
        if (transferring.isPresent()) {
            // running: nothing to do here; ended: its outcome, as if this reconcile had run it
            return transferring.get();
        }
        InstanceExportStatus status = e.getStatus() != null ? e.getStatus() : new InstanceExportStatus();
        e.setStatus(status);
        if (status.getPhase() == null) {
            status.setPhase(InstanceExportPhase.PENDING);
        }
        InstanceExportPhase before = status.getPhase();
        if (before == InstanceExportPhase.COMPLETED || before == InstanceExportPhase.DELETING) {
            return completed(e);
        }
        if (before == InstanceExportPhase.FAILED) {
            // terminal; only a leftover LXD backup (cleanup failed earlier) is still worth a call
            if (status.getBackupName() != null) {
                deleteBackupAfterFailure(e);
                return UpdateControl.patchStatus(e);
            }
            return UpdateControl.noUpdate();
        }
        long t0 = System.nanoTime();
        TransferLimiter.Permit permit = null;
        try {
            Settings settings = validate(e.getSpec());
            InstanceExportSpec spec = e.getSpec();
            LxdApi client = connections
                    .connect(ns(e), spec.getRemoteRef().getName(), spec.getProject())
                    .client();
            ObjectStore store =
                    stores.connect(ns(e), spec.getStoreRef().getName()).store();
            if (store.config().readOnly()) {
                throw Failure.permanent(
                        Reasons.READ_ONLY_STORE,
                        "BackupStore " + spec.getStoreRef().getName()
                                + " has accessMode ReadOnly; exports need a ReadWrite store");
            }
            // a slot and part buffers for the whole export (the backup's size, once known, sizes them)
            long knownSize =
                    status.getProgress() != null && status.getProgress().getTotalBytes() != null
                            ? status.getProgress().getTotalBytes()
                            : -1;
            permit = transfers.admit(
                    e.getMetadata().getUid(),
                    KIND,
                    ns(e),
                    spec.getRemoteRef().getName(),
                    transfers.uploadDemand(uploadOptions, knownSize));
            // the long part runs on the transfer threads; its outcome is returned by a later reconcile
            TransferLimiter.Permit held = permit;
            jobs.start(e, () -> transfer(e, client, store, settings, held, before, t0));
            permit = null;
            return UpdateControl.<InstanceExport>noUpdate().rescheduleAfter(TransferJobs.RUNNING_POLL);
        } catch (Exception ex) {
            return failed(e, ex, before);
        } finally {
            if (permit != null) {
                permit.close();
            }
        }
    }

    /** The export itself, on a transfer thread, holding {@code permit} until it ends. */
    private UpdateControl<InstanceExport> transfer(
            InstanceExport e,
            LxdApi client,
            ObjectStore store,
            Settings settings,
            TransferLimiter.Permit permit,
            InstanceExportPhase before,
            long t0) {
        InstanceExportStatus status = e.getStatus();
        try {
            if (status.getPhase() == InstanceExportPhase.PENDING) {
                // fail before anything is created when the store cannot take the export
                store.validate();
            }
            if (status.getPhase() != InstanceExportPhase.UPLOADING) {
                ensureBackup(e, client, store, settings);
            }
            upload(e, client, store, settings, permit);
            metrics.operation(KIND, "export", "success", Duration.ofNanos(System.nanoTime() - t0));
            return withNextCheck(UpdateControl.patchStatus(e), e);
        } catch (Exception ex) {
            return failed(e, ex, before);
        } finally {
            active.remove(e.getMetadata().getUid());
            permit.close();
        }
    }

    /** A reconcile's or a transfer's failure (or wait) as the status and the next attempt. */
    private UpdateControl<InstanceExport> failed(InstanceExport e, Exception failure, InstanceExportPhase before) {
        InstanceExportStatus status = e.getStatus();
        try {
            throw failure;
        } catch (Transfers.Queued q) {
            // waiting is no failure: nothing counted, no back-off growth, a patch only when the message changes
            boolean changed = Transfers.markQueued(status, generation(e), clock, Condition.COMPLETE, q.getMessage());
            return (changed ? UpdateControl.patchStatus(e) : UpdateControl.<InstanceExport>noUpdate())
                    .rescheduleAfter(Transfers.nextPoll());
        } catch (Exception ex) {
            if (closing || isCancelled(e)) {
                // shutdown or deletion stopped the transfer: the recorded intent is resumed or cleaned up
                return UpdateControl.noUpdate();
            }
            Failure f = Failure.from(ex, "export of " + label(e));
            int failures = status.getFailures() == null ? 1 : status.getFailures() + 1;
            boolean giveUp = !f.isTransient() || failures >= MAX_FAILURES;
            String message = f.getMessage();
            if (giveUp) {
                if (f.isTransient()) {
                    message = "gave up after " + failures + " attempts: " + message;
                }
                status.setPhase(InstanceExportPhase.FAILED);
                cleanUpAfterFailure(e);
            }
            Conditions.set(status, generation(e), clock, Condition.COMPLETE, false, f.reason(), message);
            Conditions.countFailure(status);
            if (before != status.getPhase() || failures == 1) {
                events.warning(e, f.reason(), message);
                LOG.warn("InstanceExport {}/{}: {}: {}", ns(e), e.getMetadata().getName(), f.reason(), message);
            }
            metrics.operation(KIND, "export", f.reason(), null);
            if (giveUp && before != InstanceExportPhase.FAILED) {
                metrics.failure(
                        KIND,
                        ns(e),
                        e.getSpec() == null || e.getSpec().getRemoteRef() == null
                                ? null
                                : e.getSpec().getRemoteRef().getName(),
                        e.getSpec() == null ? null : label(e),
                        clock.instant());
            }
            if (giveUp) {
                return UpdateControl.patchStatus(e);
            }
            return UpdateControl.patchStatus(e).rescheduleAfter(Backoff.delay(failures, MAX_BACKOFF));
        }
    }

    static Settings validate(InstanceExportSpec spec) {
        if (spec == null || spec.getRemoteRef() == null || spec.getRemoteRef().getName() == null) {
            throw Failure.permanent(Reasons.INVALID_SPEC, "spec.remoteRef.name is required");
        }
        Targets.of(spec.getInstance(), spec.getVolume());
        if (spec.getStoreRef() == null || spec.getStoreRef().getName() == null) {
            throw Failure.permanent(Reasons.INVALID_SPEC, "spec.storeRef.name is required");
        }
        if (spec.getAttachedVolumes() == AttachedVolumesMode.INCLUDE && spec.getVolume() != null) {
            throw Failure.permanent(
                    Reasons.INVALID_SPEC,
                    "attachedVolumes: Include applies to instances only, not to volume " + spec.getVolume()
                            + "; remove it");
        }
        Duration ttl = null;
        if (spec.getTtl() != null) {
            try {
                ttl = GoDuration.parse(spec.getTtl());
            } catch (IllegalArgumentException ex) {
                throw Failure.permanent(Reasons.INVALID_SPEC, "spec.ttl: " + ex.getMessage());
            }
        }
        Integer version = spec.getExportVersion();
        if (version != null && (version < 0 || version > 2)) {
            throw Failure.permanent(Reasons.INVALID_SPEC, "spec.exportVersion must be 0, 1 or 2");
        }
        String key = spec.getKey();
        if (key != null
                && !key.isBlank()
                && (key.startsWith("/") || key.endsWith("/") || ObjectKeys.isManifestKey(key))) {
            throw Failure.permanent(
                    Reasons.INVALID_SPEC,
                    "spec.key \"" + key + "\" must not start or end with '/' and must not end in "
                            + ObjectKeys.MANIFEST_SUFFIX);
        }
        return new Settings(ttl, spec.getCompression() == null ? Compression.AUTO : spec.getCompression(), version);
    }

    /**
     * {@code auto}: zstd (the fastest LXD offers by far: about 8x gzip) where the server lets a
     * backup choose, then gzip; without that extension the server's own default. An explicit
     * choice is used as is.
     */
    static List<Candidate> candidates(Compression wanted, ServerInfo server) {
        boolean choosable = server.capabilities().backupCompressionAlgorithm();
        if (!choosable) {
            Compression serverDefault = Compression.GZIP;
            String configured = server.config().get("backups.compression_algorithm");
            if (configured != null && !configured.isBlank()) {
                try {
                    serverDefault = Compression.fromValue(configured.trim().toLowerCase(Locale.ROOT));
                } catch (IllegalArgumentException ex) {
                    // an algorithm with arguments ("zstd -3"): take its first word
                    serverDefault = Compression.fromValue(
                            configured.trim().split("\\s+")[0].toLowerCase(Locale.ROOT));
                }
            }
            if (wanted != Compression.AUTO && wanted != serverDefault) {
                throw Failure.permanent(
                        Reasons.NOT_SUPPORTED,
                        "this LXD server cannot choose a backup's compression "
                                + "(API extension backup_compression_algorithm missing); use compression: auto or "
                                + serverDefault.value());
            }
            return List.of(new Candidate(null, serverDefault));
        }
        if (wanted == Compression.AUTO) {
            return List.of(new Candidate("zstd", Compression.ZSTD), new Candidate("gzip", Compression.GZIP));
        }
        return List.of(new Candidate(wanted.value(), wanted));
    }

    /** Storage drivers whose backups LXD can write in their own optimized format. */
    static final Set<String> OPTIMIZED_BACKUP_DRIVERS = Set.of("btrfs", "zfs");

    /**
     * optimizedStorage on a pool whose driver has no optimized format: LXD writes a plain tarball
     * and says nothing, so the export would not be what the spec asks for. Refused instead.
     */
    static void requireOptimizedBackups(LxdApi client, LxdTarget target) {
        String pool;
        if (target instanceof io.lxdbackup.operator.lxd.VolumeTarget vol) {
            pool = vol.pool();
        } else {
            pool = client.getInstance(target.name()).expandedDevices().values().stream()
                    .filter(d -> "disk".equals(d.get("type")) && "/".equals(d.get("path")))
                    .map(d -> d.get("pool"))
                    .filter(java.util.Objects::nonNull)
                    .findFirst()
                    .orElse(null);
            if (pool == null) {
                return; // no root disk to judge by: left to LXD
            }
        }
        String driver = client.storagePoolDriver(pool);
        if (!OPTIMIZED_BACKUP_DRIVERS.contains(driver)) {
            throw Failure.permanent(
                    Reasons.NOT_SUPPORTED,
                    "optimizedStorage needs a pool whose driver has an optimized backup format (btrfs or zfs); "
                            + target + " is on pool " + pool + " (driver " + driver
                            + "), where LXD would silently write a plain tarball; set optimizedStorage: false");
        }
    }

    // ------------------------------------------------------------------ LXD backup

    private void ensureBackup(InstanceExport e, LxdApi client, ObjectStore store, Settings settings) {
        InstanceExportSpec spec = e.getSpec();
        InstanceExportStatus status = e.getStatus();
        LxdTarget instance = target(e);
        String name = backupName(e);
        ServerInfo server = client.server();
        if (status.getPhase() == InstanceExportPhase.CREATING_BACKUP && adoptInterruptedBackup(e, client, name)) {
            startUploading(e, client, store);
            return;
        }
        TargetChecks.requireExists(client, instance, spec.getRemoteRef().getName());
        if (Boolean.TRUE.equals(spec.getOptimizedStorage())) {
            requireOptimizedBackups(client, instance);
        }
        if (!instance.isVolume() && !includesVolumes(e)) {
            VolumesNotIncluded.check(e, status, client, instance.name(), "export", clock, events);
        }
        List<Candidate> candidates = candidates(settings.compression(), server);
        for (int i = 0; i < candidates.size(); i++) {
            Candidate c = candidates.get(i);
            boolean last = i == candidates.size() - 1;
            // intent: name, compression and contents are recorded before LXD is asked
            status.setPhase(InstanceExportPhase.CREATING_BACKUP);
            status.setBackupName(name);
            status.setBackupOperation(null);
            status.setCompression(c.effective());
            status.setLxdVersion(server.serverVersion());
            status.setSnapshots(
                    Boolean.TRUE.equals(spec.getInstanceOnly())
                            ? null
                            : client.listSnapshots(instance).stream()
                                    .map(Snapshot::name)
                                    .toList());
            if (status.getStartTime() == null) {
                status.setStartTime(Conditions.timestamp(clock.instant()));
            }
            Conditions.set(
                    status,
                    generation(e),
                    clock,
                    Condition.COMPLETE,
                    false,
                    Reasons.CREATING_BACKUP,
                    "Creating LXD backup " + name + " of " + instance + " ("
                            + c.effective().value() + ")");
            StatusWriter.patchStatus(kube, e);
            long t0 = System.nanoTime();
            try {
                Operation op = client.createBackup(
                        instance,
                        new LxdClient.BackupRequest(
                                name,
                                client.serverTime().plus(BACKUP_EXPIRY),
                                Boolean.TRUE.equals(spec.getInstanceOnly()),
                                Boolean.TRUE.equals(spec.getOptimizedStorage()),
                                c.wire(),
                                settings.version()));
                if (op != null) {
                    status.setBackupOperation(op.id());
                    StatusWriter.patchStatus(kube, e);
                }
                client.waitFor(op, OPERATION_TIMEOUT);
                metrics.operation(KIND, "createBackup", "success", Duration.ofNanos(System.nanoTime() - t0));
                LOG.debug(
                        "InstanceExport {}/{}: timing createBackup {} ms",
                        ns(e),
                        e.getMetadata().getName(),
                        (System.nanoTime() - t0) / 1_000_000);
                events.normal(
                        e,
                        "BackupCreated",
                        "Created LXD backup " + name + " of " + instance + " ("
                                + c.effective().value() + ")");
                startUploading(e, client, store);
                return;
            } catch (LxdException.AlreadyExists ex) {
                // left by an attempt whose outcome is unknown: replace it rather than trust it
                deleteBackupQuietly(client, instance, name);
                throw Failure.retryable(
                        Reasons.BACKUP_FAILED,
                        "an earlier LXD backup " + name + " of unknown state was removed; " + "creating it again");
            } catch (LxdException.BadRequest | LxdException.OperationFailed ex) {
                metrics.operation(
                        KIND, "createBackup", Reasons.BACKUP_FAILED, Duration.ofNanos(System.nanoTime() - t0));
                deleteBackupQuietly(client, instance, name);
                if (!last) {
                    events.warning(
                            e,
                            "CompressionFallback",
                            "LXD could not create a " + c.effective().value() + " backup (" + ex.getMessage()
                                    + "); trying "
                                    + candidates.get(i + 1).effective().value());
                    continue;
                }
                status.setBackupName(null);
                status.setBackupOperation(null);
                throw Failure.permanent(
                        Reasons.BACKUP_FAILED,
                        "LXD could not create the backup of " + instance + ": " + ex.getMessage());
            } catch (LxdException.NotFound ex) {
                status.setBackupName(null);
                throw Failure.permanent(
                        Reasons.INSTANCE_NOT_FOUND,
                        "instance " + instance + " disappeared before its backup: " + ex.getMessage());
            } catch (LxdException.NotSupported ex) {
                status.setBackupName(null);
                throw Failure.permanent(Reasons.NOT_SUPPORTED, ex.getMessage());
            }
        }
    }

    /**
     * After a restart in {@code CreatingBackup}: true when the backup our earlier attempt asked
     * for exists and is complete. One of unknown completeness (no operation recorded, or the
     * operation failed) is deleted so it is created again.
     */
    private boolean adoptInterruptedBackup(InstanceExport e, LxdApi client, String name) {
        LxdTarget instance = target(e);
        String opId = e.getStatus().getBackupOperation();
        if (opId != null) {
            try {
                client.waitFor(client.getOperation(opId), OPERATION_TIMEOUT);
            } catch (LxdException.NotFound ex) {
                // LXD forgets finished operations after a few seconds: the backup itself tells
            } catch (LxdException.OperationFailed | LxdException.BadRequest ex) {
                deleteBackupQuietly(client, instance, name);
                return false;
            }
            try {
                client.getBackup(instance, name);
                LOG.info(
                        "InstanceExport {}/{}: adopted LXD backup {} created before a restart",
                        ns(e),
                        e.getMetadata().getName(),
                        name);
                return true;
            } catch (LxdException.NotFound ex) {
                return false;
            }
        }
        deleteBackupQuietly(client, instance, name);
        return false;
    }

    /** Fixes the object key and records phase Uploading: the intent of the upload. */
    private void startUploading(InstanceExport e, LxdApi client, ObjectStore store) {
        InstanceExportStatus status = e.getStatus();
        status.setBackupOperation(null);
        if (status.getObject() == null || status.getObject().getKey() == null) {
            StoredObjectInfo o = new StoredObjectInfo();
            o.setBucket(store.config().bucket());
            o.setKey(objectKey(e, client, store));
            status.setObject(o);
        }
        status.setPhase(InstanceExportPhase.UPLOADING);
        StatusWriter.patchStatus(kube, e);
    }

    private static String objectKey(InstanceExport e, LxdApi client, ObjectStore store) {
        InstanceExportSpec spec = e.getSpec();
        String prefix = store.config().prefix();
        if (spec.getKey() != null && !spec.getKey().isBlank()) {
            return prefix + spec.getKey();
        }
        try {
            if (target(e) instanceof VolumeTarget v) {
                return ObjectKeys.volumeExportKey(
                        prefix,
                        ns(e),
                        spec.getRemoteRef().getName(),
                        client.project(),
                        v.pool(),
                        v.name(),
                        e.getMetadata().getName(),
                        e.getStatus().getCompression().value());
            }
            return ObjectKeys.exportKey(
                    prefix,
                    ns(e),
                    spec.getRemoteRef().getName(),
                    client.project(),
                    spec.getInstance(),
                    e.getMetadata().getName(),
                    e.getStatus().getCompression().value());
        } catch (IllegalArgumentException ex) {
            throw Failure.permanent(Reasons.INVALID_SPEC, ex.getMessage());
        }
    }

    // ------------------------------------------------------------------ upload

    private void upload(
            InstanceExport e, LxdApi client, ObjectStore store, Settings settings, TransferLimiter.Permit permit)
            throws IOException {
        InstanceExportSpec spec = e.getSpec();
        InstanceExportStatus status = e.getStatus();
        LxdTarget instance = target(e);
        String key = status.getObject().getKey();
        String name = status.getBackupName() != null ? status.getBackupName() : backupName(e);
        if (status.getManifestKey() != null
                && status.getObject().getSha256() != null
                && verifiedInStore(store, status.getObject())) {
            // verified and described before a restart: only the LXD backup is left to remove
            finish(e, client, settings);
            return;
        }
        // intent: a new attempt at this key (the key itself was fixed with phase Uploading)
        status.setAttempts(status.getAttempts() == null ? 1 : status.getAttempts() + 1);
        status.getObject().setSize(null);
        status.getObject().setSha256(null);
        status.setManifestKey(null);
        Conditions.set(
                status,
                generation(e),
                clock,
                Condition.COMPLETE,
                false,
                Reasons.UPLOADING,
                "Uploading backup of " + instance + " to s3://" + store.config().bucket() + "/" + key);
        StatusWriter.patchStatus(kube, e);
        long tStart = System.nanoTime();
        KeyOwnership ownership = ownership(e, store, key);
        try {
            ownership.claim(clock.instant());
        } catch (KeyOwnership.KeyTakenException ex) {
            throw Failure.permanent(
                    Reasons.ALREADY_EXISTS,
                    ex.getMessage() + "; this export writes only where nobody else "
                            + "does: choose another spec.key, or remove what is there");
        }
        // a store that lists uploads it then refuses to abort must not stop the export: the new upload
        // has its own id, and the leftovers are tried again after it and when the export resumes
        boolean[] staleLeft = {false};
        int aborted = Cleanup.bestEffort("aborting stale uploads of " + key, ownership::abortOwnUploads, 0, f -> {
            staleLeft[0] = true;
            staleUploadsLeft(e, key, f);
        });
        if (aborted > 0) {
            events.normal(
                    e,
                    "StaleUploadsAborted",
                    "Aborted " + aborted + " unfinished upload(s) of " + key + " from an earlier attempt");
        }
        try {
            client.getBackup(instance, name);
        } catch (LxdException.NotFound ex) {
            // expired or removed while we were away: make it again under the same name and key
            status.setPhase(InstanceExportPhase.CREATING_BACKUP);
            status.setBackupOperation(null);
            LOG.info(
                    "InstanceExport {}/{}: LXD backup {} is gone; creating it again",
                    ns(e),
                    e.getMetadata().getName(),
                    name);
            ensureBackup(e, client, store, settings);
            name = status.getBackupName();
        }
        long t0 = System.nanoTime();
        long prepareMs = (t0 - tStart) / 1_000_000;
        UploadResult result;
        LxdClient.Download download = client.downloadBackup(instance, name);
        StoppableStream in = new StoppableStream(download.stream());
        active.put(e.getMetadata().getUid(), in);
        long total = download.contentLength();
        setProgress(status, 0, total);
        try (download) {
            if (closing) {
                in.cancel();
            }
            // the size LXD claims sizes the parts, within --max-part-size and the permit's memory
            UploadOptions sized = transfers.sizeUpload(permit, uploadOptions, total, "the LXD backup of " + instance);
            UploadOptions options = sized.withContentType(contentType(status.getCompression()))
                    .withMetadata(Map.of(
                            instance.kind(),
                            instance.toString(),
                            "export",
                            e.getMetadata().getName(),
                            KeyOwnership.OWNER_METADATA,
                            e.getMetadata().getUid()))
                    .withProgress(bytes -> reportProgress(e, bytes, total), PROGRESS_INTERVAL);
            result = store.upload(key, in, total, options);
        } catch (ChecksumMismatchException ex) {
            throw Failure.retryable(Reasons.CHECKSUM_MISMATCH, ex.getMessage());
        } catch (IOException ex) {
            if (in.cancelled()) {
                throw ex;
            }
            Optional<LxdException.Unresponsive> stalled = LxdClient.unresponsive(ex);
            if (stalled.isPresent()) {
                // the download stalled: LXD's side, not the store's; the partial upload was aborted
                throw stalled.get();
            }
            throw Failure.retryable(
                    Reasons.UPLOAD_FAILED,
                    "streaming the backup from LXD to the store failed (" + ex.getMessage()
                            + "); the partial upload was aborted and is retried");
        }
        if (staleLeft[0]) {
            // what the abort before the upload could not remove
            Cleanup.bestEffort(
                    "aborting stale uploads of " + key,
                    () -> store.abortStaleUploads(key),
                    0,
                    f -> staleUploadsLeft(e, key, f));
        }
        metrics.operation(KIND, "upload", "success", Duration.ofNanos(System.nanoTime() - t0));
        metrics.bytes(KIND, "upload", result.size());
        long tUploaded = System.nanoTime();
        // the SHA-256 of the stream goes into the manifest, the object's checksum record; restores verify it
        verifyStored(e, store, key, result, total);
        LOG.debug(
                "InstanceExport {}/{}: {} uploaded in {} part(s), {} bytes, verified by {}",
                ns(e),
                e.getMetadata().getName(),
                key,
                result.parts(),
                result.size(),
                result.verification());
        status.getObject().setSize(result.size());
        status.getObject().setSha256(result.sha256());
        List<BackupManifest.AttachedVolume> volumes = null;
        if (includesVolumes(e)) {
            StatusWriter.patchStatus(kube, e);
            CrashPoints.reached(CrashPoints.EXPORT_INSTANCE_UPLOADED, e);
            volumes = exportVolumes(e, client, store, settings, permit);
            CrashPoints.reached(CrashPoints.EXPORT_VOLUMES_DONE, e);
        }
        ServerInfo server = client.server();
        BackupManifest manifest = manifest(
                e,
                client,
                server,
                key,
                result,
                spec.getInstance(),
                status.getSnapshots(),
                instance instanceof VolumeTarget v ? new BackupManifest.Volume(v.pool(), v.name()) : null,
                volumes);
        // recorded before it is written: a restart then finds the pair and only finishes
        status.setManifestKey(manifest.manifestKey());
        setProgress(status, result.size(), result.size());
        StatusWriter.patchStatus(kube, e);
        long tChecked = System.nanoTime();
        store.putSmall(manifest.manifestKey(), manifest.toJson(), BackupManifest.CONTENT_TYPE);
        long tManifest = System.nanoTime();
        finish(e, client, settings);
        LOG.debug(
                "InstanceExport {}/{}: timing prepare (abort stale, check backup) {} ms, upload {} ms, "
                        + "check {} ms, manifest {} ms, finish (delete LXD backup) {} ms",
                ns(e),
                e.getMetadata().getName(),
                prepareMs,
                (tUploaded - t0) / 1_000_000,
                (tChecked - tUploaded) / 1_000_000,
                (tManifest - tChecked) / 1_000_000,
                (System.nanoTime() - tManifest) / 1_000_000);
    }

    // ------------------------------------------------------------------ attached volumes

    static boolean includesVolumes(InstanceExport e) {
        return e.getSpec().getAttachedVolumes() == AttachedVolumesMode.INCLUDE
                && e.getSpec().getInstance() != null;
    }

    /** The LXD-side backup of the i-th attached volume: stable across restarts, this export's alone. */
    static String volumeBackupName(InstanceExport e, int i) {
        return backupName(e) + "-v" + i;
    }

    /**
     * attachedVolumes: Include, after the instance's object is verified: each custom volume
     * attached to the instance is exported as a volume export of its own, next to the instance's
     * object ({@link ObjectKeys#attachedVolumeKey}) with its own manifest, and listed in the
     * instance's manifest. The list and every key are written to the status before the first
     * byte; a volume is done once its object is verified, so a restart exports only the others
     * again, under the same keys.
     */
    private List<BackupManifest.AttachedVolume> exportVolumes(
            InstanceExport e, LxdApi client, ObjectStore store, Settings settings, TransferLimiter.Permit permit)
            throws IOException {
        InstanceExportStatus status = e.getStatus();
        if (status.getVolumes() == null) {
            List<IncludedVolume> plan = new ArrayList<>();
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (VolumeAttachment a :
                    VolumeAttachment.of(client.getInstance(e.getSpec().getInstance()))) {
                if (!seen.add(a.pool() + "/" + a.volume())) {
                    continue; // the same volume attached twice: one export
                }
                IncludedVolume v = new IncludedVolume(a.device(), a.pool(), a.volume(), a.path());
                try {
                    v.setKey(ObjectKeys.attachedVolumeKey(
                            status.getObject().getKey(),
                            a.device(),
                            status.getCompression().value()));
                } catch (IllegalArgumentException ex) {
                    throw Failure.permanent(Reasons.INVALID_SPEC, ex.getMessage());
                }
                plan.add(v);
            }
            status.setVolumes(plan);
            StatusWriter.patchStatus(kube, e);
        }
        List<BackupManifest.AttachedVolume> out = new ArrayList<>();
        for (int i = 0; i < status.getVolumes().size(); i++) {
            IncludedVolume v = status.getVolumes().get(i);
            if (!Boolean.TRUE.equals(v.getDone()) || !volumeVerified(store, v)) {
                exportVolume(e, client, store, settings, permit, v, volumeBackupName(e, i));
            }
            out.add(new BackupManifest.AttachedVolume(
                    v.getDevice(), v.getPool(), v.getName(), v.getPath(), v.getKey(), v.getSize(), v.getSha256()));
        }
        VolumesNotIncluded.included(e, status, status.getVolumes(), e.getSpec().getInstance(), "export", clock);
        return out;
    }

    private static boolean volumeVerified(ObjectStore store, IncludedVolume v) {
        Optional<ObjectInfo> head = store.head(v.getKey());
        return head.isPresent()
                && v.getSize() != null
                && head.get().size() == v.getSize()
                && (head.get().sha256() == null || head.get().sha256().equals(v.getSha256()));
    }

    private void exportVolume(
            InstanceExport e,
            LxdApi client,
            ObjectStore store,
            Settings settings,
            TransferLimiter.Permit permit,
            IncludedVolume v,
            String backup)
            throws IOException {
        InstanceExportSpec spec = e.getSpec();
        InstanceExportStatus status = e.getStatus();
        VolumeTarget t = new VolumeTarget(v.getPool(), v.getName());
        String key = v.getKey();
        v.setDone(null);
        v.setSize(null);
        v.setSha256(null);
        Conditions.set(
                status,
                generation(e),
                clock,
                Condition.COMPLETE,
                false,
                Reasons.UPLOADING,
                "Uploading backup of volume " + t + " (device " + v.getDevice() + " of instance " + spec.getInstance()
                        + ") to s3://" + store.config().bucket() + "/" + key);
        StatusWriter.patchStatus(kube, e);
        // a backup of that name is left by an attempt of unknown outcome: made again
        deleteBackupQuietly(client, t, backup);
        ServerInfo server = client.server();
        String wire = server.capabilities().backupCompressionAlgorithm()
                ? status.getCompression().value()
                : null;
        try {
            client.waitFor(
                    client.createBackup(
                            t,
                            new LxdClient.BackupRequest(
                                    backup,
                                    client.serverTime().plus(BACKUP_EXPIRY),
                                    Boolean.TRUE.equals(spec.getInstanceOnly()),
                                    Boolean.TRUE.equals(spec.getOptimizedStorage()),
                                    wire,
                                    settings.version())),
                    OPERATION_TIMEOUT);
        } catch (LxdException.NotFound ex) {
            throw Failure.permanent(
                    Reasons.VOLUME_NOT_FOUND,
                    "volume " + t + " (device " + v.getDevice() + " of instance " + spec.getInstance()
                            + ") disappeared before its backup: " + ex.getMessage());
        } catch (LxdException.BadRequest | LxdException.OperationFailed ex) {
            deleteBackupQuietly(client, t, backup);
            throw Failure.permanent(
                    Reasons.BACKUP_FAILED, "LXD could not create the backup of volume " + t + ": " + ex.getMessage());
        } catch (LxdException.NotSupported ex) {
            throw Failure.permanent(Reasons.NOT_SUPPORTED, ex.getMessage());
        }
        try {
            CrashPoints.reached(CrashPoints.EXPORT_VOLUME_BACKUP_CREATED, e);
            KeyOwnership ownership = ownership(e, store, key);
            try {
                ownership.claim(clock.instant());
            } catch (KeyOwnership.KeyTakenException ex) {
                throw Failure.permanent(
                        Reasons.ALREADY_EXISTS,
                        ex.getMessage() + "; this export writes only where nobody else does: choose another"
                                + " spec.key, or remove what is there");
            }
            Cleanup.bestEffort(
                    "aborting stale uploads of " + key,
                    ownership::abortOwnUploads,
                    0,
                    f -> staleUploadsLeft(e, key, f));
            UploadResult result;
            LxdClient.Download download = client.downloadBackup(t, backup);
            StoppableStream in = new StoppableStream(download.stream());
            active.put(e.getMetadata().getUid(), in);
            long total = download.contentLength();
            try (download) {
                if (closing) {
                    in.cancel();
                }
                UploadOptions options = transfers
                        .sizeUpload(permit, uploadOptions, total, "the LXD backup of volume " + t)
                        .withContentType(contentType(status.getCompression()))
                        .withMetadata(Map.of(
                                t.kind(),
                                t.toString(),
                                "export",
                                e.getMetadata().getName(),
                                KeyOwnership.OWNER_METADATA,
                                e.getMetadata().getUid()));
                result = store.upload(key, in, total, options);
            } catch (ChecksumMismatchException ex) {
                throw Failure.retryable(Reasons.CHECKSUM_MISMATCH, ex.getMessage());
            } catch (IOException ex) {
                if (in.cancelled()) {
                    throw ex;
                }
                throw Failure.retryable(
                        Reasons.UPLOAD_FAILED,
                        "streaming the backup of volume " + t + " from LXD to the store failed (" + ex.getMessage()
                                + "); the partial upload was aborted and is retried");
            }
            verifyStored(e, store, key, result, total);
            metrics.bytes(KIND, "upload", result.size());
            // the volume's own manifest: the object is a volume export that restores on its own too
            BackupManifest m = manifest(
                    e,
                    client,
                    server,
                    key,
                    result,
                    null,
                    List.of(),
                    new BackupManifest.Volume(t.pool(), t.name()),
                    null);
            store.putSmall(m.manifestKey(), m.toJson(), BackupManifest.CONTENT_TYPE);
            CrashPoints.reached(CrashPoints.EXPORT_VOLUME_UPLOADED, e);
            v.setSize(result.size());
            v.setSha256(result.sha256());
            v.setDone(true);
            StatusWriter.patchStatus(kube, e);
            events.normal(
                    e,
                    "VolumeExported",
                    "Exported volume " + t + " (device " + v.getDevice() + ") to s3://"
                            + store.config().bucket() + "/" + key + " (" + result.size() + " bytes, sha256 "
                            + result.sha256() + ")");
        } finally {
            if (!closing) {
                try {
                    deleteBackupQuietly(client, t, backup);
                } catch (RuntimeException ex) {
                    LOG.debug("LXD backup {} of volume {} not deleted yet (it expires): {}", backup, t, ex.toString());
                }
            }
        }
    }

    /** Unfinished uploads of the attached volumes' objects this export claimed. */
    private void abortVolumeUploads(InstanceExport e, ObjectStore store) {
        if (e.getStatus().getVolumes() == null) {
            return;
        }
        for (IncludedVolume v : e.getStatus().getVolumes()) {
            if (v.getKey() != null && !Boolean.TRUE.equals(v.getDone())) {
                ownership(e, store, v.getKey()).abortOwnUploads();
            }
        }
    }

    /** The LXD backups of attached volumes an interrupted export may have left (they also expire). */
    private void deleteVolumeBackups(InstanceExport e, LxdApi client) {
        List<IncludedVolume> volumes = e.getStatus().getVolumes();
        if (volumes == null) {
            return;
        }
        for (int i = 0; i < volumes.size(); i++) {
            IncludedVolume v = volumes.get(i);
            if (!Boolean.TRUE.equals(v.getDone())) {
                deleteBackup(client, new VolumeTarget(v.getPool(), v.getName()), volumeBackupName(e, i));
            }
        }
    }

    private void staleUploadsLeft(InstanceExport e, String key, Failure f) {
        LOG.warn(
                "InstanceExport {}/{}: unfinished uploads of {} could not be aborted (tried again later): {}",
                ns(e),
                e.getMetadata().getName(),
                key,
                f.getMessage());
        events.warning(
                e,
                "StaleUploadsLeft",
                "Unfinished uploads of " + key + " could not be aborted yet (" + f.reason() + ": " + f.getMessage()
                        + "); the export goes on and tries again later");
    }

    /** The object has the recorded size, and its manifest records the same size and SHA-256. */
    private static boolean verifiedInStore(ObjectStore store, StoredObjectInfo recorded) {
        Optional<ObjectInfo> head = store.head(recorded.getKey());
        if (head.isEmpty()
                || recorded.getSize() == null
                || head.get().size() != recorded.getSize()
                || (head.get().sha256() != null
                        && !recorded.getSha256().equals(head.get().sha256()))) {
            return false;
        }
        try {
            BackupManifest m = BackupManifest.fromJson(store.getSmall(ObjectKeys.manifestKey(recorded.getKey())));
            return recorded.getSha256().equals(m.sha256()) && m.size() == recorded.getSize();
        } catch (StoreException ex) {
            if (ex.reason() == StoreException.Reason.OBJECT_NOT_FOUND) {
                return false;
            }
            throw ex;
        } catch (RuntimeException ex) {
            LOG.debug("manifest of {} unreadable: {}", recorded.getKey(), ex.toString());
            return false;
        }
    }

    /** Deletes the LXD backup, then declares the export complete. */
    private void finish(InstanceExport e, LxdApi client, Settings settings) {
        InstanceExportStatus status = e.getStatus();
        String name = status.getBackupName() != null ? status.getBackupName() : backupName(e);
        deleteBackup(client, target(e), name);
        status.setBackupName(null);
        status.setBackupOperation(null);
        Instant now = clock.instant();
        status.setPhase(InstanceExportPhase.COMPLETED);
        status.setCompletionTime(Conditions.timestamp(now));
        status.setExpiration(settings.ttl() == null ? null : Conditions.timestamp(now.plus(settings.ttl())));
        String msg = "Exported " + Targets.describe(target(e)) + " to s3://"
                + status.getObject().getBucket() + "/"
                + status.getObject().getKey() + " (" + status.getObject().getSize() + " bytes, "
                + status.getCompression().value()
                + ", sha256 " + status.getObject().getSha256() + " in " + status.getManifestKey() + ")";
        Conditions.set(status, generation(e), clock, Condition.COMPLETE, true, Reasons.EXPORT_COMPLETED, msg);
        events.normal(e, Reasons.EXPORT_COMPLETED, msg);
        metrics.lastSuccess(
                KIND, ns(e), e.getSpec().getRemoteRef().getName(), target(e).toString(), now);
    }

    private void setProgress(InstanceExportStatus status, long done, long total) {
        Progress p = new Progress();
        p.setBytesDone(done);
        if (total > 0) {
            p.setTotalBytes(total);
            p.setPercent((int) Math.min(100, done * 100 / total));
        }
        status.setProgress(p);
    }

    /**
     * Called by the upload at most every {@link #PROGRESS_INTERVAL}: patches the progress, and
     * stops the transfer when the resource is being deleted (seen in the patch's answer).
     */
    private void reportProgress(InstanceExport e, long bytes, long total) {
        synchronized (e) {
            setProgress(e.getStatus(), bytes, total);
            try {
                InstanceExport updated = StatusWriter.patchStatus(kube, e);
                if (updated != null && updated.getMetadata().getDeletionTimestamp() != null) {
                    StoppableStream s = active.get(e.getMetadata().getUid());
                    if (s != null) {
                        LOG.info(
                                "InstanceExport {}/{} is being deleted: stopping its upload",
                                ns(e),
                                e.getMetadata().getName());
                        s.cancel();
                    }
                }
            } catch (RuntimeException ex) {
                LOG.debug(
                        "progress of InstanceExport {}/{} not written: {}",
                        ns(e),
                        e.getMetadata().getName(),
                        ex.toString());
            }
        }
    }

    private boolean isCancelled(InstanceExport e) {
        StoppableStream s = active.get(e.getMetadata().getUid());
        return s != null && s.cancelled();
    }

    private static String contentType(Compression c) {
        return switch (c) {
            case GZIP -> "application/gzip";
            case ZSTD -> "application/zstd";
            case NONE -> "application/x-tar";
            default -> UploadOptions.DEFAULT_CONTENT_TYPE;
        };
    }

    // ------------------------------------------------------------------ completed, ttl

    private UpdateControl<InstanceExport> completed(InstanceExport e) {
        InstanceExportStatus status = e.getStatus();
        String was = Serialization.asJson(status);
        try {
            Duration ttl = validate(e.getSpec()).ttl();
            Instant done = parse(status.getCompletionTime());
            // ttl may change after completion: the expiration follows it
            status.setExpiration(ttl == null || done == null ? null : Conditions.timestamp(done.plus(ttl)));
            Instant expiration = parse(status.getExpiration());
            if (status.getPhase() == InstanceExportPhase.DELETING
                    || (expiration != null && !clock.instant().isBefore(expiration))) {
                List<InUse.Dependent> readers = ExportReaders.of(kube, e);
                if (!readers.isEmpty()) {
                    ExportReaders.markWaiting(
                            kube, e, readers, "Expiry (ttl " + e.getSpec().getTtl() + ")", events, clock);
                    return UpdateControl.<InstanceExport>noUpdate().rescheduleAfter(READERS_RECHECK);
                }
                if (status.getPhase() != InstanceExportPhase.DELETING) {
                    status.setPhase(InstanceExportPhase.DELETING);
                    StatusWriter.patchStatus(kube, e);
                }
                ObjectStore store = stores.connect(
                                ns(e), e.getSpec().getStoreRef().getName())
                        .store();
                deleteObject(e, store, status);
                events.normal(
                        e,
                        Reasons.EXPIRED,
                        "ttl " + e.getSpec().getTtl() + " passed: deleted "
                                + status.getObject().getKey() + " and its manifest; deleting this InstanceExport");
                kube.resources(InstanceExport.class)
                        .inNamespace(ns(e))
                        .withName(e.getMetadata().getName())
                        .delete();
                return UpdateControl.noUpdate();
            }
            // a completed export without a change writes nothing (its status is the record of the backup)
            return withNextCheck(
                    was.equals(Serialization.asJson(status))
                            ? UpdateControl.<InstanceExport>noUpdate()
                            : UpdateControl.patchStatus(e),
                    e);
        } catch (Exception ex) {
            Failure f = Failure.from(ex, "expiring export " + e.getMetadata().getName());
            int failures = Conditions.countFailure(status);
            if (failures == 1) {
                events.warning(e, f.reason(), "Cannot remove the expired export yet (will retry): " + f.getMessage());
            }
            return UpdateControl.patchStatus(e).rescheduleAfter(Backoff.delay(failures, MAX_BACKOFF));
        }
    }

    /**
     * A completed export is looked at again only for its ttl: without one nothing is due (a change of
     * the spec, ttl included, starts a reconcile of its own), so thousands of kept exports cost nothing
     * while idle.
     */
    private UpdateControl<InstanceExport> withNextCheck(UpdateControl<InstanceExport> c, InstanceExport e) {
        Instant expiration = parse(e.getStatus().getExpiration());
        return expiration == null ? c : c.rescheduleAfter(nextCheck(expiration));
    }

    /** Until the expiration, at most {@link #RESYNC} (a clock set forward is noticed within that). */
    private Duration nextCheck(Instant expiration) {
        Duration until = Duration.between(clock.instant(), expiration);
        if (until.isNegative() || until.isZero()) {
            return Duration.ofSeconds(1);
        }
        return until.compareTo(RESYNC) < 0 ? until.plusMillis(500) : RESYNC;
    }

    /** Deletes the object and manifest where they are this export's; reports what it left alone. */
    private void deleteObject(InstanceExport e, ObjectStore store, InstanceExportStatus status) {
        if (status.getObject() == null
                || status.getObject().getKey() == null
                || store.config().readOnly()) {
            return;
        }
        List<String> leftAlone =
                new ArrayList<>(ownership(e, store, status.getObject().getKey())
                        .deleteOwn(status.getObject().getSha256()));
        if (status.getVolumes() != null) {
            // the attached volumes' objects this export wrote (attachedVolumes: Include), and only those
            for (IncludedVolume v : status.getVolumes()) {
                if (v.getKey() != null) {
                    leftAlone.addAll(ownership(e, store, v.getKey()).deleteOwn(v.getSha256()));
                }
            }
        }
        if (!leftAlone.isEmpty()) {
            String msg = "Left alone what this export did not write: " + String.join("; ", leftAlone);
            LOG.warn("InstanceExport {}/{}: {}", ns(e), e.getMetadata().getName(), msg);
            events.warning(e, Reasons.NOT_OWNED, msg);
        }
    }

    private static KeyOwnership ownership(InstanceExport e, ObjectStore store, String key) {
        return new KeyOwnership(
                store, key, e.getMetadata().getUid(), e.getMetadata().getName(), ns(e));
    }

    // ------------------------------------------------------------------ failure and deletion

    /** After a permanent failure: no LXD backup and no partial upload may stay behind. */
    private void cleanUpAfterFailure(InstanceExport e) {
        deleteBackupAfterFailure(e);
        InstanceExportStatus status = e.getStatus();
        if (status.getObject() != null && status.getObject().getKey() != null) {
            try {
                ObjectStore store = stores.connect(
                                ns(e), e.getSpec().getStoreRef().getName())
                        .store();
                if (!store.config().readOnly()) {
                    ownership(e, store, status.getObject().getKey()).abortOwnUploads();
                    abortVolumeUploads(e, store);
                    deleteObject(e, store, status);
                }
            } catch (RuntimeException ex) {
                LOG.warn(
                        "InstanceExport {}/{}: cannot clean up the store after a failure: {}",
                        ns(e),
                        e.getMetadata().getName(),
                        Failure.from(ex, "store clean-up").getMessage());
            }
            status.getObject().setSize(null);
            status.getObject().setSha256(null);
            status.setManifestKey(null);
        }
    }

    private void deleteBackupAfterFailure(InstanceExport e) {
        InstanceExportStatus status = e.getStatus();
        if (status.getBackupName() == null) {
            return;
        }
        try {
            LxdApi client = connections
                    .connect(
                            ns(e),
                            e.getSpec().getRemoteRef().getName(),
                            e.getSpec().getProject())
                    .client();
            deleteBackup(client, target(e), status.getBackupName());
            deleteVolumeBackups(e, client);
            status.setBackupName(null);
            status.setBackupOperation(null);
        } catch (RuntimeException ex) {
            Failure f = Failure.from(ex, "deleting LXD backup " + status.getBackupName());
            if (Reasons.REMOTE_NOT_FOUND.equals(f.reason())) {
                status.setBackupName(null);
                return;
            }
            // kept in status: retried at the next reconcile; expires_at removes it at the latest
            LOG.warn(
                    "InstanceExport {}/{}: LXD backup {} not deleted yet: {}",
                    ns(e),
                    e.getMetadata().getName(),
                    status.getBackupName(),
                    f.getMessage());
        }
    }

    private void deleteBackup(LxdApi client, LxdTarget instance, String name) {
        try {
            client.waitFor(client.deleteBackup(instance, name), OPERATION_TIMEOUT);
            metrics.operation(KIND, "deleteBackup", "success", null);
        } catch (LxdException.NotFound ex) {
            // already gone (instance or backup)
        }
    }

    private static void deleteBackupQuietly(LxdApi client, LxdTarget instance, String name) {
        try {
            client.waitFor(client.deleteBackup(instance, name), OPERATION_TIMEOUT);
        } catch (LxdException.NotFound ex) {
            // nothing there
        }
    }

    @Override
    public DeleteControl cleanup(InstanceExport e, Context<InstanceExport> context) {
        String uid = e.getMetadata().getUid();
        if (jobs.running(uid)) {
            // its transfer stops first (an upload at once; an LXD operation when it ends), then the cleanup
            StoppableStream s = active.get(uid);
            if (s != null) {
                s.cancel();
            }
            return DeleteControl.noFinalizerRemoval().rescheduleAfter(TransferJobs.DELETE_POLL.toMillis());
        }
        // the status the ended transfer left is newer than the cached copy: what it created is in it
        jobs.takeEnded(uid).ifPresent(done -> e.setStatus(done.getStatus()));
        InstanceExportStatus status = e.getStatus();
        InstanceExportSpec spec = e.getSpec();
        if (status == null || spec == null) {
            return DeleteControl.defaultDelete();
        }
        List<String> pending = new ArrayList<>();
        Failure last = null;
        if (status.getBackupName() != null
                || status.getPhase() == InstanceExportPhase.CREATING_BACKUP
                || status.getPhase() == InstanceExportPhase.UPLOADING) {
            try {
                LxdApi client = connections
                        .connect(ns(e), spec.getRemoteRef().getName(), spec.getProject())
                        .client();
                deleteBackup(
                        client, target(e), status.getBackupName() != null ? status.getBackupName() : backupName(e));
                deleteVolumeBackups(e, client);
            } catch (RuntimeException ex) {
                Failure f = Failure.from(ex, "deleting the LXD backup");
                if (Reasons.CREDENTIALS_DELETED.equals(f.reason())) {
                    leftBehind(
                            e,
                            f,
                            "LXD backup " + (status.getBackupName() != null ? status.getBackupName() : backupName(e))
                                    + " of " + Targets.describe(target(e)) + " was left on the server");
                } else if (!Reasons.REMOTE_NOT_FOUND.equals(f.reason())) {
                    pending.add("LXD backup");
                    last = f;
                }
            }
        }
        if (status.getObject() != null && status.getObject().getKey() != null) {
            boolean completed = status.getPhase() == InstanceExportPhase.COMPLETED
                    || status.getPhase() == InstanceExportPhase.DELETING;
            boolean delete = !completed || spec.getDeletionPolicy() == DeletionPolicy.DELETE;
            if (delete && completed && ScheduleChildren.retainedBySchedule(e) && Namespaces.terminating(kube, ns(e))) {
                // a backup of a schedule with backupsOnDeletion: Retain outlives its namespace
                delete = false;
                leftBehind(e, "object " + status.getObject().getKey() + " and its manifest were kept in the bucket");
            }
            if (delete && completed) {
                List<InUse.Dependent> readers = ExportReaders.of(kube, e);
                if (!readers.isEmpty()) {
                    return ExportReaders.waitForReaders(kube, e, readers, events, clock);
                }
            }
            try {
                ObjectStore store =
                        stores.connect(ns(e), spec.getStoreRef().getName()).store();
                if (!store.config().readOnly()) {
                    if (!completed) {
                        ownership(e, store, status.getObject().getKey()).abortOwnUploads();
                        abortVolumeUploads(e, store);
                    }
                    if (delete) {
                        deleteObject(e, store, status);
                        if (completed) {
                            events.normal(
                                    e,
                                    "Deleted",
                                    "Deleted " + status.getObject().getKey()
                                            + " and its manifest (deletionPolicy: Delete)");
                        }
                    }
                }
            } catch (RuntimeException ex) {
                Failure f = Failure.from(ex, "deleting the export object");
                if (Reasons.CREDENTIALS_DELETED.equals(f.reason())) {
                    leftBehind(
                            e,
                            f,
                            "object " + status.getObject().getKey() + (delete ? " (deletionPolicy: Delete)" : "")
                                    + " and its manifest were left in the bucket");
                } else if (!Reasons.STORE_NOT_FOUND.equals(f.reason())) {
                    pending.add("object " + status.getObject().getKey());
                    last = f;
                }
            }
        }
        if (pending.isEmpty()) {
            return DeleteControl.defaultDelete();
        }
        int failures = status.getFailures() == null ? 1 : status.getFailures() + 1;
        status.setFailures(failures);
        events.warning(
                e,
                last.reason(),
                "Cannot delete " + String.join(" and ", pending) + " yet (will retry): " + last.getMessage());
        return DeleteControl.noFinalizerRemoval()
                .rescheduleAfter(Backoff.delay(failures, MAX_BACKOFF).toMillis());
    }

    /** The namespace is being deleted and the export belongs to a schedule that retains its backups. */
    private void leftBehind(InstanceExport e, String what) {
        String msg = what + ": namespace " + ns(e) + " is being deleted and schedule "
                + ScheduleReconcilerBase.label(e, ScheduleReconcilerBase.LABEL_SCHEDULE)
                + " retains its backups (backupsOnDeletion: Retain)";
        LOG.info("InstanceExport {}/{}: {}", ns(e), e.getMetadata().getName(), msg);
        events.normal(e, "Retained", msg);
    }

    /** The namespace is being deleted and the server or bucket cannot be reached any more: say what stays there. */
    private void leftBehind(InstanceExport e, Failure f, String what) {
        String msg = what + ": " + f.getMessage();
        LOG.warn("InstanceExport {}/{}: {}", ns(e), e.getMetadata().getName(), msg);
        events.warning(e, f.reason(), msg);
    }

    /** Stops running transfers at shutdown; their exports resume from the recorded intent. */
    @Override
    public void close() {
        closing = true;
        active.values().forEach(StoppableStream::cancel);
    }

    /** How often an expired export used by a restore looks again. */
    static final Duration READERS_RECHECK = Duration.ofSeconds(10);

    private static Instant parse(String t) {
        return t == null ? null : Instant.parse(t);
    }

    static LxdTarget target(InstanceExport e) {
        return Targets.of(e.getSpec().getInstance(), e.getSpec().getVolume());
    }

    /** The instance name, or pool/volume, for messages; safe on an invalid spec. */
    static String label(InstanceExport e) {
        if (e.getSpec() == null) {
            return "?";
        }
        return e.getSpec().getInstance() != null
                ? e.getSpec().getInstance()
                : String.valueOf(e.getSpec().getVolume());
    }

    static String ns(InstanceExport e) {
        return e.getMetadata().getNamespace();
    }

    static long generation(InstanceExport e) {
        return e.getMetadata().getGeneration() == null ? 0 : e.getMetadata().getGeneration();
    }

    /**
     * Confirms an upload with the store, independently of what the upload itself reported, without
     * reading the object back: its size, the ETag the upload checked against the MD5s of what was sent
     * ({@link UploadResult#verification} says whether the store's ETags allowed that), and for
     * single-PUT objects the SHA-256 in their metadata. A mismatching object is removed (best effort:
     * the mismatch is the outcome, a failed removal only leaves what the retry overwrites) and the
     * upload is retried.
     *
     * @param total the size LXD announced, or -1
     */
    private void verifyStored(InstanceExport e, ObjectStore store, String key, UploadResult result, long total)
            throws IOException {
        io.lxdbackup.operator.store.ObjectInfo head = store.head(key)
                .orElseThrow(() -> Failure.retryable(
                        Reasons.UPLOAD_FAILED, "the store does not show " + key + " after the upload; retrying"));
        boolean sizeOk = head.size() == result.size() && (total < 0 || total == result.size());
        boolean etagOk = result.etag() == null || result.etag().equals(head.etag());
        boolean shaOk = head.sha256() == null || result.sha256().equals(head.sha256());
        if (sizeOk && etagOk && shaOk) {
            return;
        }
        Cleanup.bestEffort(
                "removing the mismatching object " + key,
                () -> {
                    store.delete(key);
                    return null;
                },
                null,
                f -> LOG.warn(
                        "InstanceExport {}/{}: {} not removed yet: {}",
                        ns(e),
                        e.getMetadata().getName(),
                        key,
                        f.getMessage()));
        throw Failure.retryable(
                Reasons.CHECKSUM_MISMATCH,
                "the stored object " + key + " does not match what was read from LXD (size " + head.size() + " vs "
                        + result.size() + (total < 0 ? "" : "/" + total) + ", ETag " + head.etag() + " vs "
                        + result.etag() + ", sha256 " + head.sha256() + " vs " + result.sha256()
                        + "); it was removed and the upload is retried");
    }
    /** The manifest written beside an object this export uploaded (the instance's, or a volume's). */
    private BackupManifest manifest(
            InstanceExport e,
            LxdApi client,
            ServerInfo server,
            String key,
            UploadResult result,
            String instance,
            List<String> snapshots,
            BackupManifest.Volume volume,
            List<BackupManifest.AttachedVolume> volumes) {
        InstanceExportSpec spec = e.getSpec();
        return new BackupManifest(
                BackupManifest.FORMAT_VERSION,
                key,
                instance,
                spec.getRemoteRef().getName(),
                client.project(),
                server.serverVersion(),
                server.serverName(),
                e.getStatus().getCompression().value(),
                result.size(),
                result.sha256(),
                Boolean.TRUE.equals(spec.getInstanceOnly()),
                Boolean.TRUE.equals(spec.getOptimizedStorage()),
                snapshots,
                parse(e.getStatus().getStartTime()),
                clock.instant(),
                e.getMetadata().getName(),
                ns(e),
                e.getMetadata().getUid(),
                volume,
                volumes);
    }
}
