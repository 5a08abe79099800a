package io.lxdbackup.operator.controller;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.InstanceCopy;
import io.lxdbackup.operator.api.v1alpha1.InstanceCopyPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceCopyStatus;
import io.lxdbackup.operator.api.v1alpha1.SyncKind;
import io.lxdbackup.operator.lxd.LxdApi;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.lxd.LxdException;
import io.lxdbackup.operator.lxd.Snapshot;
import io.lxdbackup.operator.lxd.StorageVolume;
import io.lxdbackup.operator.lxd.VolumeTarget;
import io.lxdbackup.operator.metrics.OperatorMetrics;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The copy of a custom storage volume to another server ({@code InstanceCopy} with
 * {@code spec.volume}), like {@code lxc storage volume copy a:pool/v b:pool/v [--refresh]}, in
 * pull mode. Scheduling, suspend and deadlines are the InstanceCopy's own; this class does one
 * copy.
 *
 * <p>Safety, as for instances: the target volume is created carrying this copy's owner mark
 * ({@link CopyNames#OWNER_KEY}), and a volume of the target name without it is never written. A
 * refresh updates the target in place (extension {@code custom_volume_refresh}); the target is
 * marked {@code refreshing:<syncId>} meanwhile and {@code <syncId>} when done, so an interrupted
 * refresh is reported and repeated. Crash safety: the intent (syncId, request time) is written
 * before LXD is asked, the target's operation id right after; a restarted operator waits for
 * that operation, then reads the marks to tell whether the copy finished.
 */
final class VolumeCopy {
    private static final Logger LOG = LoggerFactory.getLogger(VolumeCopy.class);
    static final String KIND = "InstanceCopy";

    private final KubernetesClient kube;
    private final EventRecorder events;
    private final OperatorMetrics metrics;
    private final Clock clock;
    private final Duration timeout;

    VolumeCopy(KubernetesClient kube, EventRecorder events, OperatorMetrics metrics, Clock clock, Duration timeout) {
        this.kube = kube;
        this.events = events;
        this.metrics = metrics;
        this.clock = clock;
        this.timeout = timeout;
    }

    /** Source and target of a volume copy, and what to copy. */
    record Request(VolumeTarget source, VolumeTarget target, boolean volumeOnly, boolean refresh, String owner) {}

    /** Starts (and runs) one copy; {@code after} decides the next reconcile once it is Synced. */
    UpdateControl<InstanceCopy> start(
            InstanceCopy copy,
            Request req,
            LxdApi source,
            LxdApi target,
            String sourceRemote,
            String targetRemote,
            Optional<Instant> scheduledTime,
            String why,
            Function<InstanceCopy, Duration> after) {
        InstanceCopyStatus st = copy.getStatus();
        TargetChecks.requireExists(source, req.source(), sourceRemote);
        Optional<StorageVolume> existing = find(target, req.target());
        if (existing.isPresent() && !CopyNames.ownedBy(existing.get().config(), req.owner())) {
            throw Failure.permanent(
                    Reasons.ALREADY_EXISTS,
                    "volume " + req.target() + " already exists in project "
                            + target.project() + " on " + targetRemote
                            + " and was not made by this InstanceCopy; the operator never"
                            + " overwrites it: delete or rename it, or set spec.targetVolume");
        }
        if (existing.isPresent() && !req.refresh()) {
            throw Failure.permanent(
                    Reasons.ALREADY_EXISTS,
                    "volume " + req.target() + " already exists on " + targetRemote
                            + " (an earlier copy made by this InstanceCopy); with refresh: false a copy never overwrites it: delete it"
                            + " to copy again, or set spec.refresh to true to update it");
        }
        if (existing.isPresent() && CopyNames.refreshInterrupted(existing.get().config())) {
            events.warning(
                    copy,
                    Reasons.REFRESH_INCOMPLETE,
                    "An earlier refresh of volume " + req.target() + " did not finish; this copy repairs it");
        }
        List<String> before = existing.isPresent() ? names(target.listSnapshots(req.target())) : null;
        String syncId = UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        st.setSyncId(syncId);
        st.setCopyRequestedAt(Conditions.timestamp(clock.instant()));
        st.setStagingInstance(null);
        st.setOperationId(null);
        st.setSourceOperationId(null);
        st.setSnapshotsOnTarget(before);
        st.setNextRetryTime(null);
        scheduledTime.ifPresent(t -> st.setLastScheduleTime(Conditions.timestamp(t)));
        st.setPhase(InstanceCopyPhase.COPYING);
        String what = (existing.isPresent() ? "Refresh" : "Full copy") + " of volume " + req.source() + " to "
                + targetRemote + "/" + req.target();
        st.setProgress(what + ": starting");
        if (!st.isConditionTrue(Condition.SYNCED)) {
            Conditions.set(
                    st,
                    InstanceCopyReconciler.generation(copy),
                    clock,
                    Condition.SYNCED,
                    false,
                    Reasons.COPYING,
                    what + " is running");
        }
        StatusWriter.replaceStatus(kube, copy, st);
        events.normal(copy, "CopyStarted", what + " (" + why + ")");
        if (existing.isPresent()) {
            target.updateVolumeConfig(
                    req.target().pool(),
                    req.target().name(),
                    Map.of(CopyNames.SYNC_KEY, CopyNames.REFRESHING + syncId),
                    null);
        }
        LxdClient.CopyOperations ops = target.pullVolumeFrom(
                source,
                new LxdClient.VolumeCopyRequest(
                        req.source(),
                        req.target(),
                        req.volumeOnly(),
                        existing.isPresent(),
                        Map.of(CopyNames.OWNER_KEY, req.owner())));
        st.setOperationId(ops.target() == null ? null : ops.target().id());
        st.setSourceOperationId(ops.source() == null ? null : ops.source().id());
        StatusWriter.replaceStatus(kube, copy, st);
        return awaitAndFinish(copy, req, source, target, targetRemote, after);
    }

    /** After a restart with a copy in flight: wait for its operation, then judge by the marks. */
    UpdateControl<InstanceCopy> resume(
            InstanceCopy copy,
            Request req,
            LxdApi source,
            LxdApi target,
            String targetRemote,
            Function<InstanceCopy, Duration> after) {
        return awaitAndFinish(copy, req, source, target, targetRemote, after);
    }

    private UpdateControl<InstanceCopy> awaitAndFinish(
            InstanceCopy copy,
            Request req,
            LxdApi source,
            LxdApi target,
            String targetRemote,
            Function<InstanceCopy, Duration> after) {
        InstanceCopyStatus st = copy.getStatus();
        String syncId = st.getSyncId();
        Instant requested = InstanceCopyReconciler.timeOf(st.getCopyRequestedAt());
        if (st.getOperationId() != null) {
            try {
                target.waitFor(target.getOperation(st.getOperationId()), timeout);
            } catch (LxdException.NotFound e) {
                // forgotten by LXD (a restart long after): the target tells
            } catch (LxdException.OperationFailed e) {
                clearIntent(st);
                st.setPhase(InstanceCopyPhase.FAILED);
                throw Failure.retryable(
                        Reasons.COPY_FAILED,
                        "copy of volume " + req.source() + " to " + targetRemote + "/" + req.target() + " failed: "
                                + e.getMessage());
            }
        }
        Optional<StorageVolume> made = find(target, req.target());
        if (made.isEmpty() || !CopyNames.ownedBy(made.get().config(), req.owner())) {
            // the copy never got going (cut off before LXD accepted it): start over on the next reconcile
            clearIntent(st);
            st.setPhase(InstanceCopyPhase.PENDING);
            StatusWriter.replaceStatus(kube, copy, st);
            return UpdateControl.<InstanceCopy>noUpdate().rescheduleAfter(Duration.ofSeconds(1));
        }
        target.updateVolumeConfig(req.target().pool(), req.target().name(), Map.of(CopyNames.SYNC_KEY, syncId), null);
        List<String> onSource = names(source.listSnapshots(req.source()));
        List<String> onTarget = names(target.listSnapshots(req.target()));
        List<String> before = st.getSnapshotsOnTarget();
        boolean full = before == null;
        List<String> transferred = full
                ? onTarget
                : onTarget.stream().filter(s -> !before.contains(s)).toList();
        List<String> removed = full
                ? List.of()
                : before.stream().filter(s -> !onTarget.contains(s)).toList();
        Instant now = clock.instant();
        st.setPhase(InstanceCopyPhase.SYNCED);
        st.setLastSyncTime(Conditions.timestamp(now));
        st.setLastSuccessfulSyncTime(Conditions.timestamp(now));
        st.setLastSyncKind(full ? SyncKind.FULL : SyncKind.INCREMENTAL);
        st.setSnapshotsOnSource(onSource);
        st.setSnapshotsOnTarget(onTarget);
        st.setTransferredSnapshots(transferred);
        st.setRemovedSnapshots(removed);
        clearIntent(st);
        String msg =
                (full ? "Full copy" : "Incremental copy") + " of volume " + req.source() + " to " + targetRemote + "/"
                        + req.target() + " complete: " + transferred.size() + " snapshot(s) transferred"
                        + (removed.isEmpty() ? "" : ", " + removed.size() + " removed (deleted on the source)");
        Conditions.set(st, InstanceCopyReconciler.generation(copy), clock, Condition.SYNCED, true, Reasons.SYNCED, msg);
        metrics.operation(
                KIND,
                full ? "copy-full" : "copy-incremental",
                "success",
                requested == null ? null : Duration.between(requested, now));
        events.normal(copy, Reasons.SYNCED, msg);
        LOG.info("InstanceCopy {}/{}: {}", InstanceCopyReconciler.ns(copy), InstanceCopyReconciler.name(copy), msg);
        Duration next = after.apply(copy);
        StatusWriter.replaceStatus(kube, copy, st);
        UpdateControl<InstanceCopy> u = UpdateControl.noUpdate();
        return next == null ? u : u.rescheduleAfter(next);
    }

    private static void clearIntent(InstanceCopyStatus st) {
        st.setSyncId(null);
        st.setCopyRequestedAt(null);
        st.setOperationId(null);
        st.setSourceOperationId(null);
        st.setProgress(null);
    }

    private static Optional<StorageVolume> find(LxdApi c, VolumeTarget v) {
        try {
            return Optional.of(c.getVolume(v.pool(), v.name()));
        } catch (LxdException.NotFound e) {
            return Optional.empty();
        }
    }

    private static List<String> names(List<Snapshot> snapshots) {
        return snapshots.stream().map(Snapshot::name).toList();
    }
}
