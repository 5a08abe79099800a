package io.lxdbackup.operator.controller;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
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
import io.lxdbackup.operator.lxd.Instance;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.lxd.LxdException;
import io.lxdbackup.operator.metrics.OperatorMetrics;
import io.lxdbackup.operator.store.BackupManifest;
import io.lxdbackup.operator.store.ChecksumMismatchException;
import io.lxdbackup.operator.store.ObjectInfo;
import io.lxdbackup.operator.store.ObjectKeys;
import io.lxdbackup.operator.store.ObjectStore;
import io.lxdbackup.operator.store.StoreException;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restores an instance: in place to one of its snapshots, or by importing an export from
 * object storage (the object is streamed from S3 into LXD's import endpoint and its SHA-256
 * checked on the way; nothing is staged on the operator's disk).
 *
 * <p>Safety: with {@code existingInstance: Fail} (default) an existing instance stops the
 * restore before any byte moves. With {@code Replace} the import goes to a staging instance
 * and the existing one is swapped out only after the import succeeded, so a failed restore
 * never destroys it. Whatever a failed or interrupted import left in LXD is removed; after an
 * operator restart mid-import the import is redone from the start (the object is still there).
 */
@ControllerConfiguration(name = "instancerestore")
public class InstanceRestoreReconciler implements Reconciler<InstanceRestore> {
  private static final Logger LOG = LoggerFactory.getLogger(InstanceRestoreReconciler.class);
  static final String KIND = "InstanceRestore";
  static final Duration TIMEOUT = Duration.ofHours(6);

  private final KubernetesClient kube;
  private final RemoteConnections remotes;
  private final StoreConnections stores;
  private final EventRecorder events;
  private final OperatorMetrics metrics;
  private final Clock clock;

  public InstanceRestoreReconciler(KubernetesClient kube, RemoteConnections remotes, StoreConnections stores,
      EventRecorder events, OperatorMetrics metrics, Clock clock) {
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
  public UpdateControl<InstanceRestore> reconcile(InstanceRestore r, Context<InstanceRestore> context) {
    InstanceRestoreStatus status = r.getStatus() != null ? r.getStatus() : new InstanceRestoreStatus();
    r.setStatus(status);
    long gen = r.getMetadata().getGeneration() == null ? 0 : r.getMetadata().getGeneration();
    if (status.getPhase() == InstanceRestorePhase.COMPLETED) {
      return UpdateControl.noUpdate(); // a restore happens once; a new one is a new object
    }
    if (status.getPhase() == InstanceRestorePhase.FAILED && Long.valueOf(gen).equals(status.getObservedGeneration())) {
      return UpdateControl.noUpdate(); // failed for a reason the user must fix; the spec is immutable
    }
    long t0 = System.nanoTime();
    try {
      InstanceRestoreSpec spec = r.getSpec();
      validate(spec);
      LxdClient client = remotes.connect(ns(r), spec.getRemoteRef().getName(), spec.getProject()).client();
      RestoreSource src = spec.getSource();
      if (src.getSnapshot() != null || src.getSnapshotRef() != null) {
        restoreSnapshot(r, client);
      } else {
        importObject(r, client, resolveObject(r));
      }
      status.setPhase(InstanceRestorePhase.COMPLETED);
      status.setRestoredAt(Conditions.timestamp(clock.instant()));
      Conditions.set(status, gen, clock, Condition.COMPLETE, true, Reasons.RESTORED,
          "Instance " + spec.getInstance() + " restored (" + status.getInstanceState() + ")");
      metrics.operation(KIND, "restore", "success", Duration.ofNanos(System.nanoTime() - t0));
      metrics.lastSuccess(KIND, ns(r), spec.getRemoteRef().getName(), spec.getInstance(), clock.instant());
      events.normal(r, "Restored", "Instance " + spec.getInstance() + " restored");
      return UpdateControl.patchStatus(r);
    } catch (Exception e) {
      Failure f = Failure.from(unwrap(e), "restore of " + (r.getSpec() == null ? "?" : r.getSpec().getInstance()));
      metrics.operation(KIND, "restore", f.reason(), Duration.ofNanos(System.nanoTime() - t0));
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
    if (spec.getInstance() == null || spec.getInstance().isBlank()) {
      throw Failure.permanent(Reasons.INVALID_SPEC, "spec.instance is required");
    }
    RestoreSource s = spec.getSource();
    int n = s == null ? 0 : (s.getSnapshot() != null ? 1 : 0) + (s.getSnapshotRef() != null ? 1 : 0)
        + (s.getExportRef() != null ? 1 : 0) + (s.getObject() != null ? 1 : 0);
    if (n != 1) {
      throw Failure.permanent(Reasons.INVALID_SPEC, "spec.source must name exactly one of snapshot, snapshotRef, exportRef, object");
    }
  }

  // ------------------------------------------------------------------ snapshot restore

  private void restoreSnapshot(InstanceRestore r, LxdClient client) {
    InstanceRestoreSpec spec = r.getSpec();
    String snapshot;
    if (spec.getSource().getSnapshot() != null) {
      snapshot = spec.getSource().getSnapshot().getName();
    } else {
      String ref = spec.getSource().getSnapshotRef().getName();
      InstanceSnapshot is = kube.resources(InstanceSnapshot.class).inNamespace(ns(r)).withName(ref).get();
      if (is == null) {
        throw Failure.permanent(Reasons.SOURCE_NOT_FOUND, "InstanceSnapshot " + ref + " does not exist in namespace " + ns(r));
      }
      if (is.getStatus() == null || is.getStatus().getSnapshotName() == null || !Boolean.TRUE.equals(is.getStatus().getReadyToUse())) {
        throw Failure.retryable(Reasons.SOURCE_NOT_FOUND, "InstanceSnapshot " + ref + " is not ready yet");
      }
      if (!spec.getInstance().equals(is.getSpec().getInstance())) {
        throw Failure.permanent(Reasons.INVALID_SPEC, "InstanceSnapshot " + ref + " is a snapshot of " + is.getSpec().getInstance()
            + ", not of " + spec.getInstance() + "; a snapshot restores its own instance (use an export to restore elsewhere)");
      }
      snapshot = is.getStatus().getSnapshotName();
    }
    if (!client.instanceExists(spec.getInstance())) {
      throw Failure.permanent(Reasons.INSTANCE_NOT_FOUND, "instance " + spec.getInstance() + " does not exist in project " + client.project());
    }
    if (!client.snapshotExists(spec.getInstance(), snapshot)) {
      throw Failure.permanent(Reasons.SOURCE_NOT_FOUND, "snapshot " + snapshot + " of instance " + spec.getInstance()
          + " does not exist on the server");
    }
    markRunning(r, null);
    client.waitFor(client.restoreSnapshot(spec.getInstance(), snapshot, Boolean.TRUE.equals(spec.getStateful())), TIMEOUT);
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
      InstanceExport ex = kube.resources(InstanceExport.class).inNamespace(ns(r)).withName(name).get();
      if (ex == null) {
        throw Failure.permanent(Reasons.SOURCE_NOT_FOUND, "InstanceExport " + name + " does not exist in namespace " + ns(r));
      }
      if (ex.getStatus() == null || ex.getStatus().getPhase() != InstanceExportPhase.COMPLETED || ex.getStatus().getObject() == null) {
        throw Failure.retryable(Reasons.EXPORT_NOT_READY, "InstanceExport " + name + " has not completed yet");
      }
      storeName = ex.getSpec().getStoreRef().getName();
      key = ex.getStatus().getObject().getKey();
      sha = ex.getStatus().getObject().getSha256();
      size = ex.getStatus().getObject().getSize();
    } else {
      if (src.getObject().getStoreRef() == null || src.getObject().getKey() == null || src.getObject().getKey().isBlank()) {
        throw Failure.permanent(Reasons.INVALID_SPEC, "source.object needs storeRef.name and key");
      }
      storeName = src.getObject().getStoreRef().getName();
      key = src.getObject().getKey();
    }
    ObjectStore store = stores.connect(ns(r), storeName).store();
    Optional<ObjectInfo> head = store.head(key);
    if (head.isEmpty()) {
      throw Failure.permanent(Reasons.OBJECT_NOT_FOUND, "object " + key + " does not exist in BackupStore " + storeName);
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
      throw Failure.permanent(Reasons.CHECKSUM_UNAVAILABLE, "object " + key + " has no manifest and no sha256 metadata to verify "
          + "against; set verifyChecksum: false to import it unverified");
    }
    if (size != null && size != head.get().size()) {
      throw Failure.permanent(Reasons.CHECKSUM_MISMATCH, "object " + key + " is " + head.get().size()
          + " bytes but its manifest says " + size + "; the object was changed or truncated");
    }
    return new ObjectSource(store, key, verify ? sha : null, head.get().size());
  }

  private void importObject(InstanceRestore r, LxdClient client, ObjectSource src) throws IOException {
    InstanceRestoreSpec spec = r.getSpec();
    InstanceRestoreStatus status = r.getStatus();
    boolean replace = spec.getExistingInstance() == ExistingInstancePolicy.REPLACE;
    String target = spec.getInstance();
    if (spec.getDevices() != null && !spec.getDevices().isEmpty()) {
      client.server().require(io.lxdbackup.operator.lxd.Capabilities.EXT_IMPORT_DEVICES, "devices overrides on import");
    }
    // After a restart mid-import: remove what the interrupted attempt may have left, then redo.
    Instant since = status.getStartTime() == null ? null : Instant.parse(status.getStartTime());
    if (status.getPhase() == InstanceRestorePhase.RUNNING && since != null) {
      removeIfCreatedSince(client, replace ? status.getStagingInstance() : target, since);
    }
    boolean exists = client.instanceExists(target);
    if (exists && !replace) {
      throw Failure.permanent(Reasons.ALREADY_EXISTS, "instance " + target + " already exists; delete it first, restore under "
          + "another instance name, or set existingInstance: Replace");
    }
    String importName = replace ? stagingName(r) : target;
    removeIfCreatedSince(client, importName, null); // a staging name is ours by construction
    status.setObjectKey(src.key());
    status.setSha256(src.sha256());
    markRunning(r, replace ? importName : null);
    Instant started = Instant.parse(status.getStartTime());
    try (InputStream in = src.sha256() == null ? src.store().download(src.key())
        : src.store().downloadVerified(src.key(), src.sha256(), src.size())) {
      client.waitFor(client.importBackup(in, -1, new LxdClient.ImportRequest(blankToNull(spec.getStoragePool()), importName,
          spec.getDevices())), TIMEOUT);
      metrics.bytes(KIND, "download", src.size());
    } catch (RuntimeException | IOException e) {
      // nothing half-imported stays behind
      removeIfCreatedSince(client, importName, started);
      throw e;
    }
    if (replace) {
      swap(client, importName, target, exists);
    }
    Instance restored = client.getInstance(target);
    status.setInstanceState(restored.status());
    status.setStagingInstance(null);
    status.setBytesDone(src.size());
  }

  /**
   * Puts the imported staging instance in place of the existing one. The old instance is
   * renamed aside first and only deleted once the new one carries the name, so at every step
   * one good copy is there.
   */
  private void swap(LxdClient client, String staging, String target, boolean exists) {
    String aside = staging + "-old";
    if (exists) {
      Instance old = client.getInstance(target);
      if (old.isRunning()) {
        client.waitFor(client.changeState(target, "stop", true, 60), TIMEOUT);
      }
      client.waitFor(client.renameInstance(target, aside), TIMEOUT);
    }
    try {
      client.waitFor(client.renameInstance(staging, target), TIMEOUT);
    } catch (RuntimeException e) {
      if (exists) {
        client.waitFor(client.renameInstance(aside, target), TIMEOUT);
      }
      throw e;
    }
    if (exists) {
      client.waitFor(client.deleteInstance(aside), TIMEOUT);
    }
  }

  private void removeIfCreatedSince(LxdClient client, String name, Instant since) {
    if (name == null) {
      return;
    }
    try {
      Instance i = client.getInstance(name);
      if (since != null && (i.createdAt() == null || i.createdAt().isBefore(since.minusSeconds(1)))) {
        return; // older than our attempt: not ours
      }
      if (i.isRunning()) {
        client.waitFor(client.changeState(name, "stop", true, 30), TIMEOUT);
      }
      client.waitFor(client.deleteInstance(name), TIMEOUT);
      LOG.info("removed {} left by an interrupted or failed import", name);
    } catch (LxdException.NotFound e) {
      // nothing there
    }
  }

  private void markRunning(InstanceRestore r, String staging) {
    InstanceRestoreStatus status = r.getStatus();
    status.setPhase(InstanceRestorePhase.RUNNING);
    if (status.getStartTime() == null) {
      status.setStartTime(Conditions.timestamp(clock.instant()));
    }
    status.setStagingInstance(staging);
    Conditions.set(status, r.getMetadata().getGeneration() == null ? 0 : r.getMetadata().getGeneration(), clock,
        Condition.COMPLETE, false, Reasons.RESTORING, "Restoring " + r.getSpec().getInstance());
    StatusWriter.patchStatus(kube, r);
  }

  /** A staging name unique to this restore and valid as an LXD instance name (max 63). */
  static String stagingName(InstanceRestore r) {
    String uid = r.getMetadata().getUid() == null ? "x" : r.getMetadata().getUid().replace("-", "");
    String suffix = "-restore-" + uid.substring(Math.max(0, uid.length() - 8));
    String base = r.getSpec().getInstance();
    if (base.length() + suffix.length() > 63) {
      base = base.substring(0, 63 - suffix.length());
    }
    return base + suffix;
  }

  private static Exception unwrap(Exception e) {
    if (e instanceof LxdException.SourceFailed s && s.getCause() instanceof ChecksumMismatchException c) {
      return c;
    }
    if (e instanceof LxdException.SourceFailed s && s.getCause() instanceof IOException io
        && io.getCause() instanceof StoreException se) {
      return se;
    }
    return e;
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  private static String ns(InstanceRestore r) {
    return r.getMetadata().getNamespace();
  }
}
