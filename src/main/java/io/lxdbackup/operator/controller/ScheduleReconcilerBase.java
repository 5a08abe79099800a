package io.lxdbackup.operator.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.ReconcilerUtils;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.lxdbackup.operator.api.v1alpha1.AbstractScheduleSpec;
import io.lxdbackup.operator.api.v1alpha1.AbstractScheduleStatus;
import io.lxdbackup.operator.api.v1alpha1.ConcurrencyPolicy;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.InstanceRunStatus;
import io.lxdbackup.operator.api.v1alpha1.RetentionSpec;
import io.lxdbackup.operator.api.v1alpha1.RunResult;
import io.lxdbackup.operator.api.v1alpha1.SchedulePhase;
import io.lxdbackup.operator.api.v1alpha1.VolumeRef;
import io.lxdbackup.operator.lxd.LxdApi;
import io.lxdbackup.operator.metrics.OperatorMetrics;
import io.lxdbackup.operator.schedule.ChildNames;
import io.lxdbackup.operator.schedule.CronSchedule;
import io.lxdbackup.operator.schedule.InvalidScheduleException;
import io.lxdbackup.operator.schedule.RetentionCandidate;
import io.lxdbackup.operator.schedule.RetentionPolicy;
import io.lxdbackup.operator.schedule.RetentionResult;
import io.lxdbackup.operator.schedule.ScheduleDecision;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The schedule engine shared by SnapshotSchedule and ExportSchedule: decide (cron, time zone,
 * suspend, deadline — {@link ScheduleDecision}), select instances and custom volumes
 * ({@link InstanceSelection}, {@link VolumeSelection}), create one child per instance or volume
 * named from the scheduled time (so a replay after a crash is an "already exists",
 * never a second backup), report per-instance results, and apply retention to the schedule's
 * own children ({@link RetentionPolicy}).
 *
 * @param <S> the schedule kind
 * @param <C> the child kind (InstanceSnapshot, InstanceExport)
 */
public abstract class ScheduleReconcilerBase<S extends HasMetadata, C extends HasMetadata> implements Reconciler<S> {
    private static final Logger LOG = LoggerFactory.getLogger(ScheduleReconcilerBase.class);
    public static final String LABEL_SCHEDULE = "lxdbackup.io/schedule";
    public static final String LABEL_INSTANCE = "lxdbackup.io/instance";
    public static final String LABEL_REMOTE = "lxdbackup.io/remote";
    /** On a volume's child: the volume's name and storage pool (when they are valid label values). */
    public static final String LABEL_VOLUME = "lxdbackup.io/volume";

    public static final String LABEL_POOL = "lxdbackup.io/pool";
    public static final String ANNOTATION_SCHEDULED_TIME = "lxdbackup.io/scheduled-time";

    protected final KubernetesClient kube;
    protected final RemoteConnections connections;
    protected final EventRecorder events;
    protected final OperatorMetrics metrics;
    protected final Clock clock;
    private final Duration maxWait;
    private final SharedListings listings;
    /** Runs started whose status is written by the follow-up reconcile, by schedule UID. */
    private final java.util.concurrent.ConcurrentMap<String, StartedRun<C>> startedRuns =
            new java.util.concurrent.ConcurrentHashMap<>();

    private final java.util.concurrent.atomic.AtomicLong lastSweep = new java.util.concurrent.atomic.AtomicLong();

    protected ScheduleReconcilerBase(
            KubernetesClient kube,
            RemoteConnections connections,
            EventRecorder events,
            OperatorMetrics metrics,
            Clock clock,
            Duration maxWait) {
        this.kube = kube;
        this.connections = connections;
        this.events = events;
        this.metrics = metrics;
        this.clock = clock;
        this.maxWait = maxWait;
        this.listings = new SharedListings(clock);
    }

    /** What became of one child. */
    public enum ChildState {
        RUNNING,
        SUCCEEDED,
        FAILED
    }

    protected abstract String kind();

    protected abstract Class<S> scheduleClass();

    protected abstract Class<C> childClass();

    protected abstract AbstractScheduleSpec spec(S schedule);

    /** The status, created when missing. */
    protected abstract AbstractScheduleStatus status(S schedule);

    /** Replaces the status (with the one computed by a run, before it is written). */
    protected abstract void setStatus(S schedule, AbstractScheduleStatus status);

    /** Whether stopped instances are included in a run. */
    protected abstract boolean includeStopped(S schedule);

    /** Further checks of the spec; throw a {@link Failure} for invalid input. */
    protected void validateMore(S schedule) {}

    /** The child object for one instance and scheduled time (metadata is completed by the caller). */
    protected abstract C newChild(S schedule, String instance, ZonedDateTime scheduledTime);

    /** The child object for one custom volume and scheduled time (metadata is completed by the caller). */
    protected abstract C newVolumeChild(S schedule, VolumeRef volume, ZonedDateTime scheduledTime);

    /** The custom volume a child backs up, or null for an instance's child. */
    protected abstract VolumeRef childVolume(C child);

    /**
     * What a child backs up, as the schedule keeps its books: the instance name (its label), or
     * {@code pool/name} for a volume ({@link VolumeSelection#key}); null for a foreign object.
     */
    String targetKey(C child) {
        String instance = label(child, LABEL_INSTANCE);
        if (instance != null) {
            return instance;
        }
        VolumeRef v = childVolume(child);
        return v == null || v.getPool() == null || v.getName() == null
                ? null
                : VolumeSelection.key(v.getPool(), v.getName());
    }

    protected abstract ChildState childState(C child);

    /**
     * Whether retention leaves {@code child} for now although it is due to go (it is still in use);
     * a later reconcile prunes it.
     */
    protected boolean pruneWaits(S schedule, C child) {
        return false;
    }

    /** What the child produced (snapshot name, object key), for status; may be null. */
    protected abstract String childResult(C child);

    /** The failure message of a failed child, for status. */
    protected abstract String childMessage(C child);

    /**
     * Whether retention may count the child as a good copy (the newest one is always kept): by
     * default every successful child; exports that failed verification are not good copies.
     */
    protected boolean countsAsGood(C child) {
        return childState(child) == ChildState.SUCCEEDED;
    }

    /** Records the child's result name into the per-instance status. */
    protected abstract void setLastResultName(InstanceRunStatus run, String childName, String result);

    /** Records the newest child into the per-instance status (by default its name and result). */
    protected void setLastResult(InstanceRunStatus run, C child) {
        setLastResultName(run, child.getMetadata().getName(), childResult(child));
    }

    /**
     * Lists the remote's instances for a run (shared by the runs due at the same time); a kind
     * that needs more than the instances themselves lists more.
     */
    protected List<io.lxdbackup.operator.lxd.Instance> listForRun(LxdApi client) {
        return client.listInstances();
    }

    /**
     * Called at the end of a run with the listing it selected from (already recorded in
     * {@code status.instances}); the status it leaves is written with the run's.
     */
    protected void afterListing(
            S schedule,
            Context<S> context,
            AbstractScheduleStatus status,
            List<io.lxdbackup.operator.lxd.Instance> listing,
            List<InstanceSelection.Selected> selected,
            List<C> children,
            Instant listedAt) {}

    @Override
    public List<EventSource<?, S>> prepareEventSources(EventSourceContext<S> context) {
        InformerEventSourceConfiguration<C> cfg = InformerEventSourceConfiguration.from(childClass(), scheduleClass())
                .withSecondaryToPrimaryMapper(c -> ScheduleChildren.schedulesOf(c, kind()))
                .withLabelSelector(LABEL_SCHEDULE)
                .withNamespacesInheritedFromController()
                // The schedule creates its children itself and reads them from the cache on every
                // reconcile: what must wake it is a change it reports or prunes on, not each status
                // write of a running child (a thousand schedules firing at once would otherwise be
                // reconciled again for every child creation and every progress patch).
                .withOnAddFilter(c -> false)
                .withOnUpdateFilter(this::changesWhatTheScheduleSees)
                .build();
        return List.of(new InformerEventSource<>(cfg, context));
    }

    /** Whether a child's update changes its state, result, failure message or deletion mark. */
    boolean changesWhatTheScheduleSees(C now, C before) {
        return childState(now) != childState(before)
                || !Objects.equals(childResult(now), childResult(before))
                || (childState(now) == ChildState.FAILED && !Objects.equals(childMessage(now), childMessage(before)))
                || (now.getMetadata().getDeletionTimestamp() == null)
                        != (before.getMetadata().getDeletionTimestamp() == null);
    }

    @Override
    public UpdateControl<S> reconcile(S schedule, Context<S> context) {
        String uid = schedule.getMetadata().getUid();
        String before = Serialization.asJson(status(schedule));
        StartedRun<C> started = uid == null ? null : startedRuns.get(uid);
        if (started != null) {
            Instant cached = parse(status(schedule).getLastScheduleTime());
            if (cached != null && !cached.isBefore(started.time())) {
                // the cache has the status written after the run
                startedRuns.remove(uid, started);
                started = null;
            } else {
                // the status after the run, which the cache does not have yet
                setStatus(
                        schedule,
                        Serialization.unmarshal(
                                started.status(), status(schedule).getClass()));
                if (started.written()) {
                    before = started.status();
                }
            }
        }
        RunHolder<C> ran = new RunHolder<>();
        UpdateControl<S> control = decideAndRun(schedule, context, started, ran);
        if (ran.time != null && uid != null) {
            // The run has started: its children exist. What is left (retention's deletions, the
            // status write) waits for a follow-up reconcile, queued behind the other schedules whose
            // runs are due now, so that a thousand schedules firing together start their runs first.
            // The status computed here is kept in memory until the cache has it; if the operator
            // stops before the follow-up, the children themselves record the run (see decideAndRun).
            forgetOldRuns();
            List<C> created = started == null ? ran.created : withMissing(ran.created, started.created());
            startedRuns.put(uid, new StartedRun<>(ran.time, Serialization.asJson(status(schedule)), created, false));
            return UpdateControl.<S>noUpdate().rescheduleAfter(Duration.ZERO);
        }
        String after = Serialization.asJson(status(schedule));
        if (control.isPatchStatus() && !before.equals(after)) {
            // the whole status, not a diff against the (possibly stale) cached copy: see StatusWriter
            StatusWriter.replaceStatus(kube, schedule, status(schedule));
            if (started != null) {
                // until the cache has it, later reconciles start from what was written
                startedRuns.replace(uid, started, new StartedRun<>(started.time(), after, started.created(), true));
            }
        }
        // unchanged: no write at all (thousands of schedules wake up on their own)
        if (!control.isPatchStatus()) {
            return control;
        }
        UpdateControl<S> none = UpdateControl.noUpdate();
        control.getScheduleDelay().ifPresent(none::rescheduleAfter);
        return none;
    }

    /**
     * Forgets the run kept in memory for a schedule (which switched to a mode that does not run,
     * or is being deleted).
     */
    protected void forgetStartedRun(S schedule) {
        if (schedule.getMetadata().getUid() != null) {
            startedRuns.remove(schedule.getMetadata().getUid());
        }
    }

    /**
     * A run started by one reconcile: the status it computed (JSON), written by the follow-up
     * ({@code written}) or not yet, and the children it created.
     */
    private record StartedRun<C>(Instant time, String status, List<C> created, boolean written, long startedAtMillis) {
        StartedRun(Instant time, String status, List<C> created, boolean written) {
            this(time, status, List.copyOf(created), written, System.currentTimeMillis());
        }
    }

    /** {@code base} plus the children of {@code extra} whose names it does not have. */
    private static <C extends HasMetadata> List<C> withMissing(List<C> base, List<C> extra) {
        List<C> all = new ArrayList<>(base);
        java.util.Set<String> names =
                base.stream().map(c -> c.getMetadata().getName()).collect(Collectors.toSet());
        extra.stream().filter(c -> !names.contains(c.getMetadata().getName())).forEach(all::add);
        return all;
    }

    /** What a reconcile's run created, if it ran. */
    private static final class RunHolder<C> {
        Instant time;
        List<C> created = List.of();
    }

    /** Drops runs whose follow-up never came (their schedule was deleted in between). */
    private void forgetOldRuns() {
        long now = System.currentTimeMillis();
        long last = lastSweep.get();
        if (now - last > Duration.ofMinutes(1).toMillis() && lastSweep.compareAndSet(last, now)) {
            long cutoff = now - Duration.ofHours(1).toMillis();
            startedRuns.values().removeIf(r -> r.startedAtMillis() < cutoff);
        }
    }

    private UpdateControl<S> decideAndRun(S schedule, Context<S> context, StartedRun<C> started, RunHolder<C> ran) {
        AbstractScheduleStatus status = status(schedule);
        AbstractScheduleSpec spec = spec(schedule);
        long gen = schedule.getMetadata().getGeneration() == null
                ? 0
                : schedule.getMetadata().getGeneration();
        Instant now = clock.instant();
        CronSchedule cron;
        try {
            cron = validate(schedule);
        } catch (Failure f) {
            status.setPhase(SchedulePhase.INVALID);
            status.setNextScheduleTime(null);
            Conditions.set(status, gen, clock, Condition.READY, false, f.reason(), f.getMessage());
            if (status.getFailures() == null) {
                events.warning(schedule, f.reason(), f.getMessage());
            }
            Conditions.countFailure(status);
            return UpdateControl.patchStatus(schedule);
        }
        List<C> children = context.getSecondaryResources(childClass()).stream()
                .filter(c -> ScheduleChildren.belongsTo(c, schedule))
                .collect(Collectors.toList());
        // backupsOnDeletion may have changed: only Delete lets garbage collection cascade
        ScheduleChildren.keepInStep(kube, schedule, spec, children);
        if (started != null) {
            // children the last reconcile created that the cache may not hold yet
            children = withMissing(children, started.created());
        }

        if (Boolean.TRUE.equals(spec.getSuspend())) {
            if (status.getSuspendedAt() == null) {
                status.setSuspendedAt(Conditions.timestamp(now));
                events.normal(schedule, "Suspended", "Schedule suspended; no runs until suspend is false");
            }
            status.setPhase(SchedulePhase.SUSPENDED);
            status.setNextScheduleTime(null);
            report(schedule, status, children);
            applyRetention(schedule, children);
            Conditions.set(
                    status,
                    gen,
                    clock,
                    Condition.READY,
                    true,
                    "Suspended",
                    "Suspended: no runs until suspend is false");
            return UpdateControl.patchStatus(schedule);
        }
        if (status.getSuspendedAt() != null) {
            status.setSuspendedAt(null);
            status.setResumedAt(Conditions.timestamp(now));
            events.normal(schedule, "Resumed", "Schedule resumed; runs missed while suspended are not caught up");
        }

        // A run whose children exist although the status does not record it (the operator stopped
        // in between, or the run failed part way) is finished now whatever its deadline: the
        // children made already answer "already exists", the missing ones are created. It counts
        // as the last run, so it is neither repeated later nor reported missed.
        Instant recorded = parse(status.getLastScheduleTime());
        Instant newestChild = newestChildTime(children);
        ZonedDateTime unfinished = newestChild != null && (recorded == null || newestChild.isAfter(recorded))
                ? newestChild.atZone(cron.zone())
                : null;
        Instant lastRun = unfinished != null ? newestChild : recorded;
        ScheduleDecision d = ScheduleDecision.decide(
                cron,
                now,
                lastRun,
                parse(schedule.getMetadata().getCreationTimestamp(), now),
                parse(status.getResumedAt()),
                spec.getStartingDeadlineSeconds(),
                false);
        // the series exists at 0 from the schedule's first reconcile, so that a first miss is an increase
        metrics.missedRuns(
                kind(),
                schedule.getMetadata().getNamespace(),
                schedule.getMetadata().getName(),
                d.missedRuns());
        if (d.missedRuns() > 0) {
            status.setMissedRuns(d.missedRuns());
            status.setLastMissedTime(d.latestMissedTime()
                    .map(t -> Conditions.timestamp(t.toInstant()))
                    .orElse(null));
            events.warning(
                    schedule,
                    "MissedRuns",
                    d.missedRuns() + " scheduled run(s) missed (latest " + status.getLastMissedTime() + "); "
                            + (d.shouldRun()
                                    ? "running the latest one late"
                                    : "past startingDeadlineSeconds, not run"));
            if (!d.shouldRun() && d.latestMissedTime().isPresent()) {
                // a run too late to start still counts as decided, so it is not reconsidered
                status.setLastScheduleTime(
                        Conditions.timestamp(d.latestMissedTime().get().toInstant()));
            }
        }
        try {
            // what the last run found stands until the next run, unless the spec changed since
            boolean nothingSelected = status.findCondition(Condition.READY)
                    .filter(c -> Reasons.NO_INSTANCES_SELECTED.equals(c.getReason()))
                    .filter(c -> c.getObservedGeneration() != null && c.getObservedGeneration() == gen)
                    .isPresent();
            ZonedDateTime runTime = d.shouldRun() ? d.scheduledTime().get() : unfinished;
            RunOutcome<C> outcome = null;
            if (runTime != null) {
                outcome = run(schedule, context, status, runTime, children);
                children = new ArrayList<>(children);
                children.addAll(outcome.created());
                nothingSelected = outcome.nothingSelected();
            }
            report(schedule, status, children);
            if (outcome == null) {
                // after a run, retention waits for the follow-up reconcile (see reconcile)
                applyRetention(schedule, children);
            }
            status.setPhase(SchedulePhase.ACTIVE);
            status.setNextScheduleTime(d.nextScheduleTime()
                    .map(t -> Conditions.timestamp(t.toInstant()))
                    .orElse(null));
            if (!nothingSelected) {
                Conditions.set(
                        status,
                        gen,
                        clock,
                        Condition.READY,
                        true,
                        "Scheduled",
                        status.getNextScheduleTime() == null
                                ? "Schedule never fires again"
                                : "Next run at " + status.getNextScheduleTime());
            } else if (outcome != null) {
                Conditions.set(
                        status,
                        gen,
                        clock,
                        Condition.READY,
                        false,
                        Reasons.NO_INSTANCES_SELECTED,
                        "The last run selected no instance: check instances, instanceSelector and includeStopped");
            }
            // (without a run, a standing NoInstancesSelected is left as it is: no write until the next run)
            if (outcome != null) {
                ran.time = runTime.toInstant();
                ran.created = outcome.created();
            }
            Duration wait = d.requeueAfter(clock.instant()).orElse(maxWait);
            return UpdateControl.patchStatus(schedule).rescheduleAfter(wait.compareTo(maxWait) > 0 ? maxWait : wait);
        } catch (Exception e) {
            Failure f = Failure.from(e, kind() + " run");
            Conditions.set(status, gen, clock, Condition.READY, false, f.reason(), f.getMessage());
            int failures = Conditions.countFailure(status);
            if (failures == 1) {
                events.warning(schedule, f.reason(), f.getMessage());
            }
            LOG.warn(
                    "{} {}/{}: {}: {}",
                    kind(),
                    schedule.getMetadata().getNamespace(),
                    schedule.getMetadata().getName(),
                    f.reason(),
                    f.getMessage());
            // retried: lastScheduleTime was not advanced, and children this run did create make the
            // retry finish the run whatever its deadline (see "unfinished" above)
            return UpdateControl.patchStatus(schedule).rescheduleAfter(Backoff.delay(failures, maxWait));
        }
    }

    /** The newest scheduled time among the children (each carries the time of its run). */
    private Instant newestChildTime(List<C> children) {
        Instant newest = null;
        for (C c : children) {
            Map<String, String> a = c.getMetadata().getAnnotations();
            Instant t = a == null ? null : parse(a.get(ANNOTATION_SCHEDULED_TIME));
            if (t != null && (newest == null || t.isAfter(newest))) {
                newest = t;
            }
        }
        return newest;
    }

    /** What one run did: the children it created, and whether it found nothing to back up. */
    private record RunOutcome<C>(List<C> created, boolean nothingSelected) {}

    private CronSchedule validate(S schedule) {
        AbstractScheduleSpec spec = spec(schedule);
        if (spec.getRemoteRef() == null
                || spec.getRemoteRef().getName() == null
                || spec.getRemoteRef().getName().isBlank()) {
            throw Failure.permanent(Reasons.INVALID_SPEC, "spec.remoteRef.name is required");
        }
        if (!VolumeSelection.anyInstances(spec) && !VolumeSelection.any(spec)) {
            throw Failure.permanent(
                    Reasons.INVALID_SPEC,
                    "the selection is empty: set instances, instanceSelector, volumes or volumeSelector (any combination)");
        }
        VolumeSelection.validate(spec);
        if (spec.getStartingDeadlineSeconds() != null && spec.getStartingDeadlineSeconds() < 0) {
            throw Failure.permanent(Reasons.INVALID_SPEC, "startingDeadlineSeconds must be 0 or more");
        }
        CronSchedule cron;
        try {
            cron = CronSchedule.parse(spec.getSchedule(), spec.getTimeZone());
        } catch (InvalidScheduleException e) {
            throw Failure.permanent(Reasons.INVALID_SCHEDULE, e.getMessage());
        }
        try {
            retention(spec);
        } catch (IllegalArgumentException e) {
            throw Failure.permanent(Reasons.INVALID_SPEC, "retention: " + e.getMessage());
        }
        validateMore(schedule);
        return cron;
    }

    static RetentionPolicy retention(AbstractScheduleSpec spec) {
        RetentionSpec r = spec.getRetention();
        if (r == null) {
            return RetentionPolicy.keepAll();
        }
        for (Integer v : new Integer[] {
            r.getKeepLast(),
            r.getKeepHourly(),
            r.getKeepDaily(),
            r.getKeepWeekly(),
            r.getKeepMonthly(),
            r.getKeepYearly()
        }) {
            if (v != null && v < 0) {
                throw new IllegalArgumentException("keep counts must be 0 or more (got " + v + ")");
            }
        }
        return new RetentionPolicy(
                r.getKeepLast(),
                r.getKeepHourly(),
                r.getKeepDaily(),
                r.getKeepWeekly(),
                r.getKeepMonthly(),
                r.getKeepYearly());
    }

    private RunOutcome<C> run(
            S schedule, Context<S> context, AbstractScheduleStatus status, ZonedDateTime t, List<C> children) {
        long reconcileStart = System.currentTimeMillis();
        AbstractScheduleSpec spec = spec(schedule);
        LxdApi client = connections
                .connect(
                        schedule.getMetadata().getNamespace(),
                        spec.getRemoteRef().getName(),
                        spec.getProject())
                .client();
        long connected = System.currentTimeMillis();
        // one listing per remote and project for all the runs of this scheduled time
        // (a schedule of volumes only does not list the instances)
        List<io.lxdbackup.operator.lxd.Instance> listing = !VolumeSelection.anyInstances(spec)
                ? List.of()
                : listings.list(
                        schedule.getMetadata().getNamespace() + "/"
                                + spec.getRemoteRef().getName() + "/" + spec.getProject(),
                        client.connection(),
                        t.toInstant(),
                        () -> listForRun(client));
        Instant listedAt = clock.instant();
        List<InstanceSelection.Selected> selected = InstanceSelection.select(listing, spec);
        List<VolumeSelection.Selected> volumes = VolumeSelection.any(spec)
                ? VolumeSelection.select(spec, pool -> VolumeSelection.listPool(client, pool))
                : List.of();
        long selectedAt = System.currentTimeMillis();
        Map<String, InstanceRunStatus> runs = runsByName(status);
        int started = 0;
        List<C> created = new ArrayList<>();
        for (InstanceSelection.Selected s : selected) {
            InstanceRunStatus run = runs.computeIfAbsent(s.name(), ScheduleReconcilerBase::newRun);
            run.setLastRunTime(Conditions.timestamp(t.toInstant()));
            if (!s.exists()) {
                run.setLastResult(RunResult.FAILED);
                run.setMessage("instance " + s.name() + " does not exist");
                continue;
            }
            if (!s.running() && !includeStopped(schedule)) {
                run.setLastResult(RunResult.SKIPPED);
                run.setMessage("instance is stopped (set includeStopped: true to include it)");
                continue;
            }
            Map<String, String> labels = new LinkedHashMap<>();
            labels.put(LABEL_INSTANCE, s.name());
            if (startChild(
                    schedule,
                    spec,
                    t,
                    s.name(),
                    () -> newChild(schedule, s.name(), t),
                    labels,
                    children,
                    run,
                    created)) {
                started++;
            }
        }
        for (VolumeSelection.Selected v : volumes) {
            InstanceRunStatus run = runs.computeIfAbsent(v.key(), ScheduleReconcilerBase::newRun);
            run.setLastRunTime(Conditions.timestamp(t.toInstant()));
            if (!v.exists()) {
                run.setLastResult(RunResult.FAILED);
                run.setMessage(v.problem());
                continue;
            }
            Map<String, String> labels = new LinkedHashMap<>();
            if (isLabelValue(v.name()) && isLabelValue(v.pool())) {
                labels.put(LABEL_VOLUME, v.name());
                labels.put(LABEL_POOL, v.pool());
            }
            VolumeRef ref = new VolumeRef(v.pool(), v.name());
            if (startChild(
                    schedule,
                    spec,
                    t,
                    v.key(),
                    () -> newVolumeChild(schedule, ref, t),
                    labels,
                    children,
                    run,
                    created)) {
                started++;
            }
        }
        if (LOG.isDebugEnabled()) {
            // where a late run's time went (docs/benchmarks.md): waiting to be reconciled, the
            // remote lookup, LXD's instance list, creating the children
            LOG.debug(
                    "{} {}/{}: run for {} started {} ms after its time; remote {} ms, selection {} ms, {} children in {} ms",
                    kind(),
                    schedule.getMetadata().getNamespace(),
                    schedule.getMetadata().getName(),
                    t.toInstant(),
                    reconcileStart - t.toInstant().toEpochMilli(),
                    connected - reconcileStart,
                    selectedAt - connected,
                    created.size(),
                    System.currentTimeMillis() - selectedAt);
        }
        writeRuns(status, runs);
        status.setLastScheduleTime(Conditions.timestamp(t.toInstant()));
        afterListing(schedule, context, status, listing, selected, children, listedAt);
        int targets = selected.size() + volumes.size();
        if (targets == 0) {
            events.warning(
                    schedule,
                    Reasons.NO_INSTANCES_SELECTED,
                    "Run at " + t.toInstant() + " selected no instance and no volume");
        } else if (started > 0) {
            events.normal(
                    schedule,
                    "Run",
                    "Run for " + t.toInstant() + ": started " + started + " of " + targets
                            + (volumes.isEmpty() ? " instance(s)" : " instance(s) and volume(s)"));
        }
        metrics.operation(kind(), "run", "success", null);
        return new RunOutcome<>(created, targets == 0);
    }

    /**
     * Creates the child of one target (instance or volume, by its {@code key}) for the run at
     * {@code t} unless concurrencyPolicy: Forbid skips it, and records that in {@code run}.
     *
     * @return whether this call created the child (false: skipped, or it existed already)
     */
    private boolean startChild(
            S schedule,
            AbstractScheduleSpec spec,
            ZonedDateTime t,
            String key,
            java.util.function.Supplier<C> factory,
            Map<String, String> targetLabels,
            List<C> children,
            InstanceRunStatus run,
            List<C> created) {
        boolean forbid = spec.getConcurrencyPolicy() == null || spec.getConcurrencyPolicy() == ConcurrencyPolicy.FORBID;
        if (forbid
                && children.stream()
                        .anyMatch(c ->
                                key.equals(targetKey(c)) && childState(c) == ChildState.RUNNING && !isForTime(c, t))) {
            run.setLastResult(RunResult.SKIPPED);
            run.setMessage("previous run still in progress (concurrencyPolicy: Forbid)");
            return false;
        }
        // a volume's key (pool/name) is never a valid name part, so its children's names take the
        // hashed form of ChildNames and never meet an instance's
        String name = ChildNames.childName(schedule.getMetadata().getName(), key, t);
        C child = factory.get();
        child.getMetadata().setName(name);
        child.getMetadata().setNamespace(schedule.getMetadata().getNamespace());
        Map<String, String> labels = new LinkedHashMap<>();
        if (child.getMetadata().getLabels() != null) {
            labels.putAll(child.getMetadata().getLabels());
        }
        labels.put(LABEL_SCHEDULE, schedule.getMetadata().getName());
        labels.putAll(targetLabels);
        labels.put(LABEL_REMOTE, spec.getRemoteRef().getName());
        child.getMetadata().setLabels(labels);
        Map<String, String> annotations = new LinkedHashMap<>();
        if (child.getMetadata().getAnnotations() != null) {
            annotations.putAll(child.getMetadata().getAnnotations());
        }
        annotations.put(ANNOTATION_SCHEDULED_TIME, t.toInstant().toString());
        child.getMetadata().setAnnotations(annotations);
        // born with the finalizer its controller would add: saves that controller a write and a
        // reconcile round per child, which counts when a thousand schedules fire at once
        child.getMetadata().setFinalizers(List.of(ReconcilerUtils.getDefaultFinalizerName(childClass())));
        // owned (deleted with the schedule) only under backupsOnDeletion: Delete
        ScheduleChildren.bind(child, schedule, spec);
        boolean made = false;
        try {
            created.add(kube.resource(child).create());
            made = true;
            metrics.runStartDelay(kind(), Duration.between(t.toInstant(), clock.instant()));
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
            // created before a restart (or seen from a stale cache): same scheduled time, same name
        }
        run.setLastResult(RunResult.RUNNING);
        run.setMessage(null);
        setLastResultName(run, name, null);
        return made;
    }

    private static final java.util.regex.Pattern LABEL_VALUE =
            java.util.regex.Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");

    static boolean isLabelValue(String v) {
        return v != null && v.length() <= 63 && LABEL_VALUE.matcher(v).matches();
    }

    /** A new per-target status entry: an instance's, or a volume's for a {@code pool/name} key. */
    static InstanceRunStatus newRun(String key) {
        InstanceRunStatus r = new InstanceRunStatus();
        if (VolumeSelection.isVolumeKey(key)) {
            String[] pn = VolumeSelection.split(key);
            r.setPool(pn[0]);
            r.setName(pn[1]);
        } else {
            r.setName(key);
        }
        return r;
    }

    /** Splits the per-target entries into status.instances and status.volumes. */
    static void writeRuns(AbstractScheduleStatus status, Map<String, InstanceRunStatus> runs) {
        List<InstanceRunStatus> instances = new ArrayList<>();
        List<InstanceRunStatus> volumes = new ArrayList<>();
        runs.values().forEach(r -> (r.getPool() == null ? instances : volumes).add(r));
        status.setInstances(instances.isEmpty() ? null : instances);
        status.setVolumes(volumes.isEmpty() ? null : volumes);
    }

    /** Per-instance result and lastSuccessfulTime from the children. */
    private void report(S schedule, AbstractScheduleStatus status, List<C> children) {
        Map<String, InstanceRunStatus> runs = runsByName(status);
        Map<String, List<C>> byInstance = children.stream()
                .filter(c -> targetKey(c) != null)
                .collect(Collectors.groupingBy(this::targetKey, TreeMap::new, Collectors.toList()));
        Map<Instant, Boolean> runOk = new HashMap<>();
        List<String> active = new ArrayList<>();
        for (Map.Entry<String, List<C>> e : byInstance.entrySet()) {
            List<C> list = new ArrayList<>(e.getValue());
            list.sort(Comparator.comparing(this::scheduledTime));
            InstanceRunStatus run = runs.computeIfAbsent(e.getKey(), ScheduleReconcilerBase::newRun);
            for (C c : list) {
                ChildState st = childState(c);
                runOk.merge(scheduledTime(c), st == ChildState.SUCCEEDED, Boolean::logicalAnd);
                if (st == ChildState.RUNNING) {
                    active.add(c.getMetadata().getName());
                }
                if (st == ChildState.SUCCEEDED) {
                    run.setLastSuccessfulTime(Conditions.timestamp(scheduledTime(c)));
                }
            }
            C newest = list.get(list.size() - 1);
            Instant newestTime = scheduledTime(newest);
            Instant recorded = parse(run.getLastRunTime());
            if (recorded == null || !newestTime.isBefore(recorded)) {
                ChildState st = childState(newest);
                run.setLastRunTime(Conditions.timestamp(newestTime));
                run.setLastResult(
                        st == ChildState.SUCCEEDED
                                ? RunResult.SUCCEEDED
                                : st == ChildState.FAILED ? RunResult.FAILED : RunResult.RUNNING);
                run.setMessage(st == ChildState.FAILED ? childMessage(newest) : null);
                setLastResult(run, newest);
            }
        }
        runOk.entrySet().stream()
                .filter(Map.Entry::getValue)
                .map(Map.Entry::getKey)
                .max(Comparator.naturalOrder())
                .ifPresent(t -> status.setLastSuccessfulTime(Conditions.timestamp(t)));
        status.setActive(active.isEmpty() ? null : active);
        writeRuns(status, runs);
    }

    /**
     * Retention per instance over this schedule's own children: only finished children are
     * ever deleted, and the newest successful one is always kept.
     */
    private void applyRetention(S schedule, List<C> children) {
        RetentionPolicy policy = retention(spec(schedule));
        if (!policy.hasAnyRule()) {
            return;
        }
        Map<String, List<C>> byInstance = children.stream()
                .filter(c -> targetKey(c) != null)
                .filter(c -> c.getMetadata().getDeletionTimestamp() == null)
                .collect(Collectors.groupingBy(this::targetKey));
        CronSchedule cron =
                CronSchedule.parse(spec(schedule).getSchedule(), spec(schedule).getTimeZone());
        for (List<C> list : byInstance.values()) {
            Map<String, C> byName = new HashMap<>();
            List<RetentionCandidate> candidates = new ArrayList<>();
            for (C c : list) {
                byName.put(c.getMetadata().getName(), c);
                candidates.add(new RetentionCandidate(c.getMetadata().getName(), scheduledTime(c), countsAsGood(c)));
            }
            RetentionResult result = policy.select(candidates, cron.zone());
            for (String id : result.removeIds()) {
                C c = byName.get(id);
                if (c == null || childState(c) == ChildState.RUNNING || pruneWaits(schedule, c)) {
                    continue;
                }
                kube.resource(c).delete();
                events.normal(
                        schedule,
                        "Pruned",
                        "Retention removed " + id + " ("
                                + String.join(", ", result.reasons().getOrDefault(id, List.of())) + ")");
                metrics.operation(kind(), "prune", "success", null);
            }
        }
    }

    /** The per-target entries of status.instances (by name) and status.volumes (by pool/name). */
    static Map<String, InstanceRunStatus> runsByName(AbstractScheduleStatus status) {
        Map<String, InstanceRunStatus> runs = new TreeMap<>();
        if (status.getInstances() != null) {
            status.getInstances().forEach(r -> runs.put(r.getName(), r));
        }
        if (status.getVolumes() != null) {
            status.getVolumes().stream()
                    .filter(r -> r.getPool() != null)
                    .forEach(r -> runs.put(VolumeSelection.key(r.getPool(), r.getName()), r));
        }
        return runs;
    }

    private boolean isForTime(C c, ZonedDateTime t) {
        return t.toInstant().equals(scheduledTime(c));
    }

    protected Instant scheduledTime(C c) {
        Map<String, String> a = c.getMetadata().getAnnotations();
        Instant t = a == null ? null : parse(a.get(ANNOTATION_SCHEDULED_TIME));
        return t != null ? t : parse(c.getMetadata().getCreationTimestamp(), Instant.EPOCH);
    }

    static String label(HasMetadata h, String key) {
        return h.getMetadata().getLabels() == null
                ? null
                : h.getMetadata().getLabels().get(key);
    }

    static Instant parse(String t) {
        return t == null || t.isBlank() ? null : Instant.parse(t);
    }

    static Instant parse(String t, Instant fallback) {
        Instant i = parse(t);
        return i == null ? fallback : i;
    }
}
