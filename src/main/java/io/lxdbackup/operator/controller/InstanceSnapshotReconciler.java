package io.lxdbackup.operator.controller;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.IndexedResourceCache;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.lxdbackup.operator.api.v1alpha1.AttachedVolumesMode;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.DeletionPolicy;
import io.lxdbackup.operator.api.v1alpha1.DiskVolumesMode;
import io.lxdbackup.operator.api.v1alpha1.IncludedVolume;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshot;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotSpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotStatus;
import io.lxdbackup.operator.lxd.Capabilities;
import io.lxdbackup.operator.lxd.LxdApi;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.lxd.LxdException;
import io.lxdbackup.operator.lxd.LxdTarget;
import io.lxdbackup.operator.lxd.Operation;
import io.lxdbackup.operator.lxd.Snapshot;
import io.lxdbackup.operator.lxd.VolumeAttachment;
import io.lxdbackup.operator.lxd.VolumeSnapshotNames;
import io.lxdbackup.operator.lxd.VolumeTarget;
import io.lxdbackup.operator.metrics.OperatorMetrics;
import io.lxdbackup.operator.schedule.GoDuration;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One LXD snapshot per {@code InstanceSnapshot}, created exactly once.
 *
 * <p>Crash safety: before asking LXD, the intent (phase {@code Creating}, the snapshot name
 * when known, and the server's clock as {@code creationRequestedAt}) is written to the status.
 * A restarted operator that finds {@code Creating} looks for the snapshot on the server first
 * and adopts it when it was created after the recorded time, so a crash before, during or
 * after the LXD call never produces a second snapshot. A creation LXD is still running when the
 * restarted operator looks is waited for first (see {@link #awaitRunningSnapshotCreations}). The snapshot is
 * recognised by the {@link CreationMark} its request carried, so one a user took in the same window
 * is never adopted (nor deleted later); names given by the server's {@code snapshots.pattern} are
 * found the same way.
 */
@ControllerConfiguration(name = "instancesnapshot")
public class InstanceSnapshotReconciler implements Reconciler<InstanceSnapshot>, Cleaner<InstanceSnapshot> {
    private static final Logger LOG = LoggerFactory.getLogger(InstanceSnapshotReconciler.class);
    static final String KIND = "InstanceSnapshot";
    /** How often a ready snapshot is checked on the server (expiry drift, deleted behind our back). */
    static final Duration RESYNC = Duration.ofMinutes(10);

    static final Duration OPERATION_TIMEOUT = Duration.ofMinutes(30);
    /** LXD's created_at has sub-second precision, the HTTP Date header whole seconds. */
    static final Duration CLOCK_SLACK = Duration.ofSeconds(1);
    /** How LXD describes a snapshot creation in {@code GET /1.0/operations}. */
    static final String SNAPSHOT_CREATE_DESCRIPTION = "Snapshotting instance";
    /**
     * Set by a SnapshotSchedule (mode: Operator) whose snapshotNamePattern has a {@code %d}: the
     * snapshot name is chosen when it is taken, by LXD's rule (one more than the highest number
     * in use), while spec.snapshotName stays unset.
     */
    public static final String ANNOTATION_NAME_PATTERN = "lxdbackup.io/snapshot-name-pattern";

    private final KubernetesClient kube;
    private final RemoteConnections connections;
    private final EventRecorder events;
    private final OperatorMetrics metrics;
    private final Clock clock;
    private final ConcurrentMap<String, ReentrantLock> instanceLocks = new ConcurrentHashMap<>();
    private final SnapshotListings listings = new SnapshotListings();
    /** Per instance: resource UID to the snapshot name it took, with when (System.nanoTime). */
    private final ConcurrentMap<String, java.util.LinkedHashMap<String, Claim>> recentClaims =
            new ConcurrentHashMap<>();

    /** A name taken by a resource, remembered until the informer cache has certainly caught up. */
    private record Claim(String name, long atNanos) {}

    /** How long a claim is remembered: far longer than the informer cache lags behind a write. */
    static final Duration CLAIM_MEMORY = Duration.ofMinutes(2);

    private static final String CLAIM_INDEX = "lxdbackup.io/claim";
    private volatile IndexedResourceCache<InstanceSnapshot> primaryCache;

    public InstanceSnapshotReconciler(
            KubernetesClient kube,
            RemoteConnections connections,
            EventRecorder events,
            OperatorMetrics metrics,
            Clock clock) {
        this.kube = kube;
        this.connections = connections;
        this.events = events;
        this.metrics = metrics;
        this.clock = clock;
    }

    @Override
    public UpdateControl<InstanceSnapshot> reconcile(InstanceSnapshot snap, Context<InstanceSnapshot> context) {
        InstanceSnapshotStatus status = snap.getStatus() != null ? snap.getStatus() : new InstanceSnapshotStatus();
        snap.setStatus(status);
        if (status.getPhase() == null) {
            status.setPhase(InstanceSnapshotPhase.PENDING);
        }
        InstanceSnapshotPhase before = status.getPhase();
        long gen = generation(snap);
        try {
            ExpiryRequest expiry = validate(snap.getSpec());
            LxdApi client = connections
                    .connect(
                            ns(snap),
                            snap.getSpec().getRemoteRef().getName(),
                            snap.getSpec().getProject())
                    .client();
            LxdTarget instance = target(snap);
            boolean resume = status.getPhase() == InstanceSnapshotPhase.CREATING
                    || (status.getSnapshotName() == null && status.getCreationRequestedAt() != null);
            if (resume || status.getSnapshotName() == null) {
                // One creation at a time per instance: server-named snapshots are told apart by
                // what appeared since the request, which only works if no sibling creates meanwhile.
                ReentrantLock lock = instanceLocks.computeIfAbsent(
                        client.endpoint().url() + "|" + client.project() + "|" + instance, k -> new ReentrantLock());
                lock.lock();
                try {
                    if (resume) {
                        resumeOrCreate(snap, client, expiry);
                    } else {
                        create(snap, client, expiry);
                    }
                    if (includesVolumes(snap)) {
                        // still in phase Creating: a restart adopts the instance snapshot and goes on here
                        snapshotVolumes(snap, client, expiry);
                    }
                    if (snap.getStatus().getSnapshotName() != null) {
                        rememberClaim(snap);
                    }
                    // The name is written before the lock is released, so that siblings, and an operator
                    // restarted before the final write, see it as claimed. Usually that write is the
                    // final one too (Ready): one status write after the creation, not two. When the
                    // snapshot's expiry still has to be corrected (an LXD operation), the name alone is
                    // written here and the rest after the lock, so siblings do not wait for that.
                    UpdateControl<InstanceSnapshot> done;
                    try {
                        done = observe(snap, client, instance, expiry, before, false);
                    } catch (RuntimeException e) {
                        try {
                            StatusWriter.replaceStatus(kube, snap, snap.getStatus());
                        } catch (RuntimeException writeFailed) {
                            e.addSuppressed(writeFailed);
                        }
                        throw e;
                    }
                    try {
                        StatusWriter.replaceStatus(kube, snap, snap.getStatus());
                    } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                        // the snapshot is fine, the API server did not take the write: JOSDK retries
                        throw new StatusWriteFailed(e);
                    }
                    if (done != null) {
                        UpdateControl<InstanceSnapshot> written = UpdateControl.noUpdate();
                        return done.getScheduleDelay()
                                .map(written::rescheduleAfter)
                                .orElse(written);
                    }
                } finally {
                    lock.unlock();
                }
            }
            if (includesVolumes(snap) && !volumesDone(snap.getStatus())) {
                // an earlier run stopped between the instance snapshot and those of its volumes
                snapshotVolumes(snap, client, expiry);
            }
            return observe(snap, client, instance, expiry, before, true);
        } catch (StatusWriteFailed e) {
            throw e.getCause();
        } catch (Exception e) {
            Failure f = Failure.from(e, "snapshot of " + label(snap));
            if (status.getSnapshotName() == null || status.getPhase() != InstanceSnapshotPhase.READY) {
                // never leave "Creating" behind unless the intent is still live (retryable error)
                if (!(f.isTransient() && status.getPhase() == InstanceSnapshotPhase.CREATING)) {
                    status.setPhase(InstanceSnapshotPhase.FAILED);
                }
            }
            status.setReadyToUse(
                    status.getPhase() == InstanceSnapshotPhase.READY ? status.getReadyToUse() : Boolean.FALSE);
            Conditions.set(status, gen, clock, Condition.READY, false, f.reason(), f.getMessage());
            int failures = Conditions.countFailure(status);
            if (before != status.getPhase() || failures == 1) {
                events.warning(snap, f.reason(), f.getMessage());
                LOG.warn(
                        "InstanceSnapshot {}/{}: {}: {}",
                        ns(snap),
                        snap.getMetadata().getName(),
                        f.reason(),
                        f.getMessage());
            }
            metrics.operation(KIND, "reconcile", f.reason(), null);
            if (before != InstanceSnapshotPhase.FAILED && status.getPhase() == InstanceSnapshotPhase.FAILED) {
                metrics.failure(
                        KIND,
                        ns(snap),
                        snap.getSpec() == null || snap.getSpec().getRemoteRef() == null
                                ? null
                                : snap.getSpec().getRemoteRef().getName(),
                        snap.getSpec() == null ? null : label(snap),
                        clock.instant());
            }
            Duration next = f.isTransient() ? Backoff.delay(failures, Duration.ofMinutes(5)) : RESYNC;
            return UpdateControl.patchStatus(snap).rescheduleAfter(next);
        }
    }

    /** The expiry the user asked for; exactly one of the three forms, or none. */
    record ExpiryRequest(Instant at, Duration ttl, boolean never) {
        boolean isSet() {
            return at != null || ttl != null || never;
        }

        /** The expiry time for a snapshot created at {@code created}; null = never. */
        Instant resolve(Instant created) {
            if (never) {
                return null;
            }
            return at != null ? at : created.plus(ttl);
        }
    }

    static ExpiryRequest validate(InstanceSnapshotSpec spec) {
        if (spec == null || spec.getRemoteRef() == null || spec.getRemoteRef().getName() == null) {
            throw Failure.permanent(Reasons.INVALID_SPEC, "spec.remoteRef.name is required");
        }
        LxdTarget target = Targets.of(spec.getInstance(), spec.getVolume());
        if (target.isVolume() && (Boolean.TRUE.equals(spec.getStateful()) || spec.getDiskVolumesMode() != null)) {
            throw Failure.permanent(
                    Reasons.INVALID_SPEC,
                    "stateful and diskVolumesMode apply to instances only, not to volume " + target + "; remove them");
        }
        if (spec.getAttachedVolumes() == AttachedVolumesMode.INCLUDE) {
            if (target.isVolume()) {
                throw Failure.permanent(
                        Reasons.INVALID_SPEC,
                        "attachedVolumes: Include applies to instances only, not to volume " + target + "; remove it");
            }
            if (spec.getDiskVolumesMode() == DiskVolumesMode.ALL_EXCLUSIVE) {
                throw Failure.permanent(
                        Reasons.INVALID_SPEC,
                        "attachedVolumes: Include and diskVolumesMode: all-exclusive both snapshot attached volumes;"
                                + " set only one of them");
            }
        }
        int forms = (spec.getExpiresAt() != null ? 1 : 0)
                + (spec.getTtl() != null ? 1 : 0)
                + (Boolean.TRUE.equals(spec.getNoExpiry()) ? 1 : 0);
        if (forms > 1) {
            throw Failure.permanent(Reasons.INVALID_SPEC, "set at most one of expiresAt, ttl and noExpiry");
        }
        Instant at = null;
        Duration ttl = null;
        if (spec.getExpiresAt() != null) {
            try {
                at = Instant.parse(spec.getExpiresAt());
            } catch (DateTimeParseException e) {
                throw Failure.permanent(
                        Reasons.INVALID_SPEC,
                        "spec.expiresAt \"" + spec.getExpiresAt()
                                + "\" is not an RFC 3339 UTC time such as 2026-12-01T00:00:00Z");
            }
        }
        if (spec.getTtl() != null) {
            try {
                ttl = GoDuration.parse(spec.getTtl());
            } catch (IllegalArgumentException e) {
                throw Failure.permanent(Reasons.INVALID_SPEC, "spec.ttl: " + e.getMessage());
            }
        }
        return new ExpiryRequest(at, ttl, Boolean.TRUE.equals(spec.getNoExpiry()));
    }

    private void create(InstanceSnapshot snap, LxdApi client, ExpiryRequest expiry) {
        InstanceSnapshotSpec spec = snap.getSpec();
        InstanceSnapshotStatus status = snap.getStatus();
        LxdTarget instance = target(snap);
        TargetChecks.requireExists(client, instance, spec.getRemoteRef().getName());
        // instances: snapshots named by the server are recognised by a creation mark (CreationMark);
        // volume snapshots are always named before the request (nextVolumeSnapshotName)
        java.util.Map<String, String> instanceConfig =
                instance.isVolume() ? null : client.getInstance(instance.name()).expandedConfig();
        String name = blankToNull(spec.getSnapshotName());
        // a schedule's snapshotNamePattern comes first; a volume's own snapshots.pattern otherwise
        if (name == null && namePattern(snap) != null) {
            name = nextPatternName(client, instance, namePattern(snap));
        } else if (name == null && instance instanceof VolumeTarget vol) {
            name = nextVolumeSnapshotName(client, vol);
        }
        if (name != null && client.snapshotExists(instance, name)) {
            if (!Boolean.TRUE.equals(spec.getReuse())) {
                throw Failure.permanent(
                        Reasons.ALREADY_EXISTS,
                        "snapshot " + name + " already exists on instance " + instance
                                + "; set reuse: true to replace it, or choose another snapshotName");
            }
            client.waitFor(client.deleteSnapshot(instance, name), OPERATION_TIMEOUT);
            events.normal(snap, "Replaced", "Deleted existing snapshot " + name + " to replace it (reuse: true)");
        }
        // Record the intent durably before the LXD call (see class comment).
        Instant requestedAt = client.serverTime();
        Instant mark = instance.isVolume() ? null : CreationMark.choose(client, instanceConfig, expiry, requestedAt);
        status.setPhase(InstanceSnapshotPhase.CREATING);
        // with a mark, a name in the status means "found by the mark" (see findOwn), so even a
        // fixed name is recorded only once the snapshot carrying the mark is seen
        status.setSnapshotName(mark == null ? name : null);
        status.setCreationRequestedAt(requestedAt.toString());
        status.setCreationMark(mark == null ? null : mark.toString());
        Conditions.set(
                status,
                generation(snap),
                clock,
                Condition.READY,
                false,
                Reasons.CREATING,
                "Creating snapshot" + (name == null ? "" : " " + name) + " of " + instance);
        StatusWriter.patchStatus(kube, snap);
        doCreate(snap, client, expiry, name, requestedAt);
    }

    private void doCreate(
            InstanceSnapshot snap, LxdApi client, ExpiryRequest expiry, String name, Instant requestedAt) {
        InstanceSnapshotSpec spec = snap.getSpec();
        LxdTarget instance = target(snap);
        Instant mark = CreationMark.of(snap.getStatus());
        Set<String> existing = name == null && mark == null
                ? client.listSnapshots(instance).stream().map(Snapshot::name).collect(Collectors.toSet())
                : Set.of();
        Instant expiresAt = mark;
        if (mark == null && expiry.isSet() && !expiry.never()) {
            expiresAt = expiry.resolve(requestedAt);
        }
        long t0 = System.nanoTime();
        try {
            client.waitFor(
                    client.createSnapshot(
                            instance,
                            new LxdClient.SnapshotRequest(
                                    name,
                                    Boolean.TRUE.equals(spec.getStateful()),
                                    expiresAt,
                                    mark == null && expiry.never(),
                                    spec.getDiskVolumesMode() == null
                                            ? null
                                            : spec.getDiskVolumesMode().value())),
                    OPERATION_TIMEOUT);
        } catch (LxdException.AlreadyExists e) {
            // Created by our own earlier attempt still running on the server? Adopt only if it is new.
            Optional<Snapshot> mine = findOwn(snap, client, requestedAt);
            if (mine.isEmpty()) {
                throw Failure.permanent(
                        Reasons.ALREADY_EXISTS,
                        "snapshot " + name + " already exists on instance " + instance
                                + "; set reuse: true to replace it, or choose another snapshotName");
            }
            name = mine.get().name();
        } catch (RuntimeException e) {
            Failure f = statefulRefused(spec, e).orElseGet(() -> Failure.from(e, "creating snapshot of " + instance));
            metrics.operation(KIND, "create", f.reason(), Duration.ofNanos(System.nanoTime() - t0));
            if (!f.isTransient()) {
                // LXD refused for good: nothing was created, so the intent is dropped. A transient
                // failure keeps it: the operation may still complete on the server.
                snap.getStatus().setSnapshotName(null);
                snap.getStatus().setCreationRequestedAt(null);
                snap.getStatus().setCreationMark(null);
            }
            throw f;
        }
        if (mark != null) {
            name = CreationMark.carrying(client.listSnapshots(instance), mark)
                    .map(Snapshot::name)
                    .orElseThrow(() -> Failure.retryable(
                            Reasons.LXD_ERROR,
                            "LXD reported success but the new snapshot of " + instance + " cannot be found"));
        } else if (name == null) {
            Set<String> claimed = claimedByOthers(snap);
            name = client.listSnapshots(instance).stream()
                    .filter(s -> !existing.contains(s.name()) && !claimed.contains(s.name()))
                    .filter(s -> s.createdAt() != null && !s.createdAt().isBefore(requestedAt.minus(CLOCK_SLACK)))
                    .min(Comparator.comparing(Snapshot::createdAt))
                    .map(Snapshot::name)
                    .orElseThrow(() -> Failure.retryable(
                            Reasons.LXD_ERROR,
                            "LXD reported success but the new snapshot of " + instance + " cannot be found"));
        }
        metrics.operation(KIND, "create", "success", Duration.ofNanos(System.nanoTime() - t0));
        snap.getStatus().setSnapshotName(name);
        events.normal(snap, "Created", "Created snapshot " + name + " of " + instance);
        if (!instance.isVolume()
                && !includesVolumes(snap)
                && (spec.getDiskVolumesMode() == null
                        || "root".equals(spec.getDiskVolumesMode().value()))) {
            VolumesNotIncluded.check(snap, snap.getStatus(), client, instance.name(), "snapshot", clock, events);
        }
    }

    /**
     * LXD 5.0 advertises stateful snapshots (migration_stateful) but refuses them inside the
     * operation when CRIU is missing on the host, or when the instance is not running: a clear
     * reason instead of a generic LXD error.
     */
    static Optional<Failure> statefulRefused(InstanceSnapshotSpec spec, RuntimeException e) {
        if (!Boolean.TRUE.equals(spec.getStateful())
                || !(e instanceof LxdException.OperationFailed)
                || e.getMessage() == null
                || !e.getMessage().contains("stateful snapshot")) {
            return Optional.empty();
        }
        if (e.getMessage().contains("CRIU")) {
            return Optional.of(Failure.permanent(
                    Reasons.NOT_SUPPORTED,
                    "stateful snapshots are not supported by this server: LXD says \"" + e.getMessage()
                            + "\"; install CRIU on the LXD host, or set stateful: false"));
        }
        return Optional.of(Failure.permanent(
                Reasons.REJECTED_BY_SERVER,
                "LXD refused the stateful snapshot: \"" + e.getMessage()
                        + "\"; a stateful snapshot needs a running instance: start " + spec.getInstance()
                        + ", or set stateful: false"));
    }

    /** After a restart in phase Creating: adopt what our earlier attempt created, or create now. */
    private void resumeOrCreate(InstanceSnapshot snap, LxdApi client, ExpiryRequest expiry) {
        InstanceSnapshotStatus status = snap.getStatus();
        Instant requestedAt =
                status.getCreationRequestedAt() == null ? null : Instant.parse(status.getCreationRequestedAt());
        if (requestedAt == null) {
            status.setPhase(InstanceSnapshotPhase.PENDING);
            create(snap, client, expiry);
            return;
        }
        awaitRunningSnapshotCreations(snap, client, requestedAt);
        Optional<Snapshot> mine = findOwn(snap, client, requestedAt);
        if (mine.isPresent()) {
            status.setSnapshotName(mine.get().name());
            LOG.info(
                    "InstanceSnapshot {}/{}: adopted snapshot {} created before a restart",
                    ns(snap),
                    snap.getMetadata().getName(),
                    mine.get().name());
            return;
        }
        String name = blankToNull(snap.getSpec().getSnapshotName());
        if (name == null && target(snap) instanceof VolumeTarget vol) {
            // named before the request, and recorded: the same name again
            name = status.getSnapshotName() != null
                    ? status.getSnapshotName()
                    : namePattern(snap) != null
                            ? nextPatternName(client, vol, namePattern(snap))
                            : nextVolumeSnapshotName(client, vol);
            status.setSnapshotName(name);
        } else if (name == null && namePattern(snap) != null) {
            // nothing of the earlier attempt exists (not adopted above): the number is chosen again
            name = nextPatternName(client, target(snap), namePattern(snap));
        }
        if (name != null && client.snapshotExists(target(snap), name)) {
            throw Failure.permanent(
                    Reasons.ALREADY_EXISTS,
                    "snapshot " + name + " already exists on instance " + label(snap)
                            + " and was not created by this resource; set reuse: true to replace it");
        }
        TargetChecks.requireExists(
                client, target(snap), snap.getSpec().getRemoteRef().getName());
        doCreate(snap, client, expiry, name, requestedAt);
    }

    /**
     * Waits for snapshot creations on the instance that LXD is still running and that started
     * after {@code requestedAt}: an earlier attempt of this resource, cut off by a restart, may
     * be one of them. Until it ends, its snapshot is either not listed yet (a second creation
     * would duplicate it) or listed but incomplete (adopting it would report Ready too early, and
     * LXD removes it again if the operation fails). Their outcome is read from the snapshot list
     * afterwards, so a failed or forgotten operation is not an error here.
     */
    private void awaitRunningSnapshotCreations(InstanceSnapshot snap, LxdApi client, Instant requestedAt) {
        Instant since = requestedAt.minus(CLOCK_SLACK);
        LxdTarget target = target(snap);
        for (Operation op : client.runningOperationsOn(target)) {
            if (!target.snapshotCreateDescription().equals(op.description())
                    || (op.createdAt() != null && op.createdAt().isBefore(since))) {
                continue;
            }
            LOG.info(
                    "InstanceSnapshot {}/{}: waiting for snapshot operation {} on {} started before a restart",
                    ns(snap),
                    snap.getMetadata().getName(),
                    op.id(),
                    label(snap));
            try {
                client.waitFor(op, OPERATION_TIMEOUT);
            } catch (LxdException.NotFound
                    | LxdException.OperationFailed
                    | LxdException.AlreadyExists
                    | LxdException.BadRequest e) {
                // ended (or forgotten) without a snapshot: the list tells what exists
            }
        }
    }

    /**
     * The snapshot this resource created: the one carrying its {@link CreationMark}, or the one
     * already found by the mark before a restart (whose expiry may have been set since). Without a
     * mark (recorded by an operator version without it, or a server that cannot take an expiry at
     * creation), by name when fixed, or, for server-named snapshots, as the oldest one created after
     * the recorded request time that no other InstanceSnapshot of the same instance claims.
     */
    private Optional<Snapshot> findOwn(InstanceSnapshot snap, LxdApi client, Instant requestedAt) {
        String name = blankToNull(snap.getSpec().getSnapshotName());
        Instant since = requestedAt.minus(CLOCK_SLACK);
        LxdTarget target = target(snap);
        List<Snapshot> all = client.listSnapshots(target);
        if (name == null && target.isVolume()) {
            // volume snapshots are always named before the request (see nextVolumeSnapshotName)
            String recorded = snap.getStatus() == null ? null : snap.getStatus().getSnapshotName();
            return all.stream().filter(s -> s.name().equals(recorded)).findFirst();
        }
        Instant mark = CreationMark.of(snap.getStatus());
        if (mark != null) {
            Optional<Snapshot> marked = CreationMark.carrying(all, mark);
            String found = snap.getStatus().getSnapshotName();
            if (marked.isPresent() || found == null) {
                return marked;
            }
            return all.stream()
                    .filter(s -> s.name().equals(found))
                    .filter(s -> s.createdAt() != null && !s.createdAt().isBefore(since))
                    .findFirst();
        }
        if (name != null) {
            // LXD 5.0 keeps no creation time on volume snapshots: a volume snapshot is ours by its
            // name, which was checked to be free before the intent was recorded
            return all.stream()
                    .filter(s -> s.name().equals(name))
                    .filter(s -> s.createdAt() == null
                            ? target.isVolume()
                            : !s.createdAt().isBefore(since))
                    .findFirst();
        }
        Set<String> claimed = claimedByOthers(snap);
        return all.stream()
                .filter(s -> !claimed.contains(s.name()))
                .filter(s -> s.createdAt() != null && !s.createdAt().isBefore(since))
                .min(Comparator.comparing(Snapshot::createdAt));
    }

    /**
     * Snapshot names other InstanceSnapshots of the same remote and instance already own: those
     * in the informer cache, plus the names this process recorded under the instance lock that
     * the cache may not show yet. Reading the cache keeps this free of API calls, which matters
     * when a schedule creates thousands of children.
     */
    private Set<String> claimedByOthers(InstanceSnapshot snap) {
        IndexedResourceCache<InstanceSnapshot> cache = primaryCache;
        java.util.stream.Stream<InstanceSnapshot> all = cache != null
                ? cache.byIndex(CLAIM_INDEX, claimKey(snap)).stream()
                : kube.resources(InstanceSnapshot.class).inNamespace(ns(snap)).list().getItems().stream();
        Set<String> claimed = all.filter(
                        o -> !o.getMetadata().getUid().equals(snap.getMetadata().getUid()))
                .filter(o -> o.getSpec() != null
                        && Objects.equals(
                                o.getSpec().getInstance(), snap.getSpec().getInstance())
                        && Objects.equals(
                                o.getSpec().getVolume(), snap.getSpec().getVolume())
                        && o.getSpec().getRemoteRef() != null
                        && Objects.equals(
                                o.getSpec().getRemoteRef().getName(),
                                snap.getSpec().getRemoteRef().getName())
                        && Objects.equals(
                                o.getSpec().getProject(), snap.getSpec().getProject()))
                .map(o -> o.getStatus() == null ? null : o.getStatus().getSnapshotName())
                .filter(Objects::nonNull)
                .collect(Collectors.toCollection(java.util.HashSet::new));
        java.util.LinkedHashMap<String, Claim> recent = recentClaims.get(claimKey(snap));
        if (recent != null) {
            synchronized (recent) {
                recent.forEach((uid, claim) -> {
                    if (!uid.equals(snap.getMetadata().getUid())) {
                        claimed.add(claim.name());
                    }
                });
            }
        }
        return claimed;
    }

    private static String claimKey(InstanceSnapshot snap) {
        return ns(snap) + "|" + snap.getSpec().getRemoteRef().getName() + "|"
                + snap.getSpec().getProject() + "|" + snap.getSpec().getInstance()
                + (snap.getSpec().getVolume() == null
                        ? ""
                        : "|" + snap.getSpec().getVolume());
    }

    /**
     * Remembers which resource took which name, newest last, for {@link #CLAIM_MEMORY} and at most
     * 256 per instance: long enough to cover the informer cache catching up with the write, short
     * enough that the memory follows the rate of creations, not their total.
     */
    private void rememberClaim(InstanceSnapshot snap) {
        java.util.LinkedHashMap<String, Claim> recent =
                recentClaims.computeIfAbsent(claimKey(snap), k -> new java.util.LinkedHashMap<>());
        long now = System.nanoTime();
        synchronized (recent) {
            recent.remove(snap.getMetadata().getUid());
            recent.put(snap.getMetadata().getUid(), new Claim(snap.getStatus().getSnapshotName(), now));
            var it = recent.values().iterator();
            while (it.hasNext()) {
                Claim eldest = it.next();
                if (recent.size() <= 256 && now - eldest.atNanos() <= CLAIM_MEMORY.toNanos()) {
                    break;
                }
                it.remove();
            }
        }
    }

    @Override
    public List<EventSource<?, InstanceSnapshot>> prepareEventSources(EventSourceContext<InstanceSnapshot> context) {
        // by remote, project and instance: finding the snapshot names others own reads only the
        // InstanceSnapshots of the same instance, not every one in the namespace
        context.getPrimaryCache()
                .addIndexer(
                        CLAIM_INDEX,
                        s -> s.getSpec() == null || s.getSpec().getRemoteRef() == null
                                ? List.of()
                                : List.of(claimKey(s)));
        primaryCache = context.getPrimaryCache();
        return List.of(RemoteDependents.eventSource(
                context,
                InstanceSnapshot.class,
                s -> s.getSpec() == null || s.getSpec().getRemoteRef() == null
                        ? Set.of()
                        : RemoteDependents.names(s.getSpec().getRemoteRef().getName()),
                connections));
    }

    /** A status write that failed after the LXD side succeeded: left to JOSDK's retry. */
    private static final class StatusWriteFailed extends RuntimeException {
        StatusWriteFailed(io.fabric8.kubernetes.client.KubernetesClientException cause) {
            super(cause);
        }

        @Override
        public synchronized io.fabric8.kubernetes.client.KubernetesClientException getCause() {
            return (io.fabric8.kubernetes.client.KubernetesClientException) super.getCause();
        }
    }

    /**
     * Reads the snapshot back and fills the status (Ready, or Failed when it is gone). Returns null,
     * changing nothing, when {@code mayUpdateExpiry} is false and the snapshot's expiry needs an
     * update on the server.
     */
    private UpdateControl<InstanceSnapshot> observe(
            InstanceSnapshot snap,
            LxdApi client,
            LxdTarget instance,
            ExpiryRequest expiry,
            InstanceSnapshotPhase before,
            boolean mayUpdateExpiry) {
        InstanceSnapshotStatus status = snap.getStatus();
        long gen = generation(snap);
        // a periodic check of a Ready snapshot whose spec did not change: one listing of the instance
        // answers the checks of all its snapshots, and a status that did not change is not written
        boolean periodic = mayUpdateExpiry
                && before == InstanceSnapshotPhase.READY
                && status.getObservedGeneration() != null
                && status.getObservedGeneration() == gen;
        String was = periodic ? Serialization.asJson(status) : null;
        Snapshot s;
        try {
            s = periodic ? listed(client, instance, status.getSnapshotName()) : null;
            if (s == null) {
                s = client.getSnapshot(instance, status.getSnapshotName());
            }
        } catch (LxdException.NotFound e) {
            status.setPhase(InstanceSnapshotPhase.FAILED);
            status.setReadyToUse(false);
            String msg = "snapshot " + status.getSnapshotName() + " of " + instance
                    + " no longer exists on the server (deleted outside the operator, or expired)";
            boolean newly = !Reasons.SNAPSHOT_MISSING.equals(status.findCondition(Condition.READY)
                    .map(Condition::getReason)
                    .orElse(null));
            Conditions.set(status, gen, clock, Condition.READY, false, Reasons.SNAPSHOT_MISSING, msg);
            if (newly) {
                events.warning(snap, Reasons.SNAPSHOT_MISSING, msg);
            }
            return written(snap, was, instance);
        }
        boolean marked = CreationMark.carries(s, status);
        // with no expiry in the spec, the one LXD gives by default is applied once per spec change
        // (so removing expiresAt or ttl takes their expiry away), not on every resync: an expiry
        // changed on the server by hand stays until the spec changes again
        boolean unsetSinceSpecChange = !expiry.isSet() && !marked && !readyAtGeneration(status, gen);
        boolean needsCreationTime = marked || expiry.ttl() != null;
        if ((expiry.isSet() || marked || unsetSinceSpecChange) && (s.createdAt() != null || !needsCreationTime)) {
            // the mark of the creation is replaced by the expiry LXD would have given without it
            boolean known = true;
            Instant want = null;
            if (expiry.isSet()) {
                want = expiry.resolve(s.createdAt());
            } else {
                java.util.Map<String, String> config = defaultsConfig(client, instance);
                String rule = config == null ? null : config.get(CreationMark.KEY_EXPIRY);
                if (rule != null && !rule.isBlank()) {
                    // a volume snapshot of LXD 5.0 has no creation time to count the rule from
                    known = s.createdAt() != null;
                    want = known ? CreationMark.instanceDefault(config, s.createdAt()) : null;
                }
            }
            if (known && (marked || !sameSecond(want, s.expiresAt()))) {
                if (!mayUpdateExpiry) {
                    return null;
                }
                client.waitFor(client.updateSnapshotExpiry(instance, s.name(), want), OPERATION_TIMEOUT);
                s = client.getSnapshot(instance, s.name());
                if (before == InstanceSnapshotPhase.READY) {
                    events.normal(
                            snap,
                            "ExpiryUpdated",
                            "Expiry of snapshot " + s.name() + " set to " + (want == null ? "never" : want.toString()));
                }
            }
        }
        if (includesVolumes(snap) && !readyAtGeneration(status, gen)) {
            // the volume snapshots taken with it follow each change of the spec's expiry
            if (!mayUpdateExpiry) {
                if (!volumeExpiriesToUpdate(snap, client, expiry, s).isEmpty()) {
                    return null;
                }
            } else {
                updateVolumeExpiries(snap, client, expiry, s, before);
            }
        }
        status.setPhase(InstanceSnapshotPhase.READY);
        status.setSnapshotName(s.name());
        status.setCreationTime(Conditions.timestamp(s.createdAt()));
        status.setExpiresAt(Conditions.timestamp(s.expiresAt()));
        status.setStateful(s.stateful());
        status.setSize(s.size());
        status.setReadyToUse(true);
        status.setCreationRequestedAt(null);
        status.setCreationMark(null);
        Conditions.set(
                status,
                gen,
                clock,
                Condition.READY,
                true,
                Reasons.SNAPSHOT_READY,
                "Snapshot " + s.name() + " of " + instance + " exists on the server");
        if (before == InstanceSnapshotPhase.FAILED) {
            events.normal(snap, "Recovered", "Snapshot " + s.name() + " of " + instance + " is ready again");
        }
        if (s.createdAt() != null) {
            metrics.lastSuccess(
                    KIND, ns(snap), snap.getSpec().getRemoteRef().getName(), instance.toString(), s.createdAt());
        }
        return written(snap, was, instance);
    }

    /** The snapshot as a recent listing of its instance shows it, or null: not in it (read it directly). */
    private Snapshot listed(LxdApi client, LxdTarget instance, String name) {
        return name == null ? null : listings.find(client, instance, name);
    }

    /**
     * The status write of a check, and when the next one comes: at the instance's slot of the
     * {@link #RESYNC} interval, shared by all its snapshots. {@code was} is the status before a
     * periodic check (null otherwise); when nothing changed, nothing is written.
     */
    private UpdateControl<InstanceSnapshot> written(InstanceSnapshot snap, String was, LxdTarget instance) {
        Duration next = ResyncSlots.next(
                ns(snap) + "/" + snap.getSpec().getRemoteRef().getName() + "/"
                        + snap.getSpec().getProject() + "/" + instance,
                clock.instant(),
                RESYNC);
        if (was != null && was.equals(Serialization.asJson(snap.getStatus()))) {
            return UpdateControl.<InstanceSnapshot>noUpdate().rescheduleAfter(next);
        }
        return UpdateControl.patchStatus(snap).rescheduleAfter(next);
    }

    @Override
    public DeleteControl cleanup(InstanceSnapshot snap, Context<InstanceSnapshot> context) {
        InstanceSnapshotSpec spec = snap.getSpec();
        InstanceSnapshotStatus status = snap.getStatus();
        if (spec == null || spec.getDeletionPolicy() == DeletionPolicy.RETAIN || status == null) {
            return DeleteControl.defaultDelete();
        }
        if (status.getSnapshotName() == null && status.getCreationRequestedAt() == null) {
            return DeleteControl.defaultDelete();
        }
        if (ScheduleChildren.retainedBySchedule(snap) && Namespaces.terminating(kube, ns(snap))) {
            // a backup of a schedule with backupsOnDeletion: Retain outlives its namespace
            LOG.info(
                    "InstanceSnapshot {}/{}: LXD snapshot {} of {} kept: namespace is being deleted and schedule {} retains its"
                            + " backups (backupsOnDeletion: Retain)",
                    ns(snap),
                    snap.getMetadata().getName(),
                    status.getSnapshotName(),
                    spec.getInstance(),
                    ScheduleReconcilerBase.label(snap, ScheduleReconcilerBase.LABEL_SCHEDULE));
            return DeleteControl.defaultDelete();
        }
        showDeleting(snap);
        try {
            LxdApi client = connections
                    .connect(ns(snap), spec.getRemoteRef().getName(), spec.getProject())
                    .client();
            String name = status.getSnapshotName();
            if (status.getCreationRequestedAt() != null) {
                // the creation was never confirmed (deleted while creating, or cut off): the name in
                // the status may be someone else's snapshot; find what our attempt made, if anything
                Instant requestedAt = Instant.parse(status.getCreationRequestedAt());
                awaitRunningSnapshotCreations(snap, client, requestedAt);
                name = findOwn(snap, client, requestedAt).map(Snapshot::name).orElse(null);
                // so that a retry deletes exactly that one
                status.setSnapshotName(name);
                status.setCreationRequestedAt(null);
                status.setCreationMark(null);
                patchQuietly(snap);
            }
            if (name != null) {
                long t0 = System.nanoTime();
                try {
                    client.waitFor(
                            client.deleteSnapshot(
                                    target(snap),
                                    name,
                                    spec.getDiskVolumesMode() == null
                                            ? null
                                            : spec.getDiskVolumesMode().value()),
                            OPERATION_TIMEOUT);
                    metrics.operation(KIND, "delete", "success", Duration.ofNanos(System.nanoTime() - t0));
                    events.normal(snap, "Deleted", "Deleted snapshot " + name + " of " + label(snap));
                } catch (LxdException.NotFound e) {
                    // already gone: nothing to do
                }
            }
            deleteVolumeSnapshots(snap, client);
            return DeleteControl.defaultDelete();
        } catch (Exception e) {
            Failure f = Failure.from(e, "deleting snapshot " + status.getSnapshotName());
            if (Reasons.REMOTE_NOT_FOUND.equals(f.reason()) || Reasons.INSTANCE_NOT_FOUND.equals(f.reason())) {
                events.warning(snap, f.reason(), "Removed without deleting the LXD snapshot: " + f.getMessage());
                return DeleteControl.defaultDelete();
            }
            if (Reasons.CREDENTIALS_DELETED.equals(f.reason())) {
                // the namespace is being deleted and the server cannot be reached any more: say what stays there
                String what = status.getSnapshotName() != null
                        ? "LXD snapshot " + status.getSnapshotName()
                        : "the LXD snapshot this resource was creating (if any)";
                String msg = what + " of " + (snap.getSpec().getInstance() != null ? "instance " : "volume ")
                        + label(snap) + " was left on the server: " + f.getMessage();
                LOG.warn(
                        "InstanceSnapshot {}/{}: {}",
                        ns(snap),
                        snap.getMetadata().getName(),
                        msg);
                events.warning(snap, f.reason(), msg);
                return DeleteControl.defaultDelete();
            }
            if (e instanceof LxdException.NotFound) {
                return DeleteControl.defaultDelete();
            }
            int failures = status.getFailures() == null ? 1 : status.getFailures() + 1;
            LOG.warn(
                    "InstanceSnapshot {}/{}: cannot delete LXD snapshot yet: {}",
                    ns(snap),
                    snap.getMetadata().getName(),
                    f.getMessage());
            events.warning(snap, f.reason(), "Cannot delete the LXD snapshot yet (will retry): " + f.getMessage());
            return DeleteControl.noFinalizerRemoval()
                    .rescheduleAfter(
                            Backoff.delay(failures, Duration.ofMinutes(5)).toMillis());
        }
    }

    // ------------------------------------------------------------------ attached volumes

    static boolean includesVolumes(InstanceSnapshot snap) {
        return snap.getSpec().getAttachedVolumes() == AttachedVolumesMode.INCLUDE
                && snap.getSpec().getInstance() != null;
    }

    static boolean volumesDone(InstanceSnapshotStatus status) {
        return status.getVolumes() != null
                && status.getVolumes().stream().allMatch(v -> Boolean.TRUE.equals(v.getDone()));
    }

    /**
     * attachedVolumes: Include: one snapshot of each custom volume attached to the instance,
     * taken right after the instance's. The list, with every volume snapshot's name (the instance
     * snapshot's name, or that name with a number when the volume already has a snapshot so
     * called), is written to the status before the first one is created; a volume snapshot is
     * then this resource's by its recorded name, so a restart adopts what exists instead of
     * creating a second one, and deletion removes exactly these.
     */
    private void snapshotVolumes(InstanceSnapshot snap, LxdApi client, ExpiryRequest expiry) {
        InstanceSnapshotStatus status = snap.getStatus();
        String base = status.getSnapshotName();
        if (base == null) {
            return; // the instance snapshot comes first
        }
        if (status.getVolumes() == null) {
            List<IncludedVolume> plan = new java.util.ArrayList<>();
            Set<String> seen = new java.util.HashSet<>();
            for (VolumeAttachment a :
                    VolumeAttachment.of(client.getInstance(snap.getSpec().getInstance()))) {
                if (!seen.add(a.pool() + "/" + a.volume())) {
                    continue; // the same volume attached twice: one snapshot
                }
                IncludedVolume v = new IncludedVolume(a.device(), a.pool(), a.volume(), a.path());
                v.setSnapshotName(freeVolumeSnapshotName(client, a.target(), base));
                plan.add(v);
            }
            status.setVolumes(plan);
            Conditions.set(
                    status,
                    generation(snap),
                    clock,
                    Condition.READY,
                    false,
                    Reasons.CREATING,
                    "Creating snapshot " + base + " of instance " + label(snap) + " and of its " + plan.size()
                            + " attached volume(s)");
            StatusWriter.patchStatus(kube, snap);
            CrashPoints.reached(CrashPoints.SNAPSHOT_VOLUMES_PLANNED, snap);
        }
        boolean expirySettable = client.server().hasExtension(Capabilities.EXT_CUSTOM_VOLUME_SNAPSHOT_EXPIRY);
        Instant requested = status.getCreationRequestedAt() == null
                ? client.serverTime()
                : Instant.parse(status.getCreationRequestedAt());
        for (IncludedVolume v : status.getVolumes()) {
            if (Boolean.TRUE.equals(v.getDone())) {
                continue;
            }
            VolumeTarget t = new VolumeTarget(v.getPool(), v.getName());
            if (!client.snapshotExists(t, v.getSnapshotName())) {
                Instant at = expirySettable && expiry.isSet() && !expiry.never() ? expiry.resolve(requested) : null;
                try {
                    client.waitFor(
                            client.createSnapshot(
                                    t,
                                    new LxdClient.SnapshotRequest(
                                            v.getSnapshotName(), false, at, expirySettable && expiry.never(), null)),
                            OPERATION_TIMEOUT);
                } catch (LxdException.AlreadyExists e) {
                    // our own earlier request finished meanwhile: the name was recorded as ours
                } catch (LxdException.NotFound e) {
                    throw Failure.permanent(
                            Reasons.VOLUME_NOT_FOUND,
                            "volume " + t + " (device " + v.getDevice() + " of instance " + label(snap)
                                    + ") disappeared before its snapshot; the instance snapshot " + base
                                    + " was taken: attach the volume again and create a new InstanceSnapshot");
                }
                events.normal(snap, "Created", "Created snapshot " + v.getSnapshotName() + " of volume " + t);
                CrashPoints.reached(CrashPoints.SNAPSHOT_VOLUME_CREATED, snap);
            }
            Snapshot s = client.getSnapshot(t, v.getSnapshotName());
            v.setSize(s.size());
            v.setDone(true);
            StatusWriter.patchStatus(kube, snap);
            CrashPoints.reached(CrashPoints.SNAPSHOT_VOLUME_DONE, snap);
        }
        VolumesNotIncluded.included(snap, status, status.getVolumes(), label(snap), "snapshot", clock);
    }

    /**
     * The included volume snapshots (status.volumes) whose expiry on the server differs from what
     * the spec asks for, with the expiry each should have: the spec's expiresAt or ttl counted from
     * the instance snapshot's creation (they were taken together, and expire together), never for
     * noExpiry, and without any of them the default LXD gives a new snapshot of that volume (its
     * {@code snapshots.expiry}, counted from the volume snapshot's creation, or the instance
     * snapshot's where LXD keeps none), as for the instance snapshot. Volumes or volume snapshots
     * gone from the server are left out; so is everything on a server that cannot set a volume
     * snapshot's expiry.
     */
    private static Map<IncludedVolume, Optional<Instant>> volumeExpiriesToUpdate(
            InstanceSnapshot snap, LxdApi client, ExpiryRequest expiry, Snapshot instanceSnapshot) {
        Map<IncludedVolume, Optional<Instant>> out = new java.util.LinkedHashMap<>();
        List<IncludedVolume> volumes = snap.getStatus().getVolumes();
        if (volumes == null
                || instanceSnapshot.createdAt() == null
                || !client.server()
                        .hasExtension(io.lxdbackup.operator.lxd.Capabilities.EXT_CUSTOM_VOLUME_SNAPSHOT_EXPIRY)) {
            return out;
        }
        for (IncludedVolume v : volumes) {
            if (!Boolean.TRUE.equals(v.getDone()) || v.getSnapshotName() == null) {
                continue;
            }
            VolumeTarget t = new VolumeTarget(v.getPool(), v.getName());
            Snapshot vs;
            Instant want;
            try {
                vs = client.getSnapshot(t, v.getSnapshotName());
                if (expiry.isSet()) {
                    want = expiry.resolve(instanceSnapshot.createdAt());
                } else {
                    want = CreationMark.instanceDefault(
                            client.getVolume(v.getPool(), v.getName()).config(),
                            vs.createdAt() != null ? vs.createdAt() : instanceSnapshot.createdAt());
                }
            } catch (LxdException.NotFound e) {
                continue; // the volume or its snapshot is gone: nothing to update
            }
            if (!sameSecond(want, vs.expiresAt())) {
                out.put(v, Optional.ofNullable(want));
            }
        }
        return out;
    }

    /** Sets the expiry of each included volume snapshot that differs (see {@link #volumeExpiriesToUpdate}). */
    private void updateVolumeExpiries(
            InstanceSnapshot snap,
            LxdApi client,
            ExpiryRequest expiry,
            Snapshot instanceSnapshot,
            InstanceSnapshotPhase before) {
        for (Map.Entry<IncludedVolume, Optional<Instant>> e :
                volumeExpiriesToUpdate(snap, client, expiry, instanceSnapshot).entrySet()) {
            IncludedVolume v = e.getKey();
            VolumeTarget t = new VolumeTarget(v.getPool(), v.getName());
            Instant want = e.getValue().orElse(null);
            try {
                client.waitFor(client.updateSnapshotExpiry(t, v.getSnapshotName(), want), OPERATION_TIMEOUT);
            } catch (LxdException.NotFound ex) {
                continue; // deleted meanwhile
            }
            if (before == InstanceSnapshotPhase.READY) {
                events.normal(
                        snap,
                        "ExpiryUpdated",
                        "Expiry of snapshot " + v.getSnapshotName() + " of volume " + t + " set to "
                                + (want == null ? "never" : want.toString()));
            }
        }
    }

    /** {@code base}, or {@code base-2}, {@code base-3}, ... when the volume already has a snapshot so called. */
    private static String freeVolumeSnapshotName(LxdApi client, VolumeTarget vol, String base) {
        Set<String> taken =
                client.listSnapshots(vol).stream().map(Snapshot::name).collect(Collectors.toSet());
        String name = base;
        for (int i = 2; taken.contains(name); i++) {
            name = base + "-" + i;
        }
        return name;
    }

    /** Deletes the volume snapshots this resource recorded in status.volumes, and only those. */
    private void deleteVolumeSnapshots(InstanceSnapshot snap, LxdApi client) {
        List<IncludedVolume> volumes = snap.getStatus().getVolumes();
        if (volumes == null) {
            return;
        }
        for (IncludedVolume v : volumes) {
            if (v.getSnapshotName() == null) {
                continue;
            }
            VolumeTarget t = new VolumeTarget(v.getPool(), v.getName());
            try {
                client.waitFor(client.deleteSnapshot(t, v.getSnapshotName()), OPERATION_TIMEOUT);
                events.normal(snap, "Deleted", "Deleted snapshot " + v.getSnapshotName() + " of volume " + t);
            } catch (LxdException.NotFound e) {
                // already gone, or the volume is: nothing to do
            }
        }
    }

    /** Phase Deleting while the LXD snapshot is removed (or cannot be yet). */
    private void showDeleting(InstanceSnapshot snap) {
        InstanceSnapshotStatus status = snap.getStatus();
        if (status.getPhase() == InstanceSnapshotPhase.DELETING) {
            return;
        }
        status.setPhase(InstanceSnapshotPhase.DELETING);
        status.setReadyToUse(false);
        patchQuietly(snap);
    }

    /** A status write during deletion: a failure is logged, the deletion goes on (or is retried). */
    private void patchQuietly(InstanceSnapshot snap) {
        try {
            StatusWriter.patchStatus(kube, snap);
        } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
            LOG.debug(
                    "InstanceSnapshot {}/{}: status write during deletion failed: HTTP {}",
                    ns(snap),
                    snap.getMetadata().getName(),
                    e.getCode());
        }
    }

    /** Whether the Ready condition is True for the current spec (generation). */
    static boolean readyAtGeneration(InstanceSnapshotStatus status, long gen) {
        return status.findCondition(Condition.READY)
                .map(c -> Condition.TRUE.equals(c.getStatus())
                        && c.getObservedGeneration() != null
                        && c.getObservedGeneration() == gen)
                .orElse(false);
    }

    /** The config whose {@code snapshots.expiry} LXD applies to a new snapshot of the target. */
    private static java.util.Map<String, String> defaultsConfig(LxdApi client, LxdTarget target) {
        return target instanceof VolumeTarget vol
                ? client.getVolume(vol.pool(), vol.name()).config()
                : client.getInstance(target.name()).expandedConfig();
    }

    private static boolean sameSecond(Instant a, Instant b) {
        if (a == null || b == null) {
            return a == b;
        }
        return Math.abs(a.getEpochSecond() - b.getEpochSecond()) < 1;
    }

    /** The instance name, or pool/volume, for messages; safe on an invalid spec. */
    static String label(InstanceSnapshot s) {
        if (s.getSpec() == null) {
            return "?";
        }
        return s.getSpec().getInstance() != null
                ? s.getSpec().getInstance()
                : String.valueOf(s.getSpec().getVolume());
    }

    static LxdTarget target(InstanceSnapshot s) {
        return Targets.of(s.getSpec().getInstance(), s.getSpec().getVolume());
    }

    /**
     * The name for a volume snapshot the spec leaves to the server's pattern. LXD 5.0 keeps no
     * creation time on volume snapshots, so a server-named one could not be found again after a
     * restart: the name is chosen here by the volume's snapshots.pattern and recorded first.
     */
    private static String nextVolumeSnapshotName(LxdApi client, VolumeTarget vol) {
        String pattern = client.getVolume(vol.pool(), vol.name()).config().get("snapshots.pattern");
        if (!VolumeSnapshotNames.supported(pattern)) {
            throw Failure.permanent(
                    Reasons.INVALID_SPEC,
                    "volume " + vol + " has snapshots.pattern " + pattern
                            + ", a template only the server renders; set spec.snapshotName, or use a %d pattern such as snap%d");
        }
        return VolumeSnapshotNames.next(
                pattern, client.listSnapshots(vol).stream().map(Snapshot::name).toList());
    }

    /** The %d name pattern a schedule left to this resource, or null. */
    static String namePattern(InstanceSnapshot snap) {
        java.util.Map<String, String> a = snap.getMetadata().getAnnotations();
        String p = a == null ? null : blankToNull(a.get(ANNOTATION_NAME_PATTERN));
        return p != null && p.contains("%d") ? p : null;
    }

    /**
     * The name LXD's snapshots.pattern rule gives the next snapshot under {@code pattern}: its one
     * {@code %d} replaced by one more than the highest number already in use on the instance.
     */
    private static String nextPatternName(LxdApi client, LxdTarget instance, String pattern) {
        if (!VolumeSnapshotNames.supported(pattern)) {
            throw Failure.permanent(
                    Reasons.INVALID_SPEC,
                    "snapshot name pattern " + pattern + " must contain %d at most once and no '/'");
        }
        return VolumeSnapshotNames.next(
                pattern,
                client.listSnapshots(instance).stream().map(Snapshot::name).toList());
    }

    static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    static String ns(InstanceSnapshot s) {
        return s.getMetadata().getNamespace();
    }

    static long generation(InstanceSnapshot s) {
        return s.getMetadata().getGeneration() == null ? 0 : s.getMetadata().getGeneration();
    }
}
