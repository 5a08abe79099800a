package io.lxdbackup.operator.controller;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.lxdbackup.operator.api.v1alpha1.BackupStore;
import io.lxdbackup.operator.api.v1alpha1.BackupStorePhase;
import io.lxdbackup.operator.api.v1alpha1.BackupStoreStatus;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.StoredExport;
import io.lxdbackup.operator.metrics.OperatorMetrics;
import io.lxdbackup.operator.store.BackupManifest;
import io.lxdbackup.operator.store.ManifestCatalog;
import io.lxdbackup.operator.store.ObjectStore;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks a {@code BackupStore} on every spec change and every {@link #VALIDATE_INTERVAL}: the
 * bucket is reachable, the credentials are valid, and (unless ReadOnly) a probe object can be
 * written and removed. The same pass lists the exports found in the bucket through their
 * manifests ({@link ManifestCatalog}) so a restore can find backups that no InstanceExport
 * describes any more. Messages come from {@code StoreException}, which never carries credentials.
 *
 * <p>A store being deleted stays until no InstanceExport that names it still has clean-up to do
 * ({@link InUse}), e.g. deleting its object with deletionPolicy Delete.
 */
@ControllerConfiguration(name = "backupstore")
public class BackupStoreReconciler implements Reconciler<BackupStore>, Cleaner<BackupStore> {
    private static final Logger LOG = LoggerFactory.getLogger(BackupStoreReconciler.class);
    static final Duration VALIDATE_INTERVAL = Duration.ofMinutes(5);
    /** Entries of status.exports and status.unmanifestedObjects at most; the newest are kept. */
    public static final int MAX_LISTED = 500;

    private final KubernetesClient kube;
    private final StoreConnections stores;
    private final EventRecorder events;
    private final OperatorMetrics metrics;
    private final Clock clock;

    public BackupStoreReconciler(KubernetesClient kube, StoreConnections stores, EventRecorder events, Clock clock) {
        this(kube, stores, events, OperatorMetrics.noop(), clock);
    }

    public BackupStoreReconciler(
            KubernetesClient kube,
            StoreConnections stores,
            EventRecorder events,
            OperatorMetrics metrics,
            Clock clock) {
        this.kube = kube;
        this.stores = stores;
        this.events = events;
        this.metrics = metrics;
        this.clock = clock;
    }

    @Override
    public UpdateControl<BackupStore> reconcile(BackupStore bs, Context<BackupStore> context) {
        BackupStoreStatus status = bs.getStatus() != null ? bs.getStatus() : new BackupStoreStatus();
        bs.setStatus(status);
        long gen =
                bs.getMetadata().getGeneration() == null ? 0 : bs.getMetadata().getGeneration();
        boolean wasAvailable = status.getPhase() == BackupStorePhase.AVAILABLE;
        status.setLastValidationTime(Conditions.timestamp(clock.instant()));
        try {
            ObjectStore store = stores.storeFor(bs);
            store.validate();
            ManifestCatalog.Result scan =
                    ManifestCatalog.scan(store, store.config().prefix());
            status.setExports(exports(scan.exports()));
            status.setUnmanifestedObjects(
                    scan.objectsWithoutManifest().isEmpty()
                            ? null
                            : scan.objectsWithoutManifest().stream()
                                    .limit(MAX_LISTED)
                                    .toList());
            String msg = "Bucket " + store.config().describe() + " is reachable"
                    + (store.config().readOnly() ? " (read-only)" : " and writable") + "; "
                    + scan.exports().size() + " export(s) found";
            status.setPhase(BackupStorePhase.AVAILABLE);
            status.setMessage(Messages.truncate(msg, Messages.MAX_STATUS));
            Conditions.set(status, gen, clock, Condition.AVAILABLE, true, Reasons.STORE_AVAILABLE, msg);
            metrics.storeAvailable(
                    bs.getMetadata().getNamespace(), bs.getMetadata().getName(), true, Reasons.STORE_AVAILABLE);
            if (!wasAvailable) {
                events.normal(bs, Reasons.STORE_AVAILABLE, msg);
            }
            return UpdateControl.patchStatus(bs).rescheduleAfter(VALIDATE_INTERVAL);
        } catch (Exception e) {
            Failure f = Failure.from(e, "checking the store");
            status.setPhase(BackupStorePhase.UNAVAILABLE);
            status.setMessage(Messages.truncate(f.getMessage(), Messages.MAX_STATUS));
            Conditions.set(status, gen, clock, Condition.AVAILABLE, false, f.reason(), f.getMessage());
            metrics.storeAvailable(
                    bs.getMetadata().getNamespace(), bs.getMetadata().getName(), false, f.reason());
            int failures = Conditions.countFailure(status);
            if (wasAvailable || failures == 1) {
                events.warning(bs, f.reason(), f.getMessage());
                LOG.warn(
                        "BackupStore {}/{}: {}: {}",
                        bs.getMetadata().getNamespace(),
                        bs.getMetadata().getName(),
                        f.reason(),
                        f.getMessage());
            }
            Duration next = f.isTransient() ? Backoff.delay(failures, VALIDATE_INTERVAL) : VALIDATE_INTERVAL;
            return UpdateControl.patchStatus(bs).rescheduleAfter(next);
        }
    }

    /**
     * Releases the store once no resource that names it has clean-up left; until then condition
     * Deleting (reason InUse), looked at again every few seconds. Its store stays open meanwhile,
     * also when its credentials Secret is gone ({@link StoreConnections}).
     */
    @Override
    public DeleteControl cleanup(BackupStore bs, Context<BackupStore> context) {
        List<InUse.Dependent> users = InUse.ofStore(
                kube, bs.getMetadata().getNamespace(), bs.getMetadata().getName());
        return InUse.releaseOrWait(kube, bs, users, BackupStoreStatus::new, "store", events, clock);
    }

    /** Newest first; each key is where the object was found, not the key its manifest recorded. */
    static List<StoredExport> exports(List<ManifestCatalog.Entry> found) {
        if (found.isEmpty()) {
            return null;
        }
        List<ManifestCatalog.Entry> sorted = new ArrayList<>(found);
        sorted.sort(Comparator.comparing(
                        (ManifestCatalog.Entry e) -> e.manifest().createdAt(),
                        Comparator.nullsFirst(Comparator.naturalOrder()))
                .reversed()
                .thenComparing(ManifestCatalog.Entry::key));
        List<StoredExport> out = new ArrayList<>();
        for (ManifestCatalog.Entry e : sorted.subList(0, Math.min(MAX_LISTED, sorted.size()))) {
            BackupManifest m = e.manifest();
            StoredExport s = new StoredExport();
            s.setKey(e.key());
            s.setInstance(m.instance());
            s.setRemote(m.remote());
            s.setProject(m.project());
            s.setCompression(m.compression());
            s.setSize(m.size());
            s.setSha256(m.sha256());
            s.setCreatedAt(Conditions.timestamp(m.createdAt()));
            out.add(s);
        }
        return out;
    }
}
