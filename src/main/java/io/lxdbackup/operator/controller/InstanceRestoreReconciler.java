package io.lxdbackup.operator.controller;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.IndexedResourceCache;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.ExistingInstancePolicy;
import io.lxdbackup.operator.api.v1alpha1.InstanceExport;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestore;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestorePhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestoreSpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestoreStatus;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshot;
import io.lxdbackup.operator.api.v1alpha1.RestoreSource;
import io.lxdbackup.operator.lxd.Capabilities;
import io.lxdbackup.operator.lxd.Instance;
import io.lxdbackup.operator.lxd.LxdApi;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.lxd.LxdException;
import io.lxdbackup.operator.lxd.Snapshot;
import io.lxdbackup.operator.lxd.StorageVolume;
import io.lxdbackup.operator.metrics.OperatorMetrics;
import io.lxdbackup.operator.store.BackupManifest;
import io.lxdbackup.operator.store.ObjectInfo;
import io.lxdbackup.operator.store.ObjectKeys;
import io.lxdbackup.operator.store.ObjectStore;
import io.lxdbackup.operator.store.StoreException;
import io.lxdbackup.operator.transfer.TransferLimiter;
import io.lxdbackup.operator.transfer.TransferLimits;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restores an instance: in place to one of its snapshots, or by importing an export from
 * object storage (the object is streamed from S3 into LXD's import endpoint and its SHA-256
 * checked on the way; nothing is staged on the operator's disk).
 *
 * <p>Safety: every import goes to a staging instance named after the restore
 * ({@link #stagingName}, {@link #restoreId}), so whatever exists under that name was made by this restore. Only
 * after the import operation succeeded with every byte verified is the staging instance marked
 * ({@link #OWNER_KEY}) and renamed to the target. With {@code existingInstance: Fail}
 * (default) an existing target stops the restore before any byte moves, and is checked again
 * right before the rename. With {@code Replace} the existing instance is renamed aside
 * ({@link #asideName}), the import renamed in, and only then the old one deleted. Each step is
 * derived from what exists on the server, so a restart finishes or undoes an interrupted swap,
 * and an unmarked staging instance (an interrupted import) is removed and the import redone.
 */
@ControllerConfiguration(name = "instancerestore")
public class InstanceRestoreReconciler implements Reconciler<InstanceRestore>, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(InstanceRestoreReconciler.class);
    static final String KIND = "InstanceRestore";
    static final Duration TIMEOUT = Duration.ofHours(6);
    /** Config key on an imported instance: the staging name of the restore that made it (marks a verified import). */
    static final String OWNER_KEY = "user.lxdbackup.restore";
    /** LXD's rule for instance names, checked before anything is transferred. */
    static final Pattern VALID_NAME = Pattern.compile("[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");

    private final KubernetesClient kube;
    private final RemoteConnections remotes;
    private final StoreConnections stores;
    private final EventRecorder events;
    private final OperatorMetrics metrics;
    private final Clock clock;
    private final ObjectImport imports = new ObjectImport();
    private volatile boolean closing;
    private final Transfers transfers;
    /** Imports running on the transfer threads, by resource uid. */
    private final TransferJobs<InstanceRestore> jobs;

    public InstanceRestoreReconciler(
            KubernetesClient kube,
            RemoteConnections remotes,
            StoreConnections stores,
            EventRecorder events,
            OperatorMetrics metrics,
            Clock clock) {
        this(kube, remotes, stores, events, metrics, clock, new TransferLimiter(TransferLimits.defaults(), clock));
    }

    public InstanceRestoreReconciler(
            KubernetesClient kube,
            RemoteConnections remotes,
            StoreConnections stores,
            EventRecorder events,
            OperatorMetrics metrics,
            Clock clock,
            TransferLimiter transfers) {
        this.transfers = new Transfers(transfers);
        this.jobs = new TransferJobs<>(transfers.executor());
        this.kube = kube;
        this.remotes = remotes;
        this.stores = stores;
        this.events = events;
        this.metrics = metrics;
        this.clock = clock;
    }

    /** Where the bytes of an import come from, and what they must hash to. */
    record ObjectSource(ObjectStore store, String key, String sha256, long size) {}

    @Override
    public List<EventSource<?, InstanceRestore>> prepareEventSources(EventSourceContext<InstanceRestore> context) {
        return List.of(jobs.eventSource());
    }

    @Override
    public UpdateControl<InstanceRestore> reconcile(InstanceRestore r, Context<InstanceRestore> context) {
        Optional<UpdateControl<InstanceRestore>> importing = jobs.poll(r);
        if (importing.isPresent()) {
            // running: nothing to do here; ended: its outcome, as if this reconcile had run it
            return importing.get();
        }
        InstanceRestoreStatus status = r.getStatus() != null ? r.getStatus() : new InstanceRestoreStatus();
        r.setStatus(status);
        long gen = r.getMetadata().getGeneration() == null ? 0 : r.getMetadata().getGeneration();
        if (status.getPhase() == InstanceRestorePhase.COMPLETED) {
            return UpdateControl.noUpdate(); // a restore happens once; a new one is a new object
        }
        if (status.getPhase() == InstanceRestorePhase.FAILED
                && Long.valueOf(gen).equals(status.getObservedGeneration())) {
            return UpdateControl.noUpdate(); // failed for a reason the user must fix; the spec is immutable
        }
        long t0 = System.nanoTime();
        TransferLimiter.Permit permit = null;
        try {
            InstanceRestoreSpec spec = r.getSpec();
            validate(spec);
            LxdApi client = remotes.connect(ns(r), spec.getRemoteRef().getName(), spec.getProject())
                    .client();
            RestoreSource src = spec.getSource();
            boolean fromSnapshot = src.getSnapshot() != null || src.getSnapshotRef() != null;
            if (spec.getVolume() != null && fromSnapshot) {
                restoreVolumeSnapshot(r, client);
            } else if (fromSnapshot) {
                restoreSnapshot(r, client);
            } else {
                ObjectSource object = resolveObject(r);
                boolean volume = spec.getVolume() != null;
                if (volume) {
                    volumeRestore(() -> false).requireVolumeExport(r, object);
                }
                // an import is a transfer: it waits for a slot like exports and relay copies do, and
                // runs on the transfer threads; a later reconcile returns its outcome
                permit = transfers.admit(
                        r.getMetadata().getUid(),
                        KIND,
                        ns(r),
                        spec.getRemoteRef().getName(),
                        Transfers.STREAM_MEMORY);
                TransferLimiter.Permit held = permit;
                BooleanSupplier deleted = deleted(r, context);
                jobs.start(r, () -> {
                    try (held) {
                        String note = volume
                                ? importVolume(r, client, object, deleted)
                                : importObject(r, client, object, deleted);
                        if (deleted.getAsBoolean()) {
                            return gone(r, "finished");
                        }
                        return restored(r, note, t0);
                    } catch (Exception e) {
                        if (deleted.getAsBoolean()) {
                            return gone(r, "stopped (" + e.getMessage() + ")");
                        }
                        return failed(r, e, t0);
                    }
                });
                permit = null;
                return UpdateControl.<InstanceRestore>noUpdate().rescheduleAfter(TransferJobs.RUNNING_POLL);
            }
            return restored(r, null, t0);
        } catch (Exception e) {
            return failed(r, e, t0);
        } finally {
            if (permit != null) {
                permit.close();
            }
        }
    }

    /**
     * Whether {@code r} is gone (deleted, or replaced by another object of its name), as the
     * informer sees it: an import running on the transfer threads asks this at its reads and stops.
     */
    private static BooleanSupplier deleted(InstanceRestore r, Context<InstanceRestore> context) {
        IndexedResourceCache<InstanceRestore> cache;
        try {
            cache = context == null ? null : context.getPrimaryCache();
        } catch (RuntimeException e) {
            cache = null;
        }
        if (cache == null) {
            return () -> false;
        }
        IndexedResourceCache<InstanceRestore> c = cache;
        ResourceID id = ResourceID.fromResource(r);
        String uid = r.getMetadata().getUid();
        return () -> c.get(id).map(x -> !uid.equals(x.getMetadata().getUid())).orElse(true);
    }

    /**
     * The import of a deleted restore has ended: stopped at a read (what it imported so far was
     * removed, as after a failed import) or finished before it noticed. Nothing is written.
     */
    private UpdateControl<InstanceRestore> gone(InstanceRestore r, String how) {
        jobs.forget(r.getMetadata().getUid());
        LOG.info(
                "InstanceRestore {}/{} was deleted while importing; import {}",
                ns(r),
                r.getMetadata().getName(),
                how);
        return UpdateControl.noUpdate();
    }

    /** Declares the restore complete; {@code note} (may be null) is a warning to add. */
    private UpdateControl<InstanceRestore> restored(InstanceRestore r, String note, long t0) {
        InstanceRestoreSpec spec = r.getSpec();
        InstanceRestoreStatus status = r.getStatus();
        long gen = r.getMetadata().getGeneration() == null ? 0 : r.getMetadata().getGeneration();
        status.setPhase(InstanceRestorePhase.COMPLETED);
        status.setRestoredAt(Conditions.timestamp(clock.instant()));
        Conditions.set(
                status,
                gen,
                clock,
                Condition.COMPLETE,
                true,
                Reasons.RESTORED,
                restoredMessage(spec, status) + (note == null ? "" : "; " + note));
        if (note != null) {
            events.warning(r, Reasons.RESTORED, note);
        }
        metrics.operation(KIND, "restore", "success", Duration.ofNanos(System.nanoTime() - t0));
        metrics.lastSuccess(KIND, ns(r), spec.getRemoteRef().getName(), label(r), clock.instant());
        events.normal(r, "Restored", restoredMessage(spec, status));
        return UpdateControl.patchStatus(r);
    }

    /** A reconcile's or an import's failure (or wait) as the status and the next attempt. */
    private UpdateControl<InstanceRestore> failed(InstanceRestore r, Exception failure, long t0) {
        InstanceRestoreStatus status = r.getStatus();
        long gen = r.getMetadata().getGeneration() == null ? 0 : r.getMetadata().getGeneration();
        try {
            throw failure;
        } catch (Transfers.Queued q) {
            boolean changed = Transfers.markQueued(status, gen, clock, Condition.COMPLETE, q.getMessage());
            return (changed ? UpdateControl.patchStatus(r) : UpdateControl.<InstanceRestore>noUpdate())
                    .rescheduleAfter(Transfers.nextPoll());
        } catch (Exception e) {
            if (closing) {
                // stopped by a shutdown, not failed: the next operator resumes from what exists on the server
                LOG.info(
                        "InstanceRestore {}/{} interrupted by shutdown",
                        ns(r),
                        r.getMetadata().getName());
                return UpdateControl.noUpdate();
            }
            Failure f = Failure.from(unwrap(e), "restore of " + label(r));
            metrics.operation(KIND, "restore", f.reason(), Duration.ofNanos(System.nanoTime() - t0));
            if (!f.isTransient() && status.getPhase() != InstanceRestorePhase.FAILED) {
                metrics.failure(
                        KIND,
                        ns(r),
                        r.getSpec() == null || r.getSpec().getRemoteRef() == null
                                ? null
                                : r.getSpec().getRemoteRef().getName(),
                        r.getSpec() == null ? null : label(r),
                        clock.instant());
            }
            status.setPhase(f.isTransient() ? InstanceRestorePhase.RUNNING : InstanceRestorePhase.FAILED);
            Conditions.set(status, gen, clock, Condition.COMPLETE, false, f.reason(), f.getMessage());
            int failures = Conditions.countFailure(status);
            events.warning(r, f.reason(), f.getMessage());
            LOG.warn("InstanceRestore {}/{}: {}: {}", ns(r), r.getMetadata().getName(), f.reason(), f.getMessage());
            if (f.isTransient()) {
                return UpdateControl.patchStatus(r).rescheduleAfter(Backoff.delay(failures, Duration.ofMinutes(5)));
            }
            return UpdateControl.patchStatus(r);
        }
    }

    static void validate(InstanceRestoreSpec spec) {
        if (spec == null || spec.getRemoteRef() == null || spec.getRemoteRef().getName() == null) {
            throw Failure.permanent(Reasons.INVALID_SPEC, "spec.remoteRef.name is required");
        }
        if (Targets.of(spec.getInstance(), spec.getVolume()).isVolume()) {
            if (Boolean.TRUE.equals(spec.getStateful())
                    || spec.getStoragePool() != null
                    || (spec.getDevices() != null && !spec.getDevices().isEmpty())) {
                throw Failure.permanent(
                        Reasons.INVALID_SPEC,
                        "stateful, storagePool and devices apply to instances only; "
                                + "a volume is imported into spec.volume.pool");
            }
        } else if (!VALID_NAME.matcher(spec.getInstance()).matches()) {
            throw Failure.permanent(
                    Reasons.INVALID_SPEC,
                    "spec.instance '" + spec.getInstance() + "' is not a valid LXD instance name: "
                            + "1 to 63 letters, digits and hyphens, starting with a letter and not ending with a hyphen");
        }
        RestoreSource s = spec.getSource();
        if (spec.getDiskVolumesMode() != null
                && (spec.getVolume() != null || s == null || (s.getSnapshot() == null && s.getSnapshotRef() == null))) {
            throw Failure.permanent(
                    Reasons.INVALID_SPEC,
                    "diskVolumesMode applies to restoring an instance to one of its snapshots only; remove it");
        }
        int n = s == null
                ? 0
                : (s.getSnapshot() != null ? 1 : 0)
                        + (s.getSnapshotRef() != null ? 1 : 0)
                        + (s.getExportRef() != null ? 1 : 0)
                        + (s.getObject() != null ? 1 : 0);
        if (n != 1) {
            throw Failure.permanent(
                    Reasons.INVALID_SPEC,
                    "spec.source must name exactly one of snapshot, snapshotRef, exportRef, object");
        }
    }

    // ------------------------------------------------------------------ volume restore

    private VolumeRestore volumeRestore(BooleanSupplier deleted) {
        return new VolumeRestore(kube, remotes, imports.streams(), () -> closing, deleted, TIMEOUT);
    }

    /** A custom volume to one of its snapshots: see {@link VolumeRestore}. */
    private void restoreVolumeSnapshot(InstanceRestore r, LxdApi client) {
        volumeRestore(() -> false).restoreSnapshot(r, client, staging -> markRunning(r, staging));
    }

    /** A custom volume from an export object, on a transfer thread: see {@link VolumeRestore}. */
    private String importVolume(InstanceRestore r, LxdApi client, ObjectSource os, BooleanSupplier deleted)
            throws IOException {
        volumeRestore(deleted).importObject(r, client, os, restoreId(r), staging -> markRunning(r, staging));
        InstanceRestoreStatus status = r.getStatus();
        status.setObjectKey(os.key());
        status.setSha256(os.sha256());
        status.setStagingInstance(null);
        status.setBytesDone(os.size());
        return null;
    }

    private static String restoredMessage(InstanceRestoreSpec spec, InstanceRestoreStatus status) {
        if (spec.getVolume() != null) {
            return "Volume " + spec.getVolume() + " restored";
        }
        String vols = status.getVolumes() == null || status.getVolumes().isEmpty()
                ? ""
                : " with its volume(s) "
                        + status.getVolumes().stream()
                                .map(v -> v.getPool() + "/"
                                        + (v.getRestoredName() != null ? v.getRestoredName() : v.getName()))
                                .collect(java.util.stream.Collectors.joining(", "));
        return "Instance " + spec.getInstance() + " restored (" + status.getInstanceState() + ")" + vols;
    }

    /** The instance name, or pool/volume, for messages; safe on an invalid spec. */
    static String label(InstanceRestore r) {
        if (r.getSpec() == null) {
            return "?";
        }
        return r.getSpec().getInstance() != null
                ? r.getSpec().getInstance()
                : String.valueOf(r.getSpec().getVolume());
    }

    // ------------------------------------------------------------------ snapshot restore

    private void restoreSnapshot(InstanceRestore r, LxdApi client) {
        InstanceRestoreSpec spec = r.getSpec();
        String diskVolumes = spec.getDiskVolumesMode() == null
                ? null
                : spec.getDiskVolumesMode().value();
        if (diskVolumes != null && !"root".equals(diskVolumes)) {
            // refused before anything is read or changed, as the server would refuse the field
            client.server()
                    .require(Capabilities.EXT_DISK_VOLUMES_MODE, "restoring with diskVolumesMode " + diskVolumes);
        }
        String snapshot;
        java.util.List<io.lxdbackup.operator.api.v1alpha1.IncludedVolume> volumes = null;
        if (spec.getSource().getSnapshot() != null) {
            snapshot = spec.getSource().getSnapshot().getName();
        } else {
            String ref = spec.getSource().getSnapshotRef().getName();
            InstanceSnapshot is = kube.resources(InstanceSnapshot.class)
                    .inNamespace(ns(r))
                    .withName(ref)
                    .get();
            if (is == null) {
                throw Failure.permanent(
                        Reasons.SOURCE_NOT_FOUND, "InstanceSnapshot " + ref + " does not exist in namespace " + ns(r));
            }
            if (is.getStatus() == null
                    || is.getStatus().getSnapshotName() == null
                    || !Boolean.TRUE.equals(is.getStatus().getReadyToUse())) {
                throw Failure.retryable(Reasons.SOURCE_NOT_FOUND, "InstanceSnapshot " + ref + " is not ready yet");
            }
            if (!spec.getInstance().equals(is.getSpec().getInstance())) {
                throw Failure.permanent(
                        Reasons.INVALID_SPEC,
                        "InstanceSnapshot " + ref + " is a snapshot of "
                                + is.getSpec().getInstance() + ", not of " + spec.getInstance()
                                + "; a snapshot restores its own instance (use an export to restore elsewhere)");
            }
            String snapRemote = is.getSpec().getRemoteRef() == null
                    ? null
                    : is.getSpec().getRemoteRef().getName();
            if (!spec.getRemoteRef().getName().equals(snapRemote)) {
                throw Failure.permanent(
                        Reasons.INVALID_SPEC,
                        "InstanceSnapshot " + ref + " is on remote " + snapRemote + ", not on "
                                + spec.getRemoteRef().getName()
                                + "; set spec.remoteRef to the snapshot's remote (use an export to restore onto another server)");
            }
            String snapProject = remotes.connect(ns(r), snapRemote, is.getSpec().getProject())
                    .client()
                    .project();
            if (!snapProject.equals(client.project())) {
                throw Failure.permanent(
                        Reasons.INVALID_SPEC,
                        "InstanceSnapshot " + ref + " is in project " + snapProject + ", not in " + client.project()
                                + "; set spec.project to the snapshot's project (use an export to restore into another project)");
            }
            snapshot = is.getStatus().getSnapshotName();
            volumes = is.getStatus().getVolumes();
        }
        if (!client.instanceExists(spec.getInstance())) {
            throw Failure.permanent(
                    Reasons.INSTANCE_NOT_FOUND,
                    "instance " + spec.getInstance() + " does not exist in project " + client.project());
        }
        Snapshot snap;
        try {
            snap = client.getSnapshot(spec.getInstance(), snapshot);
        } catch (LxdException.NotFound e) {
            throw Failure.permanent(
                    Reasons.SOURCE_NOT_FOUND,
                    "snapshot " + snapshot + " of instance " + spec.getInstance() + " does not exist on the server");
        }
        if (Boolean.TRUE.equals(spec.getStateful()) && !snap.stateful()) {
            throw Failure.permanent(
                    Reasons.INVALID_SPEC,
                    "snapshot " + snapshot + " of instance " + spec.getInstance()
                            + " holds no running state (it was taken without stateful); set stateful: false to restore its disk state");
        }
        if (volumes != null && !volumes.isEmpty()) {
            for (var v : volumes) {
                if (!client.snapshotExists(
                        new io.lxdbackup.operator.lxd.VolumeTarget(v.getPool(), v.getName()), v.getSnapshotName())) {
                    throw Failure.permanent(
                            Reasons.SOURCE_NOT_FOUND,
                            "snapshot " + v.getSnapshotName() + " of volume " + v.getPool() + "/" + v.getName()
                                    + " (attached as " + v.getDevice() + ", taken with " + snapshot
                                    + ") does not exist on the server; nothing was restored");
                }
            }
        }
        markRunning(r, null);
        boolean restart = false;
        if (volumes != null && !volumes.isEmpty()) {
            // LXD restores a custom volume only while no running instance uses it: the instance is
            // stopped, its volumes restored, then the instance, and started again if it was running
            if (client.getInstance(spec.getInstance()).isRunning()) {
                client.waitFor(client.changeState(spec.getInstance(), "stop", true, 60), TIMEOUT);
                restart = true;
            }
            for (var v : volumes) {
                client.waitFor(
                        client.restoreVolumeSnapshot(
                                new io.lxdbackup.operator.lxd.VolumeTarget(v.getPool(), v.getName()),
                                v.getSnapshotName()),
                        TIMEOUT);
            }
            r.getStatus().setVolumes(volumes);
        }
        client.waitFor(
                client.restoreSnapshot(
                        spec.getInstance(), snapshot, Boolean.TRUE.equals(spec.getStateful()), diskVolumes),
                TIMEOUT);
        if (restart && !client.getInstance(spec.getInstance()).isRunning()) {
            client.waitFor(client.changeState(spec.getInstance(), "start", false, 60), TIMEOUT);
        }
        r.getStatus().setInstanceState(client.getInstance(spec.getInstance()).status());
    }

    // ------------------------------------------------------------------ import

    private ObjectSource resolveObject(InstanceRestore r) {
        RestoreSource src = r.getSpec().getSource();
        boolean verify = r.getSpec().getVerifyChecksum() == null || r.getSpec().getVerifyChecksum();
        String storeName;
        String key;
        String sha = null;
        Long size = null;
        if (src.getExportRef() != null) {
            String name = src.getExportRef().getName();
            InstanceExport ex = kube.resources(InstanceExport.class)
                    .inNamespace(ns(r))
                    .withName(name)
                    .get();
            if (ex == null) {
                throw Failure.permanent(
                        Reasons.SOURCE_NOT_FOUND, "InstanceExport " + name + " does not exist in namespace " + ns(r));
            }
            if (ex.getStatus() == null
                    || ex.getStatus().getPhase() != InstanceExportPhase.COMPLETED
                    || ex.getStatus().getObject() == null) {
                throw Failure.retryable(Reasons.EXPORT_NOT_READY, "InstanceExport " + name + " has not completed yet");
            }
            storeName = ex.getSpec().getStoreRef().getName();
            key = ex.getStatus().getObject().getKey();
            sha = ex.getStatus().getObject().getSha256();
            size = ex.getStatus().getObject().getSize();
        } else {
            if (src.getObject().getStoreRef() == null
                    || src.getObject().getKey() == null
                    || src.getObject().getKey().isBlank()) {
                throw Failure.permanent(Reasons.INVALID_SPEC, "source.object needs storeRef.name and key");
            }
            storeName = src.getObject().getStoreRef().getName();
            key = src.getObject().getKey();
        }
        StoreConnections.Connection conn = stores.connect(ns(r), storeName);
        if (src.getExportRef() == null) {
            Confinement.checkKey(conn.backupStore(), key);
        }
        ObjectStore store = conn.store();
        Optional<ObjectInfo> head = store.head(key);
        if (head.isEmpty()) {
            throw Failure.permanent(
                    Reasons.OBJECT_NOT_FOUND, "object " + key + " does not exist in BackupStore " + storeName);
        }
        if (sha == null) {
            // the manifest beside the object is the record of what was written
            try {
                BackupManifest m = BackupManifest.fromJson(store.getSmall(ObjectKeys.manifestKey(key)));
                sha = m.sha256();
                size = m.size();
            } catch (StoreException e) {
                if (e.reason() != StoreException.Reason.OBJECT_NOT_FOUND) {
                    throw e;
                }
                sha = head.get().sha256();
                size = head.get().size();
            }
        }
        if (verify && (sha == null || sha.isBlank())) {
            throw Failure.permanent(
                    Reasons.CHECKSUM_UNAVAILABLE,
                    "object " + key + " has no manifest and no sha256 metadata to verify "
                            + "against; set verifyChecksum: false to import it unverified");
        }
        if (size != null && size != head.get().size()) {
            throw Failure.permanent(
                    Reasons.CHECKSUM_MISMATCH,
                    "object " + key + " is " + head.get().size() + " bytes but its manifest says " + size
                            + "; the object was changed or truncated");
        }
        return new ObjectSource(store, key, verify ? sha : null, head.get().size());
    }

    /** @return a note for the user when the restore succeeded but the replaced instance could not be deleted */
    private String importObject(InstanceRestore r, LxdApi client, ObjectSource src, BooleanSupplier deleted)
            throws IOException {
        InstanceRestoreSpec spec = r.getSpec();
        InstanceRestoreStatus status = r.getStatus();
        boolean replace = spec.getExistingInstance() == ExistingInstancePolicy.REPLACE;
        String id = restoreId(r);
        String target = spec.getInstance();
        String staging = stagingName(id);
        String aside = asideName(id);
        if (spec.getDevices() != null && !spec.getDevices().isEmpty()) {
            client.server().require(Capabilities.EXT_IMPORT_DEVICES, "devices overrides on import");
        }
        String pool = blankToNull(spec.getStoragePool());
        if (pool != null && !client.storagePoolExists(pool)) {
            throw Failure.permanent(
                    Reasons.NOT_FOUND,
                    "storage pool " + pool + " does not exist on remote "
                            + spec.getRemoteRef().getName()
                            + "; set spec.storagePool to an existing pool, or leave it empty to use the pool recorded in the backup");
        }
        // the custom volumes exported with the instance (attachedVolumes: Include) come first, so
        // that the instance's disk devices find them
        Instance existing = find(client, target);
        if (existing != null && !replace && !isOurs(existing, id) && find(client, staging) == null) {
            // refused before any volume or byte moves
            throw Failure.permanent(
                    Reasons.ALREADY_EXISTS,
                    "instance " + target + " already exists; delete it first, restore under "
                            + "another instance name, or set existingInstance: Replace");
        }
        restoreAttachedVolumes(r, client, src, id, deleted);
        // An import an earlier attempt (or a stopped operator) started may still be running on the
        // server: let it end before looking at what exists.
        awaitOperationsOn(client, staging);
        Instance t = find(client, target);
        Instance s = find(client, staging);
        Instance a = find(client, aside);
        if (t != null && isOurs(t, id)) {
            // the swap finished before a restart: only the old copy may be left to remove
            if (s != null) {
                removeStaging(client, staging);
            }
            repointDevices(client, target, status.getVolumes());
            String note = a == null ? null : deleteAside(client, aside);
            finish(status, client.getInstance(target), src);
            return note;
        }
        if (s != null && !isOurs(s, id)) {
            // an import that never finished (or whose checksum was never confirmed): start again
            removeStaging(client, staging);
            s = null;
        }
        if (a != null && s == null) {
            // the old instance was moved aside but there is no verified import to put in its place
            if (t != null) {
                throw Failure.permanent(
                        Reasons.ALREADY_EXISTS,
                        "instance " + target + " was created while the restore was swapping; "
                                + "the previous instance is kept as " + aside
                                + ". Rename or delete one of them, then create a new InstanceRestore");
            }
            client.waitFor(client.renameInstance(aside, target), TIMEOUT);
            LOG.info("renamed {} back to {}", aside, target);
            t = find(client, target);
            a = null;
        }
        if (s == null) {
            if (t != null && !replace) {
                throw Failure.permanent(
                        Reasons.ALREADY_EXISTS,
                        "instance " + target + " already exists; delete it first, restore under "
                                + "another instance name, or set existingInstance: Replace");
            }
            status.setObjectKey(src.key());
            status.setSha256(src.sha256());
            markRunning(r, staging);
            transfer(client, src, staging, spec, deleted);
        }
        if (find(client, staging) != null) {
            repointDevices(client, staging, status.getVolumes());
        }
        String note = swapIn(client, staging, target, aside, replace, a != null);
        finish(status, client.getInstance(target), src);
        return note;
    }

    /**
     * The custom volumes an export of the instance included (listed in its manifest), each
     * imported from its own object before the instance. A volume keeps its name unless a volume
     * of that name exists that this restore did not create: then it is imported as
     * {@code <name>-<first 8 hex of the restore id>}, and the instance's disk device is pointed at
     * it. An existing volume is never replaced or changed. The names are recorded in the status
     * before the first import, so a restart goes on with the same ones.
     */
    private void restoreAttachedVolumes(
            InstanceRestore r, LxdApi client, ObjectSource src, String id, BooleanSupplier deleted) throws IOException {
        InstanceRestoreStatus status = r.getStatus();
        if (status.getVolumes() == null) {
            BackupManifest m;
            try {
                m = BackupManifest.fromJson(src.store().getSmall(ObjectKeys.manifestKey(src.key())));
            } catch (StoreException e) {
                if (e.reason() != StoreException.Reason.OBJECT_NOT_FOUND) {
                    throw e;
                }
                return; // no manifest: nothing says volumes were exported with it
            } catch (IllegalArgumentException e) {
                return;
            }
            if (m.volumes() == null || m.volumes().isEmpty()) {
                return;
            }
            java.util.List<io.lxdbackup.operator.api.v1alpha1.IncludedVolume> plan = new java.util.ArrayList<>();
            for (int i = 0; i < m.volumes().size(); i++) {
                BackupManifest.AttachedVolume av = m.volumes().get(i);
                var v = new io.lxdbackup.operator.api.v1alpha1.IncludedVolume(
                        av.device(), av.pool(), av.name(), av.path());
                v.setKey(av.key());
                v.setSha256(av.sha256());
                v.setSize(av.size());
                StorageVolume existing = VolumeRestore.find(client, av.pool(), av.name());
                String staging = volumeStagingName(id, i);
                v.setRestoredName(
                        existing == null || VolumeRestore.isOurs(existing, staging)
                                ? av.name()
                                : av.name() + "-" + id.substring(0, 8));
                plan.add(v);
            }
            status.setVolumes(plan);
            markRunning(r, status.getStagingInstance() != null ? status.getStagingInstance() : stagingName(id));
        }
        boolean verify = r.getSpec().getVerifyChecksum() == null || r.getSpec().getVerifyChecksum();
        VolumeRestore vr = volumeRestore(deleted);
        for (int i = 0; i < status.getVolumes().size(); i++) {
            var v = status.getVolumes().get(i);
            if (Boolean.TRUE.equals(v.getDone())) {
                continue;
            }
            if (verify && (v.getSha256() == null || v.getSha256().isBlank())) {
                throw Failure.permanent(
                        Reasons.CHECKSUM_UNAVAILABLE,
                        "the manifest records no sha256 for volume object " + v.getKey()
                                + "; set verifyChecksum: false to import it unverified");
            }
            ObjectSource os = new ObjectSource(
                    src.store(), v.getKey(), verify ? v.getSha256() : null, v.getSize() == null ? -1 : v.getSize());
            if (src.store().head(v.getKey()).isEmpty()) {
                throw Failure.permanent(
                        Reasons.OBJECT_NOT_FOUND,
                        "object " + v.getKey() + " of volume " + v.getPool() + "/" + v.getName()
                                + " (listed in the manifest of " + src.key() + ") does not exist in the store");
            }
            vr.importInto(
                    client,
                    os,
                    new io.lxdbackup.operator.lxd.VolumeTarget(v.getPool(), v.getRestoredName()),
                    volumeStagingName(id, i),
                    () -> {});
            v.setDone(true);
            StatusWriter.patchStatus(kube, r);
            events.normal(
                    r,
                    "VolumeRestored",
                    "Restored volume " + v.getPool() + "/" + v.getRestoredName() + " from " + v.getKey()
                            + (v.getRestoredName().equals(v.getName())
                                    ? ""
                                    : " (volume " + v.getName() + " exists and was left alone)"));
        }
    }

    /** The staging volume of the i-th attached volume of an import (53 characters). */
    static String volumeStagingName(String restoreId, int i) {
        return stagingName(restoreId) + "-v" + i;
    }

    /**
     * Points the instance's disk devices that attach a volume restored under another name at that
     * name (a device that a profile defines is overridden by an instance-local one). Devices that
     * already point elsewhere (spec.devices, or done before a restart) are left as they are.
     */
    private static void repointDevices(
            LxdApi client, String instance, java.util.List<io.lxdbackup.operator.api.v1alpha1.IncludedVolume> vols) {
        if (vols == null || vols.stream().allMatch(v -> v.getName().equals(v.getRestoredName()))) {
            return;
        }
        Instance i = client.getInstance(instance);
        Map<String, Map<String, String>> devices =
                i.expandedDevices() == null || i.expandedDevices().isEmpty() ? i.devices() : i.expandedDevices();
        Map<String, Map<String, String>> set = new java.util.LinkedHashMap<>();
        for (var v : vols) {
            if (v.getName().equals(v.getRestoredName()) || devices == null) {
                continue;
            }
            Map<String, String> d = devices.get(v.getDevice());
            if (d != null
                    && v.getPool().equals(d.get("pool"))
                    && (v.getName().equals(d.get("source")) || ("custom/" + v.getName()).equals(d.get("source")))) {
                Map<String, String> copy = new java.util.LinkedHashMap<>(d);
                copy.put("source", v.getRestoredName());
                set.put(v.getDevice(), copy);
            }
        }
        if (!set.isEmpty()) {
            client.setInstanceDevices(instance, set);
        }
    }

    /**
     * Streams the object into LXD as {@code staging}, then marks the new instance as this
     * restore's: the mark is written only after the import operation succeeded with every byte
     * verified, so an unmarked staging instance is never put in place.
     */
    private void transfer(
            LxdApi client, ObjectSource src, String staging, InstanceRestoreSpec spec, BooleanSupplier deleted)
            throws IOException {
        try (InputStream raw = src.sha256() == null
                ? src.store().download(src.key())
                : src.store().downloadVerified(src.key(), src.sha256(), src.size())) {
            imports.importStream(
                    client,
                    new StoppableStream(raw, deleted),
                    new LxdClient.ImportRequest(blankToNull(spec.getStoragePool()), staging, spec.getDevices()),
                    TIMEOUT);
            metrics.bytes(KIND, "download", src.size());
            client.updateInstanceConfig(staging, Map.of(OWNER_KEY, staging), null);
        } catch (RuntimeException | IOException e) {
            if (!closing) {
                // nothing half-imported stays behind; the staging name is this restore's alone
                cleanUp(() -> removeStaging(client, staging), staging);
            }
            throw e;
        }
    }

    /**
     * Puts the verified staging import in place of {@code target}. With Replace the old instance
     * is renamed aside first and only deleted once the new one carries the name, so at every step
     * one good copy is there; each step can be redone from what exists on the server after a
     * restart. Fail re-checks right before the rename that nobody took the name meanwhile.
     */
    private String swapIn(
            LxdApi client, String staging, String target, String aside, boolean replace, boolean asideExists) {
        try {
            if (!asideExists) {
                Instance t = find(client, target);
                if (t != null && !replace) {
                    cleanUp(() -> removeStaging(client, staging), staging);
                    throw Failure.permanent(
                            Reasons.ALREADY_EXISTS,
                            "instance " + target + " was created while the restore was importing; "
                                    + "the import was removed. Delete or rename " + target
                                    + ", or set existingInstance: Replace, and create a new InstanceRestore");
                }
                if (t != null) {
                    if (t.isRunning()) {
                        client.waitFor(client.changeState(target, "stop", true, 60), TIMEOUT);
                    }
                    client.waitFor(client.renameInstance(target, aside), TIMEOUT);
                    asideExists = true;
                }
            } else if (find(client, target) != null) {
                throw Failure.permanent(
                        Reasons.ALREADY_EXISTS,
                        "instance " + target + " was created while the restore was swapping; "
                                + "the previous instance is kept as " + aside + " and the restored one as " + staging
                                + ". Rename or delete them as needed, then create a new InstanceRestore");
            }
            client.waitFor(client.renameInstance(staging, target), TIMEOUT);
        } catch (Failure f) {
            throw f;
        } catch (RuntimeException e) {
            if (!closing) {
                // undo: the old instance back under its name, the import removed
                boolean restoreOld = asideExists;
                cleanUp(
                        () -> {
                            if (restoreOld && find(client, aside) != null && find(client, target) == null) {
                                client.waitFor(client.renameInstance(aside, target), TIMEOUT);
                            }
                        },
                        aside);
                cleanUp(() -> removeStaging(client, staging), staging);
            }
            throw e;
        }
        return asideExists ? deleteAside(client, aside) : null;
    }

    private void finish(InstanceRestoreStatus status, Instance restored, ObjectSource src) {
        status.setObjectKey(src.key());
        status.setSha256(src.sha256());
        status.setInstanceState(restored.status());
        status.setStagingInstance(null);
        status.setBytesDone(src.size());
    }

    /**
     * Deletes the replaced instance, once the restored one carries its name (Replace deletes it by
     * definition). When LXD refuses (for example {@code security.protection.delete}) the restore
     * has still succeeded: the old instance is kept under the aside name and the user is told.
     */
    private String deleteAside(LxdApi client, String aside) {
        try {
            Instance old = client.getInstance(aside);
            if (old.isRunning()) {
                client.waitFor(client.changeState(aside, "stop", true, 30), TIMEOUT);
            }
            client.waitFor(client.deleteInstance(aside), TIMEOUT);
            LOG.info("deleted {}, the instance replaced by the restore", aside);
            return null;
        } catch (LxdException.NotFound e) {
            return null; // already gone
        } catch (LxdException.BadRequest | LxdException.OperationFailed | LxdException.Forbidden e) {
            return "the replaced instance could not be deleted (" + e.getMessage() + ") and is kept as " + aside
                    + "; delete it when it is no longer needed";
        }
    }

    /** Removes the staging instance (a name only this restore uses), once no operation works on it. */
    private void removeStaging(LxdApi client, String staging) {
        awaitOperationsOn(client, staging);
        try {
            Instance i = client.getInstance(staging);
            if (i.isRunning()) {
                client.waitFor(client.changeState(staging, "stop", true, 30), TIMEOUT);
            }
            client.waitFor(client.deleteInstance(staging), TIMEOUT);
            LOG.info("removed {} left by an interrupted or failed import", staging);
        } catch (LxdException.NotFound e) {
            // nothing there
        }
    }

    private static void awaitOperationsOn(LxdApi client, String instance) {
        ObjectImport.awaitOperationsOn(client, instance);
    }

    private static void cleanUp(Runnable step, String what) {
        try {
            step.run();
        } catch (RuntimeException e) {
            LOG.warn("could not clean up {} (will retry on the next attempt): {}", what, e.toString());
        }
    }

    private static Instance find(LxdApi client, String name) {
        return ObjectImport.find(client, name);
    }

    /** Whether the instance carries this restore's mark, set only on a finished, verified import. */
    static boolean isOurs(Instance i, String restoreId) {
        String v = i.config() == null ? null : i.config().get(OWNER_KEY);
        return v != null && v.equals(stagingName(restoreId));
    }

    private void markRunning(InstanceRestore r, String staging) {
        InstanceRestoreStatus status = r.getStatus();
        status.setPhase(InstanceRestorePhase.RUNNING);
        if (status.getStartTime() == null) {
            status.setStartTime(Conditions.timestamp(clock.instant()));
        }
        status.setStagingInstance(staging);
        Conditions.set(
                status,
                r.getMetadata().getGeneration() == null ? 0 : r.getMetadata().getGeneration(),
                clock,
                Condition.COMPLETE,
                false,
                Reasons.RESTORING,
                "Restoring " + label(r));
        StatusWriter.patchStatus(kube, r);
    }

    /**
     * 32 hex characters naming this restore on the server: a SHA-256 of its uid, namespace, name
     * and creation time, so the names below are this restore's alone, also after a restart, and
     * stay apart even where uids are not random (an in-memory API server started again).
     */
    static String restoreId(InstanceRestore r) {
        String uid = r.getMetadata().getUid();
        if (uid == null || uid.isBlank()) {
            throw Failure.retryable(Reasons.INTERNAL_ERROR, "the InstanceRestore has no metadata.uid yet");
        }
        String seed = uid + "\n" + ns(r) + "\n" + r.getMetadata().getName() + "\n"
                + r.getMetadata().getCreationTimestamp();
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(seed.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The name a restore imports under (50 characters, within LXD's 63); never a user's instance. */
    static String stagingName(String restoreId) {
        return "lxdbackup-restore-" + restoreId;
    }

    /** Replace: the name the old instance carries between the two renames of the swap (51 characters). */
    static String asideName(String restoreId) {
        return "lxdbackup-replaced-" + restoreId;
    }

    /** Stops running imports at shutdown; the next operator resumes from what exists on the server. */
    @Override
    public void close() {
        closing = true;
        imports.close();
    }

    private static Exception unwrap(Exception e) {
        return ObjectImport.unwrap(e);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private static String ns(InstanceRestore r) {
        return r.getMetadata().getNamespace();
    }
}
