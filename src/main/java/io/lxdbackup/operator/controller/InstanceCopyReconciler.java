package io.lxdbackup.operator.controller;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.lxdbackup.operator.api.v1alpha1.AutostartSettings;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.CopyMode;
import io.lxdbackup.operator.api.v1alpha1.InstanceCopy;
import io.lxdbackup.operator.api.v1alpha1.InstanceCopyPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceCopySpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceCopyStatus;
import io.lxdbackup.operator.api.v1alpha1.RefreshStrategy;
import io.lxdbackup.operator.api.v1alpha1.SyncKind;
import io.lxdbackup.operator.lxd.Instance;
import io.lxdbackup.operator.lxd.LxdApi;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.lxd.LxdException;
import io.lxdbackup.operator.lxd.Operation;
import io.lxdbackup.operator.lxd.RelayCopy;
import io.lxdbackup.operator.lxd.Snapshot;
import io.lxdbackup.operator.metrics.OperatorMetrics;
import io.lxdbackup.operator.schedule.CronSchedule;
import io.lxdbackup.operator.schedule.InvalidScheduleException;
import io.lxdbackup.operator.transfer.TransferLimiter;
import io.lxdbackup.operator.transfer.TransferLimits;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies an instance to another LXD server once, or again on a schedule ({@code lxc copy} and
 * {@code lxc copy --refresh} as a resource). See {@code docs/instance-copy.md} for the user's view.
 *
 * <h2>Modes</h2>
 * {@code pull} (default): the target server connects to the source's URL and pulls; the source
 * remote must be https. {@code push}: the source connects to the target's URL; the target remote
 * must be https. {@code relay}: neither server reaches the other; the operator streams an LXD
 * backup of the source straight into an import on the target ({@link RelayCopy}: no temporary
 * file, no buffering). LXD cannot import incrementally, so a relay copy is always a full copy.
 *
 * <h2>Safety</h2>
 * <ul>
 *   <li>The target is never started, and gets {@code boot.autostart=false} so that a restart of
 *       the backup server does not start it either.
 *   <li>An instance the copy did not make (no {@link CopyNames#OWNER_KEY} mark of this resource)
 *       is never written, renamed or deleted: a taken target name is {@code AlreadyExists}, also
 *       when it is taken while a copy runs (checked again at the swap; the finished staging copy
 *       is kept). A relay import carries no mark until it is complete, so an unmarked staging
 *       instance is never deleted either. With {@code refresh: false} the target is never
 *       overwritten: once our copy exists, a new generation is {@code AlreadyExists} and copies
 *       nothing (the generation that made it stays {@code Synced}).
 *   <li>A full copy (the first one, every relay copy) goes to the staging instance
 *       {@code <target>-lxdbackup-tmp} and is renamed to the target name only after LXD reported
 *       success and the operator marked it complete ({@link CopyNames#SYNC_KEY}). A failed copy
 *       leaves the previous copy untouched.
 *   <li>Refresh: on LXD 5.0.2 a failed {@code copy --refresh} leaves the target's root volume
 *       half-written (rsync stops in the middle of a file) while its snapshots stay intact.
 *       {@code refreshStrategy: Staging} (default) therefore refreshes a local copy of the target
 *       in the staging instance and swaps it in on success, at the price of one local copy on the
 *       target server per refresh. {@code InPlace} refreshes the target itself; the target is
 *       marked {@code refreshing:<syncId>} meanwhile, and an interrupted refresh is reported
 *       ({@code RefreshIncomplete}) and repeated.
 * </ul>
 *
 * <h2>Crash safety</h2>
 * Before any LXD call the intent is written to the status ({@code Copying}, {@code syncId},
 * {@code copyRequestedAt}, the staging name); the LXD operation ids follow as soon as LXD
 * accepted the copy. Copies are waited for in slices of {@link #WAIT_SLICE}, so no reconcile
 * thread is held for hours and a restarted operator picks up where the old one stopped: it waits
 * for the copy still running on the server by its recorded operation id and uses its result; it
 * swaps in a staging instance that carries this copy's {@code syncId} (complete); it waits for any
 * unrecorded operation still running on the staging instance to end, never copying next to it;
 * and it deletes a staging instance without the {@code syncId} (half-copied, never trusted) and
 * copies again. The relay's LXD backup is deleted as soon as it
 * is uploaded, and after a restart if it is still recorded.
 *
 * <h2>Snapshots</h2>
 * A refresh on LXD 5.0.2 mirrors the source's snapshot list: snapshots deleted on the source (and
 * snapshots made on the target by hand) are deleted on the target. The status lists what each copy
 * transferred and what it removed.
 *
 * <h2>Status writes</h2>
 * A copy writes its status several times per reconcile, so every write goes through
 * {@link StatusWriter#replaceStatus} (fields cleared are removed on the server) and reconcile
 * returns {@code noUpdate}. Each reconcile starts from the resource as the API server has it, not
 * the informer cache, so it never acts on a status older than its own last write.
 *
 * <h2>Relay copies run off the reconcile threads</h2>
 * A relay copy, once admitted, runs on the transfer threads ({@link TransferJobs}); its reconcile
 * returns at once and the resource is reconciled again when the relay ends. A deletion, a new
 * spec that changes the transfer (also {@code suspend} and {@code promote}; not one that only
 * changes when later copies run, see {@link RelayJob#endedBy}) and the operator's stop first
 * stop the running relay ({@link RelayCopy.Stopped}: its backup and any instance its import made
 * are deleted) and wait for it to end; only then does the deletion clean up, or the new spec take
 * over. A relay stopped for a deletion writes no status.
 */
@ControllerConfiguration(name = "instancecopy")
public class InstanceCopyReconciler implements Reconciler<InstanceCopy>, Cleaner<InstanceCopy>, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(InstanceCopyReconciler.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    static final String KIND = "InstanceCopy";
    /** When a permanently failed copy is tried again (something may have been fixed by hand). */
    static final Duration RESYNC = Duration.ofMinutes(10);

    static final Duration BACKOFF_CAP = Duration.ofMinutes(5);
    /** Longest a running copy is waited for in one reconcile. */
    static final Duration WAIT_SLICE = Duration.ofSeconds(10);
    /** Steps waited for in one go: the local copy of a staged refresh (in a reconcile), the relay (on a transfer thread). */
    static final Duration OPERATION_TIMEOUT = Duration.ofHours(12);

    static final Duration SHORT = Duration.ofMinutes(2);

    private final KubernetesClient kube;
    private final RemoteConnections connections;
    private final EventRecorder events;
    private final OperatorMetrics metrics;
    private final Clock clock;
    private final Transfers transfers;
    /** Relay copies running on the transfer threads, by resource uid. */
    private final TransferJobs<InstanceCopy> jobs;
    /** How each running relay is stopped, by resource uid. */
    private final Map<String, RelayJob> relays = new ConcurrentHashMap<>();

    private volatile boolean closing;

    /** Why a running relay is asked to stop. */
    enum StopReason {
        /** The resource is being deleted: nothing is written, the clean-up follows. */
        DELETED,
        /** A new generation of the spec: the unfinished copy ends, the new spec decides. */
        SPEC_CHANGED,
        /** The operator stops: the recorded intent is resumed by the next one. */
        SHUTDOWN
    }

    /** A relay running for the spec it was started with; {@link #stop} is seen at its next step. */
    static final class RelayJob {
        final long generation;
        final InstanceCopySpec spec;
        private volatile StopReason stop;

        RelayJob(long generation, InstanceCopySpec spec) {
            this.generation = generation;
            this.spec = spec;
        }

        /**
         * Whether a new spec ends this relay: suspending or promoting the copy, or any change to what
         * is copied, from where, to where or how. A change that only says when later copies run
         * ({@code schedule}, {@code timeZone}, {@code startingDeadlineSeconds}) or how a later
         * promotion starts the copy ({@code startOnPromote}) lets a long relay finish.
         */
        boolean endedBy(InstanceCopySpec now) {
            if (Boolean.TRUE.equals(now.getSuspend()) || Boolean.TRUE.equals(now.getPromote())) {
                return true;
            }
            return !transferOf(now).equals(transferOf(spec));
        }

        private static JsonNode transferOf(InstanceCopySpec s) {
            ObjectNode n = MAPPER.valueToTree(s);
            n.remove(List.of("schedule", "timeZone", "startingDeadlineSeconds", "startOnPromote"));
            return n;
        }

        void stop(StopReason why) {
            if (stop == null || why == StopReason.DELETED) {
                stop = why;
            }
        }

        StopReason stopped() {
            return stop;
        }
    }

    public InstanceCopyReconciler(
            KubernetesClient kube,
            RemoteConnections connections,
            EventRecorder events,
            OperatorMetrics metrics,
            Clock clock) {
        this(kube, connections, events, metrics, clock, new TransferLimiter(TransferLimits.defaults(), clock));
    }

    public InstanceCopyReconciler(
            KubernetesClient kube,
            RemoteConnections connections,
            EventRecorder events,
            OperatorMetrics metrics,
            Clock clock,
            TransferLimiter transfers) {
        this.transfers = new Transfers(transfers);
        this.jobs = new TransferJobs<>(transfers.executor());
        this.kube = kube;
        this.connections = connections;
        this.events = events;
        this.metrics = metrics;
        this.clock = clock;
    }

    /** The spec, validated and with defaults applied. */
    record Plan(
            String instance,
            String target,
            CopyMode mode,
            RefreshStrategy strategy,
            boolean refresh,
            boolean instanceOnly,
            String pool,
            CronSchedule schedule,
            Long deadline,
            boolean suspend,
            VolumeCopy.Request volume) {
        String staging() {
            return CopyNames.staging(target);
        }

        String previous() {
            return CopyNames.previous(target);
        }
    }

    /** Both servers of a copy, each in its project. */
    record Sides(LxdApi source, LxdApi target, String sourceRemote, String targetRemote) {}

    /** How the data gets to the target. */
    enum Path {
        /** No copy of ours yet: full copy into the staging instance, renamed to the target. */
        FULL,
        /** Full copy into staging, then swapped with our existing copy (relay refresh). */
        FULL_REPLACE,
        /** Local copy of the target into staging, refreshed from the source, swapped in. */
        STAGED_REFRESH,
        /** The target itself refreshed from the source. */
        IN_PLACE;

        boolean full() {
            return this == FULL || this == FULL_REPLACE;
        }
    }

    @Override
    public List<EventSource<?, InstanceCopy>> prepareEventSources(EventSourceContext<InstanceCopy> context) {
        return List.of(jobs.eventSource());
    }

    @Override
    public UpdateControl<InstanceCopy> reconcile(InstanceCopy received, Context<InstanceCopy> context) {
        String uid = received.getMetadata().getUid();
        RelayJob running = relays.get(uid);
        if (running != null
                && jobs.running(uid)
                && generation(received) != running.generation
                && running.endedBy(received.getSpec())) {
            // a new spec that changes the transfer (suspend and promote included) stops the relay
            // first; its end reconciles again
            running.stop(StopReason.SPEC_CHANGED);
        }
        long startedAt =
                jobs.startedWith(uid).map(InstanceCopyReconciler::generation).orElse(generation(received));
        Optional<UpdateControl<InstanceCopy>> relaying = jobs.poll(received);
        if (relaying.isPresent() && (jobs.running(uid) || startedAt == generation(received))) {
            // running: nothing to do here; ended: its outcome (its status is written), as if this
            // reconcile had run it
            return relaying.get();
        }
        // no relay, or one that ended under an older spec it let finish (a new schedule, say): its
        // status is written, and the current spec decides what comes next
        InstanceCopy copy = latest(received);
        if (copy == null) {
            return UpdateControl.noUpdate();
        }
        InstanceCopyStatus status = copy.getStatus() != null ? copy.getStatus() : new InstanceCopyStatus();
        copy.setStatus(status);
        if (status.getPhase() == null) {
            status.setPhase(InstanceCopyPhase.PENDING);
        }
        InstanceCopyStatus was = MAPPER.convertValue(status, InstanceCopyStatus.class);
        try {
            Plan plan = validate(copy.getSpec());
            if (Boolean.TRUE.equals(copy.getSpec().getPromote()) || status.getPromotedTime() != null) {
                return promotion(copy, plan, was);
            }
            if (status.getSyncId() != null) {
                Sides sides = connect(copy, plan);
                return relayed(copy, plan, sides, was, () -> resume(copy, plan, sides));
            }
            return idle(copy, plan, was);
        } catch (Exception e) {
            return outcome(copy, e, was);
        }
    }

    /** A reconcile's or a relay's failure (or wait) as the status and the next attempt. */
    private UpdateControl<InstanceCopy> outcome(InstanceCopy copy, Exception e, InstanceCopyStatus was) {
        if (e instanceof Transfers.Queued q) {
            Transfers.markQueued(copy.getStatus(), generation(copy), clock, Condition.SYNCED, q.getMessage());
            return write(copy, was, Transfers.nextPoll());
        }
        return failed(copy, e, was);
    }

    /**
     * A relay copy streams through the operator: it runs within a transfer permit (or waits,
     * {@link Transfers.Queued}, before anything is recorded), on the transfer threads; a later
     * reconcile returns its outcome. Pull and push copies run between the servers and need none.
     */
    private UpdateControl<InstanceCopy> relayed(
            InstanceCopy copy,
            Plan plan,
            Sides sides,
            InstanceCopyStatus was,
            java.util.function.Supplier<UpdateControl<InstanceCopy>> work) {
        if (plan.mode() != CopyMode.RELAY) {
            return work.get();
        }
        String uid = copy.getMetadata().getUid();
        TransferLimiter.Permit permit =
                transfers.admit(uid, KIND, ns(copy), sides.sourceRemote(), Transfers.STREAM_MEMORY);
        RelayJob job = new RelayJob(generation(copy), MAPPER.convertValue(copy.getSpec(), InstanceCopySpec.class));
        relays.put(uid, job);
        try {
            jobs.start(copy, () -> {
                try (permit) {
                    if (closing) {
                        job.stop(StopReason.SHUTDOWN);
                    }
                    return work.get();
                } catch (Exception e) {
                    // only a relay that ended because it was stopped is a stop; any other failure is the
                    // outcome, and its recorded intent is what the clean-up or the next attempt go by
                    return e instanceof RelayCopy.Stopped && job.stopped() != null
                            ? stopped(copy, plan, sides, job.stopped())
                            : outcome(copy, e, was);
                } finally {
                    relays.remove(uid, job);
                }
            });
        } catch (RuntimeException e) {
            relays.remove(uid, job);
            permit.close();
            throw e;
        }
        return UpdateControl.<InstanceCopy>noUpdate().rescheduleAfter(TransferJobs.RUNNING_POLL);
    }

    /**
     * Whether the relay of {@code copy} running on this thread is to end now. The operator's own stop
     * ends it only until the target accepted the import: an import under way is waited for and its
     * operation recorded, so the next operator finishes the copy instead of doing it again.
     */
    private boolean relayEnds(InstanceCopy copy, boolean importAccepted) {
        RelayJob j = relays.get(copy.getMetadata().getUid());
        StopReason why = j == null ? null : j.stopped();
        return why != null && !(why == StopReason.SHUTDOWN && importAccepted);
    }

    /** Whether the relay of {@code copy} running on this thread was asked to stop. */
    private boolean stopRequested(InstanceCopy copy) {
        RelayJob j = relays.get(copy.getMetadata().getUid());
        return j != null && j.stopped() != null;
    }

    /**
     * A relay that was asked to stop has ended ({@link RelayCopy} deleted its backup and what its
     * import made). Deleted: nothing is written, the clean-up reads the status from here. A new
     * spec: the unfinished copy is over and the next reconcile decides by the new spec. Shutdown:
     * the recorded intent stays for the next operator.
     */
    private UpdateControl<InstanceCopy> stopped(InstanceCopy copy, Plan plan, Sides sides, StopReason why) {
        InstanceCopyStatus st = copy.getStatus();
        if (why == StopReason.SHUTDOWN) {
            LOG.info("InstanceCopy {}/{}: relay stopped by the operator's stop", ns(copy), name(copy));
            return UpdateControl.noUpdate();
        }
        boolean backupLeft = false;
        if (st.getBackupName() != null) {
            try {
                RelayCopy.deleteBackup(sides.source(), plan.instance(), st.getBackupName());
                st.setBackupName(null);
            } catch (RuntimeException e) {
                backupLeft = true;
            }
        }
        if (why == StopReason.DELETED) {
            if (!backupLeft) {
                clearIntent(st); // the clean-up finds nothing left; otherwise it deletes the backup
            }
            LOG.info("InstanceCopy {}/{}: relay stopped for the deletion", ns(copy), name(copy));
            return UpdateControl.noUpdate();
        }
        String backup = st.getBackupName();
        clearIntent(st);
        st.setPhase(
                st.getLastSuccessfulSyncTime() == null
                        ? InstanceCopyPhase.PENDING
                        : st.isConditionTrue(Condition.SYNCED) ? InstanceCopyPhase.SYNCED : InstanceCopyPhase.FAILED);
        String msg = "The spec changed while a relay copy ran: the unfinished copy was stopped and removed"
                + (backup == null
                        ? ""
                        : "; relay backup " + backup + " may be left on the source, LXD deletes it after a day")
                + "; the new spec decides the next copy";
        if (!st.isConditionTrue(Condition.SYNCED)) {
            Conditions.set(st, generation(copy), clock, Condition.SYNCED, false, Reasons.COPYING, msg);
        }
        events.normal(copy, "CopyStopped", msg);
        writeQuietly(copy);
        return UpdateControl.<InstanceCopy>noUpdate().rescheduleAfter(Duration.ofSeconds(1));
    }

    /** Stops running relays at shutdown; the next operator resumes them from the recorded intent. */
    @Override
    public void close() {
        closing = true;
        relays.values().forEach(j -> j.stop(StopReason.SHUTDOWN));
    }

    // ------------------------------------------------------------------ deciding

    private UpdateControl<InstanceCopy> idle(InstanceCopy copy, Plan plan, InstanceCopyStatus was) {
        InstanceCopyStatus st = copy.getStatus();
        Instant now = clock.instant();
        if (!plan.suspend() && st.getPhase() == InstanceCopyPhase.SUSPENDED) {
            st.setResumeTime(Conditions.timestamp(now));
            st.setPhase(
                    st.getLastSuccessfulSyncTime() == null
                            ? InstanceCopyPhase.PENDING
                            : st.isConditionTrue(Condition.SYNCED)
                                    ? InstanceCopyPhase.SYNCED
                                    : InstanceCopyPhase.FAILED);
            events.normal(
                    copy,
                    "Resumed",
                    "Copies start again"
                            + (plan.schedule() == null
                                    ? ""
                                    : " on schedule " + plan.schedule().expression()));
        }
        CopyTrigger t = CopyTrigger.decide(plan.schedule(), plan.suspend(), plan.deadline(), history(copy), now);
        st.setNextSyncTime(
                t.nextSyncTime().map(z -> Conditions.timestamp(z.toInstant())).orElse(null));
        st.setObservedGeneration(generation(copy));
        if (plan.suspend()) {
            if (st.getPhase() != InstanceCopyPhase.SUSPENDED) {
                st.setPhase(InstanceCopyPhase.SUSPENDED);
                st.setNextRetryTime(null);
                events.normal(copy, Reasons.SUSPENDED, "No copies start while spec.suspend is true");
            }
            return write(copy, was, null);
        }
        recordMissed(copy, t);
        if (!t.run()) {
            return write(copy, was, t.requeueAfter().orElse(null));
        }
        Sides sides = connect(copy, plan);
        return relayed(copy, plan, sides, was, () -> start(copy, plan, sides, t));
    }

    /**
     * Missed scheduled times, recorded as the schedules record them: {@code missedRuns},
     * {@code lastMissedTime}, a {@code MissedRuns} event, and a time past its deadline counts as
     * decided ({@code lastScheduleTime}) so that it is reported once and never run.
     */
    private void recordMissed(InstanceCopy copy, CopyTrigger t) {
        if (copy.getSpec() != null && copy.getSpec().getSchedule() != null) {
            metrics.missedRuns(KIND, ns(copy), name(copy), t.missedRuns());
        }
        if (t.missedRuns() <= 0) {
            return;
        }
        InstanceCopyStatus st = copy.getStatus();
        st.setMissedRuns(t.missedRuns());
        st.setLastMissedTime(t.lastMissedTime().map(Conditions::timestamp).orElse(null));
        if (t.deadlinePassed()
                && t.scheduledTime().isEmpty()
                && t.lastMissedTime().isPresent()) {
            Instant recorded = time(st.getLastScheduleTime());
            if (recorded == null || recorded.isBefore(t.lastMissedTime().get())) {
                st.setLastScheduleTime(Conditions.timestamp(t.lastMissedTime().get()));
            }
        }
        events.warning(
                copy,
                "MissedRuns",
                t.missedRuns() + " scheduled copy time(s) missed (latest "
                        + st.getLastMissedTime() + "); "
                        + (t.deadlinePassed()
                                ? "past startingDeadlineSeconds, not run"
                                : "running the latest one late"));
    }

    private CopyTrigger.History history(InstanceCopy copy) {
        InstanceCopyStatus st = copy.getStatus();
        long gen = generation(copy);
        Optional<Condition> synced = st.findCondition(Condition.SYNCED);
        boolean atGen =
                synced.map(c -> Objects.equals(c.getObservedGeneration(), gen)).orElse(false);
        Instant created = time(copy.getMetadata().getCreationTimestamp());
        return new CopyTrigger.History(
                created == null ? clock.instant() : created,
                time(st.getLastScheduleTime()),
                time(st.getResumeTime()),
                st.getLastSuccessfulSyncTime() != null,
                atGen && synced.get().isTrue(),
                st.getPhase() == InstanceCopyPhase.FAILED,
                atGen,
                time(st.getNextRetryTime()));
    }

    static Plan validate(InstanceCopySpec spec) {
        if (spec == null) {
            throw Failure.permanent(Reasons.INVALID_SPEC, "spec is required");
        }
        if (spec.getSourceRemoteRef() == null || blank(spec.getSourceRemoteRef().getName())) {
            throw Failure.permanent(Reasons.INVALID_SPEC, "spec.sourceRemoteRef.name is required");
        }
        if (spec.getTargetRemoteRef() == null || blank(spec.getTargetRemoteRef().getName())) {
            throw Failure.permanent(Reasons.INVALID_SPEC, "spec.targetRemoteRef.name is required");
        }
        VolumeCopy.Request volume = volumeRequest(spec);
        String source = volume != null ? volume.source().toString() : spec.getInstance();
        String target = volume != null
                ? volume.target().toString()
                : blank(spec.getTargetInstance()) ? spec.getInstance() : spec.getTargetInstance();
        if (spec.getSourceRemoteRef().getName().equals(spec.getTargetRemoteRef().getName())
                && Objects.equals(blankToNull(spec.getSourceProject()), blankToNull(spec.getTargetProject()))
                && source.equals(target)) {
            throw Failure.permanent(
                    Reasons.INVALID_SPEC,
                    "source and target are the same instance; set spec.targetInstance,"
                            + " spec.targetProject or another spec.targetRemoteRef");
        }
        boolean refresh = !Boolean.FALSE.equals(spec.getRefresh());
        CronSchedule schedule = null;
        if (!blank(spec.getSchedule())) {
            try {
                schedule = CronSchedule.parse(spec.getSchedule(), spec.getTimeZone());
            } catch (InvalidScheduleException e) {
                throw Failure.permanent(Reasons.INVALID_SCHEDULE, e.getMessage() + " (spec.schedule, spec.timeZone)");
            }
            if (!refresh) {
                throw Failure.permanent(
                        Reasons.INVALID_SPEC,
                        "a schedule repeats the copy onto the same target instance,"
                                + " which needs refresh: true; remove spec.schedule or set spec.refresh to true");
            }
        }
        if (Boolean.TRUE.equals(spec.getPromote()) && volume != null) {
            throw Failure.permanent(
                    Reasons.INVALID_SPEC,
                    "spec.promote applies to instance copies; a volume has nothing to start:"
                            + " remove spec.promote, and set spec.suspend to true to stop refreshing the volume");
        }
        if (spec.getStartingDeadlineSeconds() != null && spec.getStartingDeadlineSeconds() < 0) {
            throw Failure.permanent(Reasons.INVALID_SPEC, "spec.startingDeadlineSeconds must be 0 or more");
        }
        return new Plan(
                source,
                target,
                spec.getMode() == null ? CopyMode.PULL : spec.getMode(),
                spec.getRefreshStrategy() == null ? RefreshStrategy.STAGING : spec.getRefreshStrategy(),
                refresh,
                Boolean.TRUE.equals(spec.getInstanceOnly()),
                blankToNull(spec.getTargetStoragePool()),
                schedule,
                spec.getStartingDeadlineSeconds(),
                Boolean.TRUE.equals(spec.getSuspend()),
                volume);
    }

    /** The volume copy the spec asks for ({@link VolumeCopy}), or null for an instance copy. */
    private static VolumeCopy.Request volumeRequest(InstanceCopySpec spec) {
        io.lxdbackup.operator.lxd.LxdTarget source = Targets.of(spec.getInstance(), spec.getVolume());
        if (!(source instanceof io.lxdbackup.operator.lxd.VolumeTarget v)) {
            return null;
        }
        if (spec.getMode() != null && spec.getMode() != CopyMode.PULL) {
            throw Failure.permanent(
                    Reasons.INCOMPATIBLE_MODE,
                    "a volume is copied in pull mode (the target server pulls"
                            + " from the source); remove spec.mode or set it to pull");
        }
        io.lxdbackup.operator.lxd.VolumeTarget target = spec.getTargetVolume() == null
                ? v
                : (io.lxdbackup.operator.lxd.VolumeTarget) Targets.of(null, spec.getTargetVolume());
        return new VolumeCopy.Request(
                v, target, Boolean.TRUE.equals(spec.getInstanceOnly()), !Boolean.FALSE.equals(spec.getRefresh()), null);
    }

    /** The volume copy of this resource, with its owner mark. */
    private VolumeCopy.Request volumeRequest(InstanceCopy copy, Plan plan) {
        VolumeCopy.Request r = plan.volume();
        return new VolumeCopy.Request(r.source(), r.target(), r.volumeOnly(), r.refresh(), owner(copy));
    }

    /** When to reconcile again after a successful copy: the schedule's next time, if any. */
    private Duration afterSync(InstanceCopy copy, Plan plan) {
        CopyTrigger t =
                CopyTrigger.decide(plan.schedule(), plan.suspend(), plan.deadline(), history(copy), clock.instant());
        copy.getStatus()
                .setNextSyncTime(t.nextSyncTime()
                        .map(z -> Conditions.timestamp(z.toInstant()))
                        .orElse(null));
        return t.run() ? Duration.ofSeconds(1) : t.requeueAfter().orElse(null);
    }

    private VolumeCopy volumeCopy() {
        return new VolumeCopy(kube, events, metrics, clock, OPERATION_TIMEOUT);
    }

    private Sides connect(InstanceCopy copy, Plan plan) {
        InstanceCopySpec spec = copy.getSpec();
        RemoteConnections.Connection src = side(
                "source",
                "spec.sourceRemoteRef",
                () -> connections.connect(ns(copy), spec.getSourceRemoteRef().getName(), spec.getSourceProject()));
        RemoteConnections.Connection dst = side(
                "target",
                "spec.targetRemoteRef",
                () -> connections.connect(ns(copy), spec.getTargetRemoteRef().getName(), spec.getTargetProject()));
        if (plan.mode() == CopyMode.PULL && src.client().endpoint().isUnix()) {
            throw Failure.permanent(
                    Reasons.INCOMPATIBLE_MODE,
                    "mode pull: the target server connects to the source server,"
                            + " but source LxdRemote "
                            + spec.getSourceRemoteRef().getName() + " is a unix socket; give it an https:// URL"
                            + " the target server can reach, or use mode: relay");
        }
        if (plan.mode() == CopyMode.PUSH && dst.client().endpoint().isUnix()) {
            throw Failure.permanent(
                    Reasons.INCOMPATIBLE_MODE,
                    "mode push: the source server connects to the target server,"
                            + " but target LxdRemote "
                            + spec.getTargetRemoteRef().getName() + " is a unix socket; give it an https:// URL"
                            + " the source server can reach, or use mode: relay");
        }
        return new Sides(
                src.client(),
                dst.client(),
                spec.getSourceRemoteRef().getName(),
                spec.getTargetRemoteRef().getName());
    }

    private static RemoteConnections.Connection side(
            String which, String field, Supplier<RemoteConnections.Connection> c) {
        try {
            return c.get();
        } catch (Failure f) {
            throw new Failure(f.reason(), field + " (" + which + "): " + f.getMessage(), f.isTransient());
        }
    }

    // ------------------------------------------------------------------ starting

    private UpdateControl<InstanceCopy> start(InstanceCopy copy, Plan plan, Sides sides, CopyTrigger trigger) {
        if (plan.volume() != null) {
            return volumeCopy()
                    .start(
                            copy,
                            volumeRequest(copy, plan),
                            sides.source(),
                            sides.target(),
                            sides.sourceRemote(),
                            sides.targetRemote(),
                            trigger.scheduledTime(),
                            trigger.why(),
                            c -> afterSync(c, plan));
        }
        InstanceCopyStatus st = copy.getStatus();
        String owner = owner(copy);
        Instance source = onSource(sides, () -> {
            try {
                return sides.source().getInstance(plan.instance());
            } catch (LxdException.NotFound e) {
                throw Failure.permanent(
                        Reasons.INSTANCE_NOT_FOUND,
                        "instance " + plan.instance() + " does not exist in project "
                                + sides.source().project() + " on " + sides.sourceRemote()
                                + "; check spec.instance and spec.sourceProject");
            }
        });
        // what a promotion gives back to the target, which carries boot.autostart=false as a copy
        st.setSourceAutostart(AutostartSettings.of(source.config(), Conditions.timestamp(clock.instant())));
        Optional<Instance> target = onTarget(sides, () -> find(sides.target(), plan.target()));
        if (target.isEmpty()) {
            // A swap interrupted after "target -> old": the previous copy goes back first.
            Optional<Instance> old = onTarget(sides, () -> find(sides.target(), plan.previous()));
            if (old.isPresent() && CopyNames.ownedBy(old.get().config(), owner)) {
                rename(sides, plan.previous(), plan.target());
                events.normal(
                        copy,
                        "Restored",
                        "Renamed " + plan.previous() + " back to " + plan.target() + " (left by an interrupted swap)");
                target = onTarget(sides, () -> find(sides.target(), plan.target()));
            }
        }
        if (target.isPresent() && !CopyNames.ownedBy(target.get().config(), owner)) {
            throw Failure.permanent(
                    Reasons.ALREADY_EXISTS,
                    "instance " + plan.target() + " already exists in project "
                            + sides.target().project() + " on " + sides.targetRemote()
                            + " and was not made by this InstanceCopy"
                            + ownerHint(target.get())
                            + "; the operator never overwrites it: delete or rename it, or set spec.targetInstance");
        }
        if (target.isPresent() && !plan.refresh()) {
            throw Failure.permanent(
                    Reasons.ALREADY_EXISTS,
                    "instance " + plan.target() + " already exists in project "
                            + sides.target().project() + " on " + sides.targetRemote()
                            + " (an earlier copy made by this InstanceCopy);"
                            + " with refresh: false a copy never overwrites it: delete it to copy again, or set spec.refresh to true"
                            + " to update it");
        }
        Path path = choosePath(plan, target.isPresent());
        if (path != Path.IN_PLACE) {
            clearLeftover(copy, sides, plan.staging(), owner);
        }
        if (target.isPresent() && CopyNames.refreshInterrupted(target.get().config())) {
            events.warning(
                    copy,
                    Reasons.REFRESH_INCOMPLETE,
                    "An earlier in-place refresh of " + plan.target() + " did not finish; this copy repairs it");
        }
        if (target.isPresent()) {
            clearLeftover(copy, sides, plan.previous(), owner);
        }
        List<String> before = target.isPresent()
                ? snapshotNames(onTarget(sides, () -> sides.target().listSnapshots(plan.target())))
                : List.of();

        VolumesNotIncluded.check(copy, st, sides.source(), plan.instance(), "copy", clock, events);
        // The intent, durably, before LXD is asked for anything (see class comment).
        Instant now = clock.instant();
        st.setSyncId(newSyncId());
        st.setCopyRequestedAt(Conditions.timestamp(now));
        st.setStagingInstance(path == Path.IN_PLACE ? null : plan.staging());
        st.setOperationId(null);
        st.setSourceOperationId(null);
        st.setBackupName(plan.mode() == CopyMode.RELAY ? "lxdbackup-copy-" + st.getSyncId() : null);
        st.setSnapshotsOnTarget(target.isPresent() ? before : null);
        st.setNextRetryTime(null);
        trigger.scheduledTime().ifPresent(t -> st.setLastScheduleTime(Conditions.timestamp(t)));
        st.setPhase(InstanceCopyPhase.COPYING);
        st.setProgress(describe(plan, path) + ": starting");
        if (!st.isConditionTrue(Condition.SYNCED)) {
            Conditions.set(
                    st,
                    generation(copy),
                    clock,
                    Condition.SYNCED,
                    false,
                    Reasons.COPYING,
                    describe(plan, path) + " of " + plan.instance() + " to " + sides.targetRemote() + "/"
                            + plan.target() + " is running");
        }
        StatusWriter.replaceStatus(kube, copy, copy.getStatus());
        events.normal(
                copy,
                "CopyStarted",
                describe(plan, path) + " of " + plan.instance() + " to " + sides.targetRemote() + "/" + plan.target()
                        + " (" + trigger.why() + ")");
        LOG.info(
                "InstanceCopy {}/{}: {} of {} to {}/{} ({})",
                ns(copy),
                name(copy),
                describe(plan, path),
                plan.instance(),
                sides.targetRemote(),
                plan.target(),
                trigger.why());
        return transfer(copy, plan, sides, path);
    }

    /** The path of the copy in progress: in place when it has no staging instance. */
    static Path pathOf(InstanceCopyStatus st, Plan plan, boolean targetExists) {
        if (st.getStagingInstance() == null) {
            return Path.IN_PLACE;
        }
        Path p = choosePath(plan, targetExists);
        return p == Path.IN_PLACE ? Path.STAGED_REFRESH : p;
    }

    static Path choosePath(Plan plan, boolean targetExists) {
        if (!targetExists) {
            return Path.FULL;
        }
        if (plan.mode() == CopyMode.RELAY) {
            return Path.FULL_REPLACE;
        }
        return plan.strategy() == RefreshStrategy.IN_PLACE ? Path.IN_PLACE : Path.STAGED_REFRESH;
    }

    /**
     * Removes what an earlier, interrupted copy of ours left under {@code name}. Refuses when the
     * name is taken by an instance that is not ours, or when a copy into it still runs.
     */
    private void clearLeftover(InstanceCopy copy, Sides sides, String name, String owner) {
        Optional<Instance> leftover = onTarget(sides, () -> find(sides.target(), name));
        if (leftover.isEmpty()) {
            return;
        }
        if (!CopyNames.ownedBy(leftover.get().config(), owner)) {
            throw Failure.permanent(
                    Reasons.ALREADY_EXISTS,
                    "instance " + name + " exists on " + sides.targetRemote()
                            + " and was not made by this InstanceCopy; the operator needs that name for the copy in progress and never"
                            + " deletes what it did not make: delete or rename it");
        }
        if (!onTarget(sides, () -> sides.target().runningOperationsOn(name)).isEmpty()) {
            throw Failure.retryable(
                    Reasons.COPYING,
                    "an earlier copy into " + name + " is still running on " + sides.targetRemote()
                            + "; waiting for it to end");
        }
        delete(sides, name);
        events.normal(
                copy,
                "LeftoverDeleted",
                "Deleted " + name + " on " + sides.targetRemote() + ", left by an interrupted copy");
    }

    // ------------------------------------------------------------------ copying

    private UpdateControl<InstanceCopy> transfer(InstanceCopy copy, Plan plan, Sides sides, Path path) {
        InstanceCopyStatus st = copy.getStatus();
        if (plan.mode() == CopyMode.RELAY && path.full()) {
            return relay(copy, plan, sides, path);
        }
        String into = path == Path.IN_PLACE ? plan.target() : st.getStagingInstance();
        LxdClient.CopyOperations ops;
        try {
            if (path == Path.IN_PLACE) {
                onTarget(sides, () -> {
                    sides.target()
                            .updateInstanceConfig(
                                    plan.target(),
                                    Map.of(CopyNames.SYNC_KEY, CopyNames.REFRESHING + st.getSyncId()),
                                    null);
                    return null;
                });
            } else if (path == Path.STAGED_REFRESH) {
                st.setProgress(
                        describe(plan, path) + ": copying " + plan.target() + " to " + into + " on the target server");
                StatusWriter.replaceStatus(kube, copy, copy.getStatus());
                long t0 = System.nanoTime();
                onTarget(
                        sides,
                        () -> sides.target()
                                .waitFor(sides.target().copyLocal(plan.target(), into, false), OPERATION_TIMEOUT));
                metrics.operation(KIND, "local-copy", "success", Duration.ofNanos(System.nanoTime() - t0));
            }
            LxdClient.CopyRequest req = new LxdClient.CopyRequest(
                    plan.instance(),
                    into,
                    plan.instanceOnly(),
                    !path.full(),
                    plan.pool(),
                    Map.of(CopyNames.OWNER_KEY, owner(copy), "boot.autostart", "false"));
            ops = plan.mode() == CopyMode.PUSH
                    ? sides.source().pushTo(sides.target(), req)
                    : sides.target().pullFrom(sides.source(), req);
        } catch (LxdException e) {
            if (abandons(e)) {
                throw abandon(copy, plan, sides, path, e);
            }
            throw e;
        }
        st.setOperationId(ops.target() == null ? null : ops.target().id());
        st.setSourceOperationId(ops.source() == null ? null : ops.source().id());
        st.setProgress(describe(plan, path) + ": transferring");
        StatusWriter.replaceStatus(kube, copy, copy.getStatus());
        if (ops.target() == null) {
            return complete(copy, plan, sides, path);
        }
        return waitSlice(copy, plan, sides, path);
    }

    private UpdateControl<InstanceCopy> relay(InstanceCopy copy, Plan plan, Sides sides, Path path) {
        InstanceCopyStatus st = copy.getStatus();
        st.setProgress(describe(plan, path) + ": backup on the source, streamed through the operator into the target");
        StatusWriter.replaceStatus(kube, copy, copy.getStatus());
        long t0 = System.nanoTime();
        RelayCopy.Result r;
        boolean[] accepted = {false};
        try {
            r = RelayCopy.run(
                    sides.source(),
                    sides.target(),
                    new RelayCopy.Request(
                            plan.instance(),
                            st.getBackupName(),
                            plan.instanceOnly(),
                            st.getStagingInstance(),
                            plan.pool(),
                            OPERATION_TIMEOUT),
                    op -> {
                        accepted[0] = true;
                        st.setOperationId(op.id());
                        st.setProgress(describe(plan, path) + ": import on the target");
                        if (!relayEnds(copy, true)) {
                            writeQuietly(copy);
                        }
                    },
                    null,
                    () -> relayEnds(copy, accepted[0]));
        } catch (LxdException e) {
            if (abandons(e)) {
                throw abandon(copy, plan, sides, path, e);
            }
            throw e;
        }
        if (r.backupDeleted()) {
            st.setBackupName(null);
        }
        metrics.bytes(KIND, "relay", r.bytes());
        metrics.operation(KIND, "relay", "success", Duration.ofNanos(System.nanoTime() - t0));
        LOG.info(
                "InstanceCopy {}/{}: relayed {} bytes ({} compression) in {} ms",
                ns(copy),
                name(copy),
                r.bytes(),
                r.compression(),
                Duration.ofNanos(System.nanoTime() - t0).toMillis());
        return complete(copy, plan, sides, path);
    }

    /** Waits for the recorded LXD operation for at most {@link #WAIT_SLICE}, then looks again. */
    private UpdateControl<InstanceCopy> waitSlice(InstanceCopy copy, Plan plan, Sides sides, Path path) {
        InstanceCopyStatus st = copy.getStatus();
        Operation op;
        try {
            op = onTarget(sides, () -> sides.target().getOperation(st.getOperationId()));
        } catch (LxdException.NotFound e) {
            return outcomeUnknown(copy, plan, sides);
        }
        try {
            onTarget(
                    sides,
                    () -> sides.target().waitFor(op, WAIT_SLICE, o -> {
                        String p = progress(o);
                        if (p != null) {
                            st.setProgress(describe(plan, path) + ": " + p);
                        }
                    }));
        } catch (LxdException.OperationTimeout e) {
            StatusWriter.replaceStatus(kube, copy, copy.getStatus());
            return UpdateControl.<InstanceCopy>noUpdate().rescheduleAfter(Duration.ofSeconds(1));
        } catch (LxdException.NotFound e) {
            return outcomeUnknown(copy, plan, sides);
        } catch (LxdException e) {
            if (abandons(e)) {
                throw abandon(copy, plan, sides, path, e);
            }
            throw e;
        }
        return complete(copy, plan, sides, path);
    }

    /** LXD no longer knows the operation (it forgets finished ones after seconds): judge by the instances. */
    private UpdateControl<InstanceCopy> outcomeUnknown(InstanceCopy copy, Plan plan, Sides sides) {
        copy.getStatus().setOperationId(null);
        copy.getStatus().setSourceOperationId(null);
        return recover(copy, plan, sides);
    }

    /** After a restart in {@code Copying}: picks the copy up from what is on the target server. */
    private UpdateControl<InstanceCopy> resume(InstanceCopy copy, Plan plan, Sides sides) {
        if (plan.volume() != null) {
            return volumeCopy()
                    .resume(
                            copy,
                            volumeRequest(copy, plan),
                            sides.source(),
                            sides.target(),
                            sides.targetRemote(),
                            c -> afterSync(c, plan));
        }
        InstanceCopyStatus st = copy.getStatus();
        Path path = pathOf(
                st,
                plan,
                onTarget(sides, () -> find(sides.target(), plan.target())).isPresent());
        if (st.getOperationId() != null) {
            return waitSlice(copy, plan, sides, path);
        }
        return recover(copy, plan, sides);
    }

    private UpdateControl<InstanceCopy> recover(InstanceCopy copy, Plan plan, Sides sides) {
        InstanceCopyStatus st = copy.getStatus();
        String owner = owner(copy);
        String syncId = st.getSyncId();
        String staging = st.getStagingInstance();
        if (st.getBackupName() != null) {
            onSource(sides, () -> {
                RelayCopy.deleteBackup(sides.source(), plan.instance(), st.getBackupName());
                return null;
            });
            st.setBackupName(null);
        }
        Optional<Instance> target = onTarget(sides, () -> find(sides.target(), plan.target()));
        Optional<Instance> stage =
                staging == null ? Optional.empty() : onTarget(sides, () -> find(sides.target(), staging));
        if (target.isPresent() && !CopyNames.ownedBy(target.get().config(), owner)) {
            throw targetTaken(
                    plan,
                    sides,
                    target.get(),
                    stage.isPresent() && CopyNames.completed(stage.get().config(), syncId) ? staging : null);
        }
        if (target.isPresent() && CopyNames.completed(target.get().config(), syncId)) {
            // complete and already swapped in (or refreshed in place)
            return finish(copy, plan, sides);
        }
        if (stage.isPresent() && CopyNames.completed(stage.get().config(), syncId)) {
            swap(copy, plan, sides);
            return finish(copy, plan, sides);
        }
        if (target.isEmpty()) {
            Optional<Instance> old = onTarget(sides, () -> find(sides.target(), plan.previous()));
            if (old.isPresent() && CopyNames.ownedBy(old.get().config(), owner)) {
                rename(sides, plan.previous(), plan.target());
                target = onTarget(sides, () -> find(sides.target(), plan.target()));
            }
        }
        // Something still running on the instance was most likely started by us before the restart but
        // not recorded (the local copy of a staged refresh, or a copy accepted just before a crash). Its
        // result cannot be told apart from a half copy, so it is not adopted: wait for it to end, never
        // run a second copy next to it, then copy again.
        String into = staging == null ? plan.target() : staging;
        List<Operation> running = onTarget(sides, () -> sides.target().runningOperationsOn(into));
        if (!running.isEmpty()) {
            st.setProgress("waiting for LXD operation " + running.get(0).id() + " ("
                    + running.get(0).description() + ") on " + into + ", started before an interruption, to end");
            StatusWriter.replaceStatus(kube, copy, copy.getStatus());
            return UpdateControl.<InstanceCopy>noUpdate().rescheduleAfter(WAIT_SLICE);
        }
        // Unfinished and not running: what it left is never trusted. Throw it away and copy again.
        if (stage.isPresent()) {
            if (!CopyNames.ownedBy(stage.get().config(), owner)) {
                throw unmarkedStaging(sides, staging);
            }
            delete(sides, staging);
            events.normal(
                    copy,
                    "LeftoverDeleted",
                    "Deleted the unfinished copy " + staging + " on " + sides.targetRemote() + "; copying again");
        }
        Path path = pathOf(st, plan, target.isPresent());
        if (plan.mode() == CopyMode.RELAY && path.full()) {
            st.setBackupName("lxdbackup-copy-" + st.getSyncId());
        }
        st.setProgress(describe(plan, path) + ": starting again after an interruption");
        StatusWriter.replaceStatus(kube, copy, copy.getStatus());
        LOG.info(
                "InstanceCopy {}/{}: the interrupted copy did not finish; {} again",
                ns(copy),
                name(copy),
                describe(plan, path));
        return transfer(copy, plan, sides, path);
    }

    /** LXD reported success: mark the copy complete, swap it in, record the result. */
    private UpdateControl<InstanceCopy> complete(InstanceCopy copy, Plan plan, Sides sides, Path path) {
        InstanceCopyStatus st = copy.getStatus();
        if (st.getBackupName() != null) {
            onSource(sides, () -> {
                RelayCopy.deleteBackup(sides.source(), plan.instance(), st.getBackupName());
                return null;
            });
            st.setBackupName(null);
        }
        String into = path == Path.IN_PLACE ? plan.target() : st.getStagingInstance();
        onTarget(sides, () -> {
            sides.target()
                    .updateInstanceConfig(
                            into,
                            Map.of(
                                    CopyNames.OWNER_KEY,
                                    owner(copy),
                                    CopyNames.SYNC_KEY,
                                    st.getSyncId(),
                                    "boot.autostart",
                                    "false"),
                            null);
            return null;
        });
        if (path != Path.IN_PLACE) {
            swap(copy, plan, sides);
        }
        return finish(copy, plan, sides);
    }

    /**
     * Puts the complete staging instance in place of the target; the old copy goes only afterwards.
     * An instance at the target name that this resource did not make (created while the copy ran,
     * or while the operator was down) is never renamed or deleted: the copy stops with
     * {@code AlreadyExists} and keeps the complete staging instance, which is swapped in once the
     * name is free.
     */
    private void swap(InstanceCopy copy, Plan plan, Sides sides) {
        String owner = owner(copy);
        String staging = copy.getStatus().getStagingInstance();
        Optional<Instance> current = onTarget(sides, () -> find(sides.target(), plan.target()));
        if (current.isPresent()) {
            if (!CopyNames.ownedBy(current.get().config(), owner)) {
                throw targetTaken(plan, sides, current.get(), staging);
            }
            clearLeftover(copy, sides, plan.previous(), owner);
            rename(sides, plan.target(), plan.previous());
        }
        rename(sides, staging, plan.target());
        deleteOwned(sides, plan.previous(), owner);
    }

    /** The target name was taken by someone else while a copy was in progress. */
    private static Failure targetTaken(Plan plan, Sides sides, Instance taken, String completeStaging) {
        return Failure.permanent(
                Reasons.ALREADY_EXISTS,
                "instance " + plan.target() + " appeared in project "
                        + sides.target().project() + " on " + sides.targetRemote()
                        + " while the copy was in progress and was not made"
                        + " by this InstanceCopy" + ownerHint(taken) + "; the operator never overwrites it"
                        + (completeStaging == null
                                ? ""
                                : ". The finished copy is kept as " + completeStaging + " and is put in place")
                        + (completeStaging == null ? "; the copy continues" : "") + " once " + plan.target()
                        + " is deleted or renamed");
    }

    /** A staging-named instance without this resource's mark: never deleted. */
    private static Failure unmarkedStaging(Sides sides, String staging) {
        return Failure.permanent(
                Reasons.ALREADY_EXISTS,
                "instance " + staging + " on " + sides.targetRemote() + " is not"
                        + " marked as made by this InstanceCopy (config " + CopyNames.OWNER_KEY
                        + "), so the operator does not delete"
                        + " it; it may be a relay import interrupted before it was marked, or another instance: check it, then delete"
                        + " or rename it and the copy continues");
    }

    /**
     * Deletes {@code name} if it exists and carries this resource's mark.
     *
     * @return whether an instance without the mark was found and left
     */
    private static boolean deleteOwned(Sides sides, String name, String owner) {
        Optional<Instance> i = onTarget(sides, () -> find(sides.target(), name));
        if (i.isPresent() && CopyNames.ownedBy(i.get().config(), owner)) {
            delete(sides, name);
            return false;
        }
        return i.isPresent();
    }

    private UpdateControl<InstanceCopy> finish(InstanceCopy copy, Plan plan, Sides sides) {
        InstanceCopyStatus st = copy.getStatus();
        deleteOwned(sides, plan.previous(), owner(copy));
        List<String> onSource =
                snapshotNames(onSource(sides, () -> sides.source().listSnapshots(plan.instance())));
        List<String> onTarget =
                snapshotNames(onTarget(sides, () -> sides.target().listSnapshots(plan.target())));
        // recorded when the copy started; absent when there was no copy of ours on the target yet
        List<String> before = st.getSnapshotsOnTarget() == null ? List.of() : st.getSnapshotsOnTarget();
        boolean full = plan.mode() == CopyMode.RELAY || st.getSnapshotsOnTarget() == null;
        List<String> transferred = full
                ? onTarget
                : onTarget.stream().filter(s -> !before.contains(s)).toList();
        List<String> removed =
                before.stream().filter(s -> !onTarget.contains(s)).toList();
        Instant now = clock.instant();
        Instant requested = time(st.getCopyRequestedAt());
        st.setPhase(InstanceCopyPhase.SYNCED);
        st.setLastSyncTime(Conditions.timestamp(now));
        st.setLastSuccessfulSyncTime(Conditions.timestamp(now));
        st.setLastSyncKind(full ? SyncKind.FULL : SyncKind.INCREMENTAL);
        st.setSnapshotsOnSource(onSource);
        st.setSnapshotsOnTarget(onTarget);
        st.setTransferredSnapshots(transferred);
        st.setRemovedSnapshots(removed);
        clearIntent(st);
        st.setNextRetryTime(null);
        String msg = (full ? "Full copy" : "Incremental copy") + " to " + sides.targetRemote() + "/" + plan.target()
                + " complete: " + transferred.size() + " snapshot(s) transferred"
                + (removed.isEmpty() ? "" : ", " + removed.size() + " removed (deleted on the source)")
                + (plan.mode() == CopyMode.RELAY ? "; relay copies are always full" : "");
        Conditions.set(st, generation(copy), clock, Condition.SYNCED, true, Reasons.SYNCED, msg);
        metrics.operation(
                KIND,
                full ? "copy-full" : "copy-incremental",
                "success",
                requested == null ? null : Duration.between(requested, now));
        metrics.lastSuccess(KIND, ns(copy), sides.sourceRemote(), plan.instance(), now);
        events.normal(copy, Reasons.SYNCED, msg);
        LOG.info("InstanceCopy {}/{}: {}", ns(copy), name(copy), msg);
        CopyTrigger t = CopyTrigger.decide(plan.schedule(), plan.suspend(), plan.deadline(), history(copy), now);
        st.setNextSyncTime(
                t.nextSyncTime().map(z -> Conditions.timestamp(z.toInstant())).orElse(null));
        Duration next = t.run() ? Duration.ofSeconds(1) : t.requeueAfter().orElse(null);
        return write(copy, null, next);
    }

    // ------------------------------------------------------------------ promoting (takeover)

    /**
     * Takeover by the backup server ({@code spec.promote}): the target stops being a copy and
     * becomes the instance in use. Only the target server is contacted, so this works while the
     * source server is gone. Steps, each safe to repeat: an unfinished copy is ended (its staging
     * instance deleted, the last good copy kept); an interrupted swap is undone; the target's
     * copy marks ({@link CopyNames#OWNER_KEY}, {@link CopyNames#SYNC_KEY}) are replaced by
     * {@link CopyNames#PROMOTED_KEY} in the same write that gives back the source's recorded
     * {@code boot.autostart*} keys, so no InstanceCopy ever writes over it again; then it is
     * started. Once {@code promotedTime} is set, this resource calls no server any more.
     */
    private UpdateControl<InstanceCopy> promotion(InstanceCopy copy, Plan plan, InstanceCopyStatus was) {
        InstanceCopyStatus st = copy.getStatus();
        InstanceCopySpec spec = copy.getSpec();
        st.setObservedGeneration(generation(copy));
        st.setNextSyncTime(null);
        if (st.getPromotedTime() != null) {
            st.setPhase(InstanceCopyPhase.PROMOTED);
            st.setNextRetryTime(null);
            if (!Boolean.TRUE.equals(spec.getPromote())) {
                String msg = plan.target() + " was promoted at " + st.getPromotedTime()
                        + " and is no longer a copy; this InstanceCopy copies nothing any more."
                        + " To copy again (to fail back), create a new InstanceCopy, see docs/instance-copy.md"
                        + " (Taking over and failing back)";
                boolean fresh = !st.findCondition(Condition.SYNCED)
                        .map(c -> Reasons.ALREADY_PROMOTED.equals(c.getReason()))
                        .orElse(false);
                Conditions.set(st, generation(copy), clock, Condition.SYNCED, false, Reasons.ALREADY_PROMOTED, msg);
                if (fresh) {
                    events.warning(copy, Reasons.ALREADY_PROMOTED, msg);
                }
            }
            return write(copy, was, null);
        }
        try {
            String targetRemote = spec.getTargetRemoteRef().getName();
            if (st.getLastSuccessfulSyncTime() == null) {
                throw Failure.permanent(
                        Reasons.NEVER_SYNCED,
                        "no copy of " + plan.instance() + " to " + targetRemote + " has completed, so there is"
                                + " nothing to promote; the operator does not start a copy once spec.promote is set:"
                                + " make the source reachable and recreate this InstanceCopy without promote, or restore"
                                + " the instance from an export (InstanceRestore)");
            }
            RemoteConnections.Connection dst = side(
                    "target",
                    "spec.targetRemoteRef",
                    () -> connections.connect(ns(copy), targetRemote, spec.getTargetProject()));
            Sides sides =
                    new Sides(null, dst.client(), spec.getSourceRemoteRef().getName(), targetRemote);
            String owner = owner(copy);
            String ended = endCopyForPromotion(copy, plan, sides);
            Optional<Instance> target = onTarget(sides, () -> find(sides.target(), plan.target()));
            if (target.isEmpty()) {
                // a swap interrupted after "target -> old": the previous copy goes back first
                Optional<Instance> old = onTarget(sides, () -> find(sides.target(), plan.previous()));
                if (old.isPresent() && CopyNames.ownedBy(old.get().config(), owner)) {
                    rename(sides, plan.previous(), plan.target());
                    target = onTarget(sides, () -> find(sides.target(), plan.target()));
                }
            }
            if (target.isEmpty()) {
                throw Failure.permanent(
                        Reasons.INSTANCE_NOT_FOUND,
                        "the copy " + plan.target() + " does not exist in project "
                                + sides.target().project()
                                + " on " + targetRemote + ", so there is nothing to promote; check"
                                + " spec.targetInstance and spec.targetProject (was it deleted or renamed on the backup server?)");
            }
            boolean halfRefreshed = CopyNames.refreshInterrupted(target.get().config());
            AutostartSettings recorded = st.getSourceAutostart();
            onTarget(
                    sides,
                    () -> sides.target().editInstanceConfig(plan.target(), cfg -> {
                        if (owner.equals(cfg.get(CopyNames.PROMOTED_KEY)) && !cfg.containsKey(CopyNames.OWNER_KEY)) {
                            return null; // promoted already (a retry after a failed start)
                        }
                        if (!CopyNames.ownedBy(cfg, owner)) {
                            throw Failure.permanent(
                                    Reasons.ALREADY_EXISTS,
                                    "instance " + plan.target() + " on " + targetRemote
                                            + " was not made by this InstanceCopy"
                                            + ownerHint(cfg)
                                            + "; the operator promotes only its own copy and leaves this instance as it is");
                        }
                        return promotionEdit(cfg, recorded, owner);
                    }));
            boolean start = !Boolean.FALSE.equals(spec.getStartOnPromote());
            if (start
                    && !onTarget(sides, () -> sides.target().getInstance(plan.target()))
                            .isRunning()) {
                try {
                    onTarget(
                            sides,
                            () -> sides.target()
                                    .waitFor(sides.target().changeState(plan.target(), "start", false, 60), SHORT));
                } catch (LxdException e) {
                    throw Failure.retryable(
                            Reasons.START_FAILED,
                            plan.target() + " on " + targetRemote + " is promoted (no longer a copy) but LXD could"
                                    + " not start it: " + e.getMessage() + "; fix what LXD reports (a network, storage"
                                    + " pool or device the instance needs on the backup server), it is tried again");
                }
            }
            Instant now = clock.instant();
            st.setPromotedTime(Conditions.timestamp(now));
            st.setPhase(InstanceCopyPhase.PROMOTED);
            st.setNextRetryTime(null);
            String msg = "Promoted " + plan.target() + " on " + targetRemote
                    + " (copy of " + st.getLastSuccessfulSyncTime() + "): it is no longer a copy and is not refreshed"
                    + " any more; " + describeAutostart(recorded)
                    + (start ? "; started" : "; not started (startOnPromote: false)")
                    + (ended == null ? "" : "; " + ended)
                    + (halfRefreshed
                            ? "; WARNING: an InPlace refresh of it had not finished, its root volume may be half-updated"
                                    + " (its snapshots are intact)"
                            : "");
            Conditions.set(st, generation(copy), clock, Condition.PROMOTED, true, Reasons.PROMOTED, msg);
            events.normal(copy, Reasons.PROMOTED, msg);
            metrics.operation(KIND, "promote", "success", null);
            LOG.info("InstanceCopy {}/{}: {}", ns(copy), name(copy), msg);
            return write(copy, was, null);
        } catch (Exception e) {
            return promotionFailed(copy, plan, e, was);
        }
    }

    /** The config change that turns our copy into a promoted instance. */
    static LxdClient.ConfigEdit promotionEdit(Map<String, String> cfg, AutostartSettings recorded, String owner) {
        Map<String, String> set = new java.util.LinkedHashMap<>(recorded == null ? Map.of() : recorded.keys());
        set.put(CopyNames.PROMOTED_KEY, owner);
        java.util.Set<String> remove = new java.util.TreeSet<>(List.of(CopyNames.OWNER_KEY, CopyNames.SYNC_KEY));
        // keys the source did not set are removed; without a record only the copy's boot.autostart=false goes
        for (String k : recorded == null
                ? List.of(AutostartSettings.AUTOSTART)
                : List.of(AutostartSettings.AUTOSTART, AutostartSettings.PRIORITY, AutostartSettings.DELAY)) {
            if (!set.containsKey(k)) {
                remove.add(k);
            }
        }
        return new LxdClient.ConfigEdit(set, remove);
    }

    private static String describeAutostart(AutostartSettings recorded) {
        if (recorded == null) {
            return "the source's boot.autostart settings were not recorded (copied by an older operator version):"
                    + " removed boot.autostart=false, so LXD starts it with the server if it was running";
        }
        if (recorded.keys().isEmpty()) {
            return "the source set no boot.autostart keys of its own (recorded " + recorded.getRecordedAt()
                    + "): removed the copy's boot.autostart=false";
        }
        List<String> kv = new ArrayList<>();
        recorded.keys().forEach((k, v) -> kv.add(k + "=" + v));
        return "restored the source's " + String.join(", ", kv) + " (recorded " + recorded.getRecordedAt() + ")";
    }

    /**
     * Ends a copy in progress before a promotion: the target's last good copy is what is
     * promoted. Waits while LXD still runs the copy on the target (a pull from a dead source fails
     * by itself); the source side is cancelled if the source can still be reached. Returns what
     * was done, for the message, or null.
     */
    private String endCopyForPromotion(InstanceCopy copy, Plan plan, Sides sides) {
        InstanceCopyStatus st = copy.getStatus();
        if (st.getSyncId() == null) {
            return null;
        }
        if (st.getSourceOperationId() != null) {
            try {
                connections
                        .connect(
                                ns(copy),
                                copy.getSpec().getSourceRemoteRef().getName(),
                                copy.getSpec().getSourceProject())
                        .client()
                        .cancelOperation(st.getSourceOperationId());
            } catch (RuntimeException e) {
                // best effort: the source is usually gone when a copy is promoted
            }
        }
        String into = st.getStagingInstance() != null ? st.getStagingInstance() : plan.target();
        List<Operation> running = onTarget(sides, () -> sides.target().runningOperationsOn(into));
        if (!running.isEmpty()) {
            throw Failure.retryable(
                    Reasons.COPYING,
                    "a copy into " + into + " still runs on " + sides.targetRemote() + " (LXD operation "
                            + running.get(0).id() + "); the promotion waits for it to end, then promotes the last"
                            + " complete copy");
        }
        boolean left = st.getStagingInstance() != null && deleteOwned(sides, st.getStagingInstance(), owner(copy));
        String what = "ended the unfinished copy"
                + (st.getStagingInstance() == null
                        ? ""
                        : left
                                ? " (" + st.getStagingInstance() + " is not marked as ours and was left)"
                                : " (deleted " + st.getStagingInstance() + ")")
                + (st.getBackupName() == null
                        ? ""
                        : "; relay backup " + st.getBackupName()
                                + " may be left on the source, LXD deletes it after a day");
        clearIntent(st);
        writeQuietly(copy);
        return what;
    }

    private UpdateControl<InstanceCopy> promotionFailed(
            InstanceCopy copy, Plan plan, Exception e, InstanceCopyStatus was) {
        InstanceCopyStatus st = copy.getStatus();
        Failure f = Failure.from(e, "promotion of " + plan.target());
        st.setPhase(InstanceCopyPhase.FAILED);
        boolean newReason = !f.reason()
                .equals(st.findCondition(Condition.PROMOTED)
                        .map(Condition::getReason)
                        .orElse(null));
        Conditions.set(st, generation(copy), clock, Condition.PROMOTED, false, f.reason(), f.getMessage());
        int failures = Conditions.countFailure(st);
        Duration delay = f.isTransient() ? Backoff.delay(failures, BACKOFF_CAP) : RESYNC;
        st.setNextRetryTime(Conditions.timestamp(clock.instant().plus(delay)));
        if (newReason || failures == 1) {
            events.warning(copy, f.reason(), f.getMessage());
            LOG.warn("InstanceCopy {}/{}: promotion: {}: {}", ns(copy), name(copy), f.reason(), f.getMessage());
        }
        metrics.operation(KIND, "promote", f.reason(), null);
        writeQuietly(copy);
        return UpdateControl.<InstanceCopy>noUpdate().rescheduleAfter(delay);
    }

    // ------------------------------------------------------------------ failing

    /** Errors that mean the copy ended on the server without success (as opposed to "cannot tell now"). */
    private static boolean abandons(LxdException e) {
        return !e.isTransient();
    }

    /**
     * The copy failed: remove what it left so that the previous copy is all that remains, end
     * the intent, and report. When the leftovers cannot be removed now, the intent stays and the
     * next reconcile removes them.
     */
    private Failure abandon(InstanceCopy copy, Plan plan, Sides sides, Path path, LxdException cause) {
        InstanceCopyStatus st = copy.getStatus();
        if (st.getSourceOperationId() != null) {
            try {
                sides.source().cancelOperation(st.getSourceOperationId());
            } catch (LxdException e) {
                // best effort: the failed copy ends anyway
            }
        }
        if (st.getBackupName() != null) {
            onSource(sides, () -> {
                RelayCopy.deleteBackup(sides.source(), plan.instance(), st.getBackupName());
                return null;
            });
        }
        // an unmarked staging instance (a relay import that failed after LXD created it) is left:
        // the next copy reports it as AlreadyExists instead of deleting what may not be ours
        if (st.getStagingInstance() != null) {
            deleteOwned(sides, st.getStagingInstance(), owner(copy));
        }
        clearIntent(st);
        st.setPhase(InstanceCopyPhase.FAILED);
        st.setLastSyncTime(Conditions.timestamp(clock.instant()));
        metrics.operation(KIND, path.full() ? "copy-full" : "copy-incremental", "failure", null);
        String lxd = cause.getMessage();
        if (path == Path.IN_PLACE) {
            return Failure.retryable(
                    Reasons.REFRESH_INCOMPLETE,
                    "the in-place refresh of " + plan.target() + " on "
                            + sides.targetRemote() + " failed (" + lxd
                            + "); its snapshots are intact but its root volume may be"
                            + " half-updated until the next refresh succeeds (refreshStrategy: Staging avoids this)");
        }
        if (cause instanceof LxdException.OperationFailed) {
            String hint = switch (plan.mode()) {
                case PULL ->
                    " (pull mode: the target server connects to the source server's URL; if it cannot, use mode push or relay)";
                case PUSH ->
                    " (push mode: the source server connects to the target server's URL; if it cannot, use mode pull or relay)";
                case RELAY -> "";
            };
            return Failure.retryable(
                    Reasons.COPY_FAILED,
                    "copying " + plan.instance() + " to " + sides.targetRemote() + " failed on" + " the server: " + lxd
                            + hint);
        }
        return Failure.from(cause, "copying " + plan.instance() + " to " + sides.targetRemote());
    }

    private UpdateControl<InstanceCopy> failed(InstanceCopy copy, Exception e, InstanceCopyStatus was) {
        InstanceCopyStatus st = copy.getStatus();
        Failure f = Failure.from(
                e,
                "copy of "
                        + (copy.getSpec() == null
                                ? "?"
                                : copy.getSpec().getInstance() != null
                                        ? copy.getSpec().getInstance()
                                        : "volume " + copy.getSpec().getVolume()));
        boolean inFlight = st.getSyncId() != null;
        if (!inFlight) {
            st.setPhase(InstanceCopyPhase.FAILED);
        }
        String msg = f.getMessage();
        if (st.getLastSuccessfulSyncTime() != null && !Reasons.ALREADY_EXISTS.equals(f.reason())) {
            msg += inFlight
                    ? "; will resume the copy in progress"
                    : "; the copy from " + st.getLastSuccessfulSyncTime() + " on the target is unchanged";
        }
        boolean newReason = !f.reason()
                .equals(st.findCondition(Condition.SYNCED)
                        .map(Condition::getReason)
                        .orElse(null));
        Conditions.set(st, generation(copy), clock, Condition.SYNCED, false, f.reason(), msg);
        int failures = Conditions.countFailure(st);
        Duration delay = f.isTransient() ? Backoff.delay(failures, BACKOFF_CAP) : RESYNC;
        st.setNextRetryTime(
                inFlight ? null : Conditions.timestamp(clock.instant().plus(delay)));
        if (newReason || failures == 1 || was.getPhase() != st.getPhase()) {
            events.warning(copy, f.reason(), msg);
            LOG.warn("InstanceCopy {}/{}: {}: {}", ns(copy), name(copy), f.reason(), msg);
        }
        metrics.operation(KIND, "reconcile", f.reason(), null);
        if (was.getPhase() != InstanceCopyPhase.FAILED && st.getPhase() == InstanceCopyPhase.FAILED) {
            metrics.failure(
                    KIND,
                    ns(copy),
                    copy.getSpec() == null || copy.getSpec().getSourceRemoteRef() == null
                            ? null
                            : copy.getSpec().getSourceRemoteRef().getName(),
                    copy.getSpec() == null ? null : copy.getSpec().getInstance(),
                    clock.instant());
        }
        writeQuietly(copy);
        return UpdateControl.<InstanceCopy>noUpdate().rescheduleAfter(delay);
    }

    // ------------------------------------------------------------------ deleting the resource

    /**
     * Deleting the resource keeps the copy on the target (it is a backup); only an unfinished
     * copy is stopped and its staging instance and relay backup removed.
     */
    @Override
    public DeleteControl cleanup(InstanceCopy copy, Context<InstanceCopy> context) {
        String uid = copy.getMetadata().getUid();
        if (jobs.running(uid)) {
            // a relay still running stops first (at its next read), then the clean-up
            RelayJob j = relays.get(uid);
            if (j != null) {
                j.stop(StopReason.DELETED);
            }
            return DeleteControl.noFinalizerRemoval().rescheduleAfter(TransferJobs.DELETE_POLL.toMillis());
        }
        // the status the ended relay left is newer than the cached copy: what it still holds is in it
        jobs.takeEnded(uid).ifPresent(done -> copy.setStatus(done.getStatus()));
        InstanceCopyStatus st = copy.getStatus();
        if (st == null || st.getSyncId() == null || st.getPromotedTime() != null) {
            // a promoted target is the instance in use now: never touched by a deletion
            return DeleteControl.defaultDelete();
        }
        try {
            Plan plan = validate(copy.getSpec());
            Sides sides = connect(copy, plan);
            if (st.getSourceOperationId() != null) {
                sides.source().cancelOperation(st.getSourceOperationId());
            }
            if (st.getOperationId() != null) {
                try {
                    sides.target().waitFor(sides.target().getOperation(st.getOperationId()), SHORT);
                } catch (LxdException e) {
                    // ended with the cancellation, or already forgotten
                }
            }
            if (st.getBackupName() != null) {
                RelayCopy.deleteBackup(sides.source(), plan.instance(), st.getBackupName());
            }
            boolean kept = st.getStagingInstance() != null && deleteOwned(sides, st.getStagingInstance(), owner(copy));
            events.normal(
                    copy,
                    "CopyAbandoned",
                    "Stopped the unfinished copy and removed its leftovers; the copy "
                            + plan.target() + " on " + sides.targetRemote() + " is kept"
                            + (kept
                                    ? "; " + st.getStagingInstance()
                                            + " is not marked as made by this InstanceCopy and was left as it is"
                                    : ""));
            return DeleteControl.defaultDelete();
        } catch (Exception e) {
            Failure f = Failure.from(e, "removing the unfinished copy");
            if (Reasons.REMOTE_NOT_FOUND.equals(f.reason()) || Reasons.INVALID_SPEC.equals(f.reason())) {
                events.warning(copy, f.reason(), "Removed without cleaning up the unfinished copy: " + f.getMessage());
                return DeleteControl.defaultDelete();
            }
            if (Reasons.CREDENTIALS_DELETED.equals(f.reason())) {
                List<String> left = new ArrayList<>();
                if (st.getStagingInstance() != null) {
                    left.add("staging instance " + st.getStagingInstance() + " on the target");
                }
                if (st.getBackupName() != null) {
                    left.add("relay backup " + st.getBackupName() + " on the source");
                }
                String msg =
                        "The unfinished copy's leftovers" + (left.isEmpty() ? "" : " (" + String.join(", ", left) + ")")
                                + " were left on the servers: " + f.getMessage();
                LOG.warn("InstanceCopy {}/{}: {}", ns(copy), name(copy), msg);
                events.warning(copy, f.reason(), msg);
                return DeleteControl.defaultDelete();
            }
            int failures = st.getFailures() == null ? 1 : st.getFailures() + 1;
            events.warning(copy, f.reason(), "Cannot remove the unfinished copy yet (will retry): " + f.getMessage());
            return DeleteControl.noFinalizerRemoval()
                    .rescheduleAfter(Backoff.delay(failures, BACKOFF_CAP).toMillis());
        }
    }

    // ------------------------------------------------------------------ helpers

    private InstanceCopy latest(InstanceCopy received) {
        try {
            return kube.resources(InstanceCopy.class)
                    .inNamespace(ns(received))
                    .withName(name(received))
                    .get();
        } catch (KubernetesClientException e) {
            return received;
        }
    }

    private UpdateControl<InstanceCopy> write(InstanceCopy copy, InstanceCopyStatus was, Duration requeue) {
        if (was == null || !was.equals(copy.getStatus())) {
            StatusWriter.replaceStatus(kube, copy, copy.getStatus());
        }
        UpdateControl<InstanceCopy> u = UpdateControl.noUpdate();
        return requeue == null ? u : u.rescheduleAfter(requeue);
    }

    private void writeQuietly(InstanceCopy copy) {
        try {
            StatusWriter.replaceStatus(kube, copy, copy.getStatus());
        } catch (KubernetesClientException e) {
            LOG.warn(
                    "InstanceCopy {}/{}: cannot write status (HTTP {}); will retry", ns(copy), name(copy), e.getCode());
        }
    }

    private static void clearIntent(InstanceCopyStatus st) {
        st.setSyncId(null);
        st.setCopyRequestedAt(null);
        st.setStagingInstance(null);
        st.setOperationId(null);
        st.setSourceOperationId(null);
        st.setBackupName(null);
        st.setProgress(null);
    }

    private static <T> T onSource(Sides s, Supplier<T> call) {
        return onSide(call, "source", s.sourceRemote(), Reasons.SOURCE_UNREACHABLE);
    }

    private static <T> T onTarget(Sides s, Supplier<T> call) {
        return onSide(call, "target", s.targetRemote(), Reasons.TARGET_UNREACHABLE);
    }

    private static <T> T onSide(Supplier<T> call, String which, String remote, String unreachable) {
        try {
            return call.get();
        } catch (LxdException.Unreachable e) {
            throw Failure.retryable(
                    unreachable,
                    "the " + which + " server (LxdRemote " + remote + ") cannot be reached: " + e.getMessage()
                            + "; check that LXD runs there and listens on the remote's URL");
        } catch (LxdException.Forbidden | LxdException.TlsFailure | LxdException.CertificateMismatch e) {
            Failure f = Failure.from(e, which);
            throw new Failure(f.reason(), which + " LxdRemote " + remote + ": " + f.getMessage(), f.isTransient());
        }
    }

    private static Optional<Instance> find(LxdApi c, String name) {
        try {
            return Optional.of(c.getInstance(name));
        } catch (LxdException.NotFound e) {
            return Optional.empty();
        }
    }

    private static void rename(Sides sides, String from, String to) {
        onTarget(sides, () -> sides.target().waitFor(sides.target().renameInstance(from, to), SHORT));
    }

    private static void delete(Sides sides, String name) {
        onTarget(sides, () -> {
            try {
                return sides.target().waitFor(sides.target().deleteInstance(name), SHORT);
            } catch (LxdException.NotFound e) {
                return null;
            }
        });
    }

    private static List<String> snapshotNames(List<Snapshot> snapshots) {
        List<String> out = new ArrayList<>();
        snapshots.forEach(s -> out.add(s.name()));
        return out;
    }

    /** LXD reports progress as metadata entries such as {@code fs_progress: "s2: 120MB (30MB/s)"}. */
    static String progress(Operation op) {
        if (op.metadata() == null) {
            return null;
        }
        List<String> parts = new ArrayList<>();
        op.metadata().fields().forEachRemaining(e -> {
            if (e.getKey().endsWith("_progress") && e.getValue().isTextual()) {
                parts.add(e.getValue().asText());
            }
        });
        return parts.isEmpty() ? null : String.join(", ", parts);
    }

    private static String describe(Plan plan, Path path) {
        return switch (path) {
            case FULL, FULL_REPLACE -> "full copy (" + plan.mode() + ")";
            case STAGED_REFRESH -> "incremental copy (" + plan.mode() + ", staged)";
            case IN_PLACE -> "incremental copy (" + plan.mode() + ", in place)";
        };
    }

    private static String ownerHint(Instance i) {
        return ownerHint(i.config());
    }

    private static String ownerHint(Map<String, String> config) {
        String o = config.get(CopyNames.OWNER_KEY);
        return o == null ? "" : " (it was made by InstanceCopy " + o + ")";
    }

    static String owner(InstanceCopy c) {
        return CopyNames.owner(ns(c), name(c), c.getMetadata().getUid());
    }

    private static String newSyncId() {
        byte[] b = new byte[6];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    static Instant timeOf(String s) {
        return time(s);
    }

    private static Instant time(String s) {
        if (s == null) {
            return null;
        }
        try {
            return Instant.parse(s);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private static String blankToNull(String s) {
        return blank(s) ? null : s;
    }

    static String ns(InstanceCopy c) {
        return c.getMetadata().getNamespace();
    }

    static String name(InstanceCopy c) {
        return c.getMetadata().getName();
    }

    static long generation(InstanceCopy c) {
        return c.getMetadata().getGeneration() == null ? 0 : c.getMetadata().getGeneration();
    }
}
