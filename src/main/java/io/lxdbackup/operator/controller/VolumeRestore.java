package io.lxdbackup.operator.controller;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.InstanceExport;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestore;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestoreSpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshot;
import io.lxdbackup.operator.api.v1alpha1.RestoreSource;
import io.lxdbackup.operator.lxd.LxdApi;
import io.lxdbackup.operator.lxd.LxdException;
import io.lxdbackup.operator.lxd.LxdTarget;
import io.lxdbackup.operator.lxd.Operation;
import io.lxdbackup.operator.lxd.StorageVolume;
import io.lxdbackup.operator.lxd.VolumeTarget;
import io.lxdbackup.operator.store.BackupManifest;
import io.lxdbackup.operator.store.ObjectKeys;
import io.lxdbackup.operator.store.StoreException;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The restore of a custom storage volume ({@code InstanceRestore} with {@code spec.volume}):
 * in place to one of its snapshots, or imported from an export object under
 * {@code volume.pool}/{@code volume.name}.
 *
 * <p>An import goes to a staging volume named after the restore, is marked as this restore's
 * only after LXD confirmed the import of every (checksum-verified) byte, and is then renamed to
 * the target name. After a restart the marks tell what is left to do: a marked target is done,
 * a marked staging volume is renamed, an unmarked staging volume is an import cut off and is
 * imported again. A volume of the target name that is not this restore's is never touched.
 */
final class VolumeRestore {
    private static final Logger LOG = LoggerFactory.getLogger(VolumeRestore.class);
    static final String OWNER_KEY = "user.lxdbackup.restore";

    private final KubernetesClient kube;
    private final RemoteConnections remotes;
    private final Set<StoppableStream> active;
    private final BooleanSupplier closing;
    private final BooleanSupplier deleted;
    private final Duration timeout;

    VolumeRestore(
            KubernetesClient kube,
            RemoteConnections remotes,
            Set<StoppableStream> active,
            BooleanSupplier closing,
            Duration timeout) {
        this(kube, remotes, active, closing, () -> false, timeout);
    }

    /**
     * {@code deleted}: whether the restore's resource is gone; an import then stops at its next
     * read and its staging volume is removed, as after a failed import.
     */
    VolumeRestore(
            KubernetesClient kube,
            RemoteConnections remotes,
            Set<StoppableStream> active,
            BooleanSupplier closing,
            BooleanSupplier deleted,
            Duration timeout) {
        this.kube = kube;
        this.remotes = remotes;
        this.active = active;
        this.closing = closing;
        this.deleted = deleted;
        this.timeout = timeout;
    }

    static VolumeTarget target(InstanceRestoreSpec spec) {
        return (VolumeTarget) Targets.of(null, spec.getVolume());
    }

    // ------------------------------------------------------------------ snapshot

    void restoreSnapshot(InstanceRestore r, LxdApi client, Consumer<String> markRunning) {
        InstanceRestoreSpec spec = r.getSpec();
        VolumeTarget vol = target(spec);
        String snapshot;
        if (spec.getSource().getSnapshot() != null) {
            snapshot = spec.getSource().getSnapshot().getName();
        } else {
            String ref = spec.getSource().getSnapshotRef().getName();
            InstanceSnapshot is = kube.resources(InstanceSnapshot.class)
                    .inNamespace(r.getMetadata().getNamespace())
                    .withName(ref)
                    .get();
            if (is == null) {
                throw Failure.permanent(
                        Reasons.SOURCE_NOT_FOUND,
                        "InstanceSnapshot " + ref + " does not exist in namespace "
                                + r.getMetadata().getNamespace());
            }
            if (is.getStatus() == null
                    || is.getStatus().getSnapshotName() == null
                    || !Boolean.TRUE.equals(is.getStatus().getReadyToUse())) {
                throw Failure.retryable(Reasons.SOURCE_NOT_FOUND, "InstanceSnapshot " + ref + " is not ready yet");
            }
            if (!Objects.equals(spec.getVolume(), is.getSpec().getVolume())) {
                throw Failure.permanent(
                        Reasons.INVALID_SPEC,
                        "InstanceSnapshot " + ref + " is a snapshot of "
                                + (is.getSpec().getVolume() != null
                                        ? "volume " + is.getSpec().getVolume()
                                        : "instance " + is.getSpec().getInstance())
                                + ", not of volume " + vol
                                + "; a snapshot restores its own volume (use an export to restore elsewhere)");
            }
            String snapRemote = is.getSpec().getRemoteRef() == null
                    ? null
                    : is.getSpec().getRemoteRef().getName();
            if (!spec.getRemoteRef().getName().equals(snapRemote)) {
                throw Failure.permanent(
                        Reasons.INVALID_SPEC,
                        "InstanceSnapshot " + ref + " is on remote " + snapRemote + ", not on "
                                + spec.getRemoteRef().getName() + "; set spec.remoteRef to the snapshot's remote");
            }
            String snapProject = remotes.connect(
                            r.getMetadata().getNamespace(),
                            snapRemote,
                            is.getSpec().getProject())
                    .client()
                    .project();
            if (!snapProject.equals(client.project())) {
                throw Failure.permanent(
                        Reasons.INVALID_SPEC,
                        "InstanceSnapshot " + ref + " is in project " + snapProject + ", not in " + client.project()
                                + "; set spec.project to the snapshot's project");
            }
            snapshot = is.getStatus().getSnapshotName();
        }
        TargetChecks.requireExists(client, vol, spec.getRemoteRef().getName());
        if (!client.snapshotExists(vol, snapshot)) {
            throw Failure.permanent(
                    Reasons.SOURCE_NOT_FOUND,
                    "snapshot " + snapshot + " of volume " + vol + " does not exist on the server");
        }
        markRunning.accept(null);
        client.waitFor(client.restoreVolumeSnapshot(vol, snapshot), timeout);
    }

    // ------------------------------------------------------------------ import

    /**
     * Refuses an object that is the export of an instance: its manifest (or the InstanceExport
     * named) says what it holds. Objects without a manifest are left to LXD to judge.
     */
    void requireVolumeExport(InstanceRestore r, InstanceRestoreReconciler.ObjectSource src) {
        RestoreSource s = r.getSpec().getSource();
        if (s.getExportRef() != null) {
            InstanceExport ex = kube.resources(InstanceExport.class)
                    .inNamespace(r.getMetadata().getNamespace())
                    .withName(s.getExportRef().getName())
                    .get();
            if (ex != null && ex.getSpec() != null && ex.getSpec().getVolume() == null) {
                throw Failure.permanent(
                        Reasons.INVALID_SPEC,
                        "InstanceExport " + s.getExportRef().getName() + " exported instance "
                                + ex.getSpec().getInstance() + ", not a volume; restore it with spec.instance");
            }
            return;
        }
        try {
            BackupManifest m = BackupManifest.fromJson(src.store().getSmall(ObjectKeys.manifestKey(src.key())));
            if (!m.exportsVolume()) {
                throw Failure.permanent(
                        Reasons.INVALID_SPEC,
                        "object " + src.key() + " is the export of instance " + m.instance()
                                + ", not of a volume; restore it with spec.instance");
            }
        } catch (StoreException e) {
            if (e.reason() != StoreException.Reason.OBJECT_NOT_FOUND) {
                throw e;
            }
        } catch (IllegalArgumentException e) {
            // unreadable manifest: LXD judges the tarball itself
        }
    }

    /** Imports the object as {@code volume.name} in {@code volume.pool}; see the class comment. */
    void importObject(
            InstanceRestore r,
            LxdApi client,
            InstanceRestoreReconciler.ObjectSource src,
            String restoreId,
            Consumer<String> markRunning)
            throws IOException {
        InstanceRestoreSpec spec = r.getSpec();
        VolumeTarget vol = target(spec);
        String staging = InstanceRestoreReconciler.stagingName(restoreId);
        if (!client.storagePoolExists(vol.pool())) {
            throw Failure.permanent(
                    Reasons.NOT_FOUND,
                    "storage pool " + vol.pool() + " does not exist on remote "
                            + spec.getRemoteRef().getName() + "; set spec.volume.pool to an existing pool");
        }
        importInto(client, src, vol, staging, () -> {
            r.getStatus().setObjectKey(src.key());
            r.getStatus().setSha256(src.sha256());
            markRunning.accept(staging);
        });
    }

    /**
     * Imports the object as {@code vol} through the staging volume {@code staging} (a name only
     * this restore uses); see the class comment. {@code beforeTransfer} runs before the first byte.
     */
    void importInto(
            LxdApi client,
            InstanceRestoreReconciler.ObjectSource src,
            VolumeTarget vol,
            String staging,
            Runnable beforeTransfer)
            throws IOException {
        awaitOperationsOn(client, LxdTarget.volume(vol.pool(), staging));
        StorageVolume t = find(client, vol.pool(), vol.name());
        if (t != null && isOurs(t, staging)) {
            return; // renamed into place before a restart
        }
        if (t != null) {
            throw Failure.permanent(
                    Reasons.ALREADY_EXISTS,
                    "volume " + vol + " already exists; delete it first, or restore under "
                            + "another spec.volume.name (a volume is never replaced by a restore)");
        }
        StorageVolume s = find(client, vol.pool(), staging);
        if (s != null && !isOurs(s, staging)) {
            // an import that never finished (or whose checksum was never confirmed): start again
            client.waitFor(client.deleteVolume(vol.pool(), staging), timeout);
            s = null;
        }
        if (s == null) {
            beforeTransfer.run();
            transfer(client, src, vol.pool(), staging);
        }
        client.waitFor(client.renameVolume(vol.pool(), staging, vol.name()), timeout);
        LOG.info("restored volume {} from {}", vol, src.key());
    }

    private void transfer(LxdApi client, InstanceRestoreReconciler.ObjectSource src, String pool, String staging)
            throws IOException {
        StoppableStream in = null;
        try (InputStream raw = src.sha256() == null
                ? src.store().download(src.key())
                : src.store().downloadVerified(src.key(), src.sha256(), src.size())) {
            in = new StoppableStream(new StoppableStream(raw, deleted));
            active.add(in);
            if (closing.getAsBoolean()) {
                in.cancel();
            }
            client.waitFor(client.importVolumeBackup(in, -1, pool, staging), timeout);
            client.updateVolumeConfig(pool, staging, Map.of(OWNER_KEY, staging), null);
        } catch (RuntimeException | IOException e) {
            if (!closing.getAsBoolean()) {
                // nothing half-imported stays behind; the staging name is this restore's alone
                try {
                    if (find(client, pool, staging) != null) {
                        client.waitFor(client.deleteVolume(pool, staging), timeout);
                    }
                } catch (RuntimeException cleanup) {
                    e.addSuppressed(cleanup);
                }
            }
            throw e;
        } finally {
            if (in != null) {
                active.remove(in);
            }
        }
    }

    private void awaitOperationsOn(LxdApi client, LxdTarget target) {
        for (Operation op : client.runningOperationsOn(target)) {
            try {
                client.waitFor(op, timeout);
            } catch (LxdException e) {
                // ended without a volume, or forgotten: what exists tells
            }
        }
    }

    static boolean isOurs(StorageVolume v, String staging) {
        return staging.equals(v.config().get(OWNER_KEY));
    }

    static StorageVolume find(LxdApi client, String pool, String name) {
        try {
            return client.getVolume(pool, name);
        } catch (LxdException.NotFound e) {
            return null;
        }
    }
}
