package io.lxdbackup.operator.controller;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.lxdbackup.operator.api.v1alpha1.AbstractScheduleSpec;
import io.lxdbackup.operator.api.v1alpha1.AbstractScheduleStatus;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.DeletionPolicy;
import io.lxdbackup.operator.api.v1alpha1.InstanceRunStatus;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshot;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotSpec;
import io.lxdbackup.operator.api.v1alpha1.InventorySpec;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.api.v1alpha1.SchedulePhase;
import io.lxdbackup.operator.api.v1alpha1.SnapshotSchedule;
import io.lxdbackup.operator.api.v1alpha1.SnapshotScheduleMode;
import io.lxdbackup.operator.api.v1alpha1.SnapshotScheduleSpec;
import io.lxdbackup.operator.api.v1alpha1.SnapshotScheduleStatus;
import io.lxdbackup.operator.api.v1alpha1.VolumeRef;
import io.lxdbackup.operator.lxd.Instance;
import io.lxdbackup.operator.lxd.LxdApi;
import io.lxdbackup.operator.lxd.LxdException;
import io.lxdbackup.operator.metrics.OperatorMetrics;
import io.lxdbackup.operator.schedule.CronSchedule;
import io.lxdbackup.operator.schedule.GoDuration;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Periodic snapshots. {@code mode: Operator} (default) creates one {@link InstanceSnapshot}
 * per selected instance or custom volume and run, and applies retention (see {@link
 * ScheduleReconcilerBase}). {@code mode: Server} writes LXD's own {@code snapshots.schedule},
 * {@code .schedule.stopped}, {@code .pattern} and {@code .expiry} keys on each selected instance
 * (the same but {@code .schedule.stopped} on each selected volume), puts them back when they are
 * changed by hand, and removes them when the schedule is suspended or deleted.
 */
@ControllerConfiguration(name = "snapshotschedule")
public class SnapshotScheduleReconciler extends ScheduleReconcilerBase<SnapshotSchedule, InstanceSnapshot>
        implements Cleaner<SnapshotSchedule> {
    private static final org.slf4j.Logger CLEANUP_LOG =
            org.slf4j.LoggerFactory.getLogger(SnapshotScheduleReconciler.class);
    static final String KEY_SCHEDULE = "snapshots.schedule";
    static final String KEY_STOPPED = "snapshots.schedule.stopped";
    static final String KEY_PATTERN = "snapshots.pattern";
    static final String KEY_EXPIRY = "snapshots.expiry";
    static final List<String> SERVER_KEYS = List.of(KEY_SCHEDULE, KEY_STOPPED, KEY_PATTERN, KEY_EXPIRY);
    /** A custom volume's config has the same keys but snapshots.schedule.stopped. */
    static final List<String> VOLUME_SERVER_KEYS = List.of(KEY_SCHEDULE, KEY_PATTERN, KEY_EXPIRY);
    /** How often server mode re-reads the keys to find and undo hand edits. */
    static final Duration DRIFT_CHECK = Duration.ofMinutes(2);

    private static final Pattern DATE_TEMPLATE =
            Pattern.compile("\\{\\{\\s*creation_date\\s*\\|\\s*date:'([^']*)'\\s*}}");

    public SnapshotScheduleReconciler(
            KubernetesClient kube,
            RemoteConnections connections,
            EventRecorder events,
            OperatorMetrics metrics,
            Clock clock,
            Duration maxWait) {
        super(kube, connections, events, metrics, clock, maxWait);
    }

    @Override
    protected String kind() {
        return "SnapshotSchedule";
    }

    @Override
    protected Class<SnapshotSchedule> scheduleClass() {
        return SnapshotSchedule.class;
    }

    @Override
    protected Class<InstanceSnapshot> childClass() {
        return InstanceSnapshot.class;
    }

    @Override
    protected AbstractScheduleSpec spec(SnapshotSchedule s) {
        return s.getSpec();
    }

    @Override
    protected void setStatus(SnapshotSchedule s, AbstractScheduleStatus status) {
        s.setStatus((SnapshotScheduleStatus) status);
    }

    @Override
    protected AbstractScheduleStatus status(SnapshotSchedule s) {
        if (s.getStatus() == null) {
            s.setStatus(new SnapshotScheduleStatus());
        }
        return s.getStatus();
    }

    @Override
    protected boolean includeStopped(SnapshotSchedule s) {
        return Boolean.TRUE.equals(s.getSpec().getIncludeStopped());
    }

    @Override
    protected void validateMore(SnapshotSchedule s) {
        SnapshotScheduleSpec spec = s.getSpec();
        if (spec.getExpiry() != null) {
            try {
                GoDuration.parse(spec.getExpiry());
            } catch (IllegalArgumentException e) {
                throw Failure.permanent(Reasons.INVALID_SPEC, "expiry: " + e.getMessage());
            }
        }
        if (isServerMode(s)) {
            if (spec.getTimeZone() != null && !spec.getTimeZone().equals("UTC")) {
                throw Failure.permanent(
                        Reasons.INVALID_SPEC,
                        "timeZone is not supported with mode: Server (LXD evaluates "
                                + "snapshots.schedule in the server's own time zone); remove timeZone or use mode: Operator");
            }
            if (spec.getRetention() != null) {
                throw Failure.permanent(
                        Reasons.INVALID_SPEC,
                        "retention needs mode: Operator; with mode: Server use expiry "
                                + "so LXD removes old snapshots itself");
            }
            if (spec.getExpiry() != null) {
                lxdExpiry(spec.getExpiry());
            }
            if (spec.getSnapshotNamePattern() != null && !balanced(spec.getSnapshotNamePattern())) {
                throw Failure.permanent(Reasons.INVALID_SPEC, "snapshotNamePattern has unbalanced {{ }} or {% %}");
            }
        } else if (spec.getSnapshotNamePattern() != null) {
            renderPattern(spec.getSnapshotNamePattern(), ZonedDateTime.now(ZoneOffset.UTC));
        }
    }

    @Override
    protected InstanceSnapshot newChild(SnapshotSchedule s, String instance, ZonedDateTime scheduledTime) {
        SnapshotScheduleSpec spec = s.getSpec();
        InstanceSnapshot child = new InstanceSnapshot();
        InstanceSnapshotSpec cs = new InstanceSnapshotSpec();
        cs.setRemoteRef(new ObjectRef(spec.getRemoteRef().getName()));
        cs.setInstance(instance);
        cs.setProject(spec.getProject());
        cs.setStateful(spec.getStateful());
        cs.setAttachedVolumes(spec.getAttachedVolumes());
        cs.setTtl(spec.getExpiry());
        cs.setDeletionPolicy(DeletionPolicy.DELETE);
        if (spec.getSnapshotNamePattern() != null) {
            String name = renderPattern(spec.getSnapshotNamePattern(), scheduledTime);
            if (name.contains("%d")) {
                // the number is chosen when the snapshot is taken, from the snapshots then on the
                // server, under the InstanceSnapshot controller's per-instance lock
                child.getMetadata().setAnnotations(Map.of(InstanceSnapshotReconciler.ANNOTATION_NAME_PATTERN, name));
            } else {
                cs.setSnapshotName(name);
            }
        }
        child.setSpec(cs);
        return child;
    }

    /**
     * A volume's snapshot: name pattern, expiry and deletion as for an instance; stateful and
     * attachedVolumes are for instances and are left out.
     */
    @Override
    protected InstanceSnapshot newVolumeChild(SnapshotSchedule s, VolumeRef volume, ZonedDateTime scheduledTime) {
        InstanceSnapshot child = newChild(s, "-", scheduledTime);
        child.getSpec().setInstance(null);
        child.getSpec().setVolume(volume);
        child.getSpec().setStateful(null);
        child.getSpec().setAttachedVolumes(null);
        return child;
    }

    @Override
    protected VolumeRef childVolume(InstanceSnapshot c) {
        return c.getSpec() == null ? null : c.getSpec().getVolume();
    }

    @Override
    protected ChildState childState(InstanceSnapshot c) {
        if (c.getStatus() == null || c.getStatus().getPhase() == null) {
            return ChildState.RUNNING;
        }
        if (c.getStatus().getPhase() == InstanceSnapshotPhase.READY) {
            return ChildState.SUCCEEDED;
        }
        return c.getStatus().getPhase() == InstanceSnapshotPhase.FAILED ? ChildState.FAILED : ChildState.RUNNING;
    }

    @Override
    protected String childResult(InstanceSnapshot c) {
        return c.getStatus() == null ? null : c.getStatus().getSnapshotName();
    }

    @Override
    protected String childMessage(InstanceSnapshot c) {
        return c.getStatus() == null
                ? null
                : c.getStatus()
                        .findCondition(Condition.READY)
                        .map(Condition::getMessage)
                        .orElse(null);
    }

    @Override
    protected void setLastResultName(InstanceRunStatus run, String childName, String result) {
        run.setLastSnapshot(childName);
        run.setLastSnapshotTime(null);
    }

    @Override
    protected void setLastResult(InstanceRunStatus run, InstanceSnapshot child) {
        run.setLastSnapshot(child.getMetadata().getName());
        run.setLastSnapshotTime(
                childState(child) == ChildState.SUCCEEDED ? child.getStatus().getCreationTime() : null);
    }

    // ------------------------------------------------------------------ inventory

    @Override
    protected List<Instance> listForRun(LxdApi client) {
        return listWithSnapshots(client);
    }

    /** The instances with their snapshots; without them when the answer is too large to read. */
    private static List<Instance> listWithSnapshots(LxdApi client) {
        try {
            return client.listInstancesWithSnapshots();
        } catch (LxdException.ResponseTooLarge e) {
            CLEANUP_LOG.warn(
                    "{}: instance listing with snapshots too large, listing without: {}", client, e.getMessage());
            return client.listInstances();
        }
    }

    @Override
    protected void afterListing(
            SnapshotSchedule s,
            Context<SnapshotSchedule> context,
            AbstractScheduleStatus status,
            List<Instance> listing,
            List<InstanceSelection.Selected> selected,
            List<InstanceSnapshot> children,
            Instant listedAt) {
        List<String> names = selected.stream()
                .filter(InstanceSelection.Selected::exists)
                .map(InstanceSelection.Selected::name)
                .toList();
        inventory(s, context, (SnapshotScheduleStatus) status, listing, names, children, i -> null, listedAt, false);
    }

    /** Fills the inventory of {@code names} from {@code listing} into the status, and the metric. */
    private void inventory(
            SnapshotSchedule s,
            Context<SnapshotSchedule> context,
            SnapshotScheduleStatus status,
            List<Instance> listing,
            Collection<String> names,
            Collection<InstanceSnapshot> children,
            Function<Instance, Predicate<String>> serverMade,
            Instant listedAt,
            boolean setLast) {
        SnapshotInventories.Result r = SnapshotInventories.build(
                listing,
                names,
                operatorMade(s, context, children),
                serverMade,
                InventorySpec.maxPerInstance(s.getSpec().getInventory()));
        Map<String, Integer> counts = new TreeMap<>();
        if (r == null) {
            SnapshotInventories.clear(status);
        } else {
            SnapshotInventories.apply(status, r, listedAt, setLast);
            r.byInstance().forEach((n, e) -> {
                if (e.inventory() != null) {
                    counts.put(n, e.inventory().getCount());
                }
            });
        }
        metrics.instanceSnapshots(
                s.getMetadata().getNamespace(), s.getMetadata().getName(), counts);
    }

    /**
     * Per instance, the names of the snapshots that InstanceSnapshots of operator-mode schedules
     * in the namespace (this one's and the others', as the informer holds them) made on this
     * remote and project.
     */
    private static Function<String, Set<String>> operatorMade(
            SnapshotSchedule s, Context<SnapshotSchedule> context, Collection<InstanceSnapshot> children) {
        String remote = s.getSpec().getRemoteRef().getName();
        String project = projectOf(s.getSpec().getProject());
        List<InstanceSnapshot> all = new ArrayList<>(children);
        try {
            if (context != null
                    && context.eventSourceRetriever().getEventSourceFor(InstanceSnapshot.class)
                            instanceof InformerEventSource<InstanceSnapshot, SnapshotSchedule> informer) {
                informer.list(s.getMetadata().getNamespace(), c -> true).forEach(all::add);
            }
        } catch (RuntimeException e) {
            // no informer (a reconcile outside the SDK): this schedule's children only
        }
        Map<String, Set<String>> out = new HashMap<>();
        for (InstanceSnapshot c : all) {
            if (c.getSpec() == null
                    || c.getSpec().getInstance() == null
                    || c.getStatus() == null
                    || c.getStatus().getSnapshotName() == null
                    || c.getSpec().getRemoteRef() == null
                    || !remote.equals(c.getSpec().getRemoteRef().getName())
                    || !project.equals(projectOf(c.getSpec().getProject()))) {
                continue;
            }
            out.computeIfAbsent(c.getSpec().getInstance(), k -> new HashSet<>())
                    .add(c.getStatus().getSnapshotName());
        }
        return out::get;
    }

    private static String projectOf(String p) {
        return p == null || p.isBlank() ? "default" : p;
    }

    @Override
    public UpdateControl<SnapshotSchedule> reconcile(SnapshotSchedule s, Context<SnapshotSchedule> context) {
        if (!isServerMode(s)) {
            return super.reconcile(s, context);
        }
        forgetStartedRun(s);
        return reconcileServerMode(s, context);
    }

    static boolean isServerMode(SnapshotSchedule s) {
        return s.getSpec() != null && s.getSpec().getMode() == SnapshotScheduleMode.SERVER;
    }

    // ------------------------------------------------------------------ server mode

    private UpdateControl<SnapshotSchedule> reconcileServerMode(SnapshotSchedule s, Context<SnapshotSchedule> context) {
        SnapshotScheduleStatus status = (SnapshotScheduleStatus) status(s);
        long gen = s.getMetadata().getGeneration() == null ? 0 : s.getMetadata().getGeneration();
        SnapshotScheduleSpec spec = s.getSpec();
        try {
            if (spec.getRemoteRef() == null || spec.getRemoteRef().getName() == null) {
                throw Failure.permanent(Reasons.INVALID_SPEC, "spec.remoteRef.name is required");
            }
            if (!VolumeSelection.anyInstances(spec) && !VolumeSelection.any(spec)) {
                throw Failure.permanent(
                        Reasons.INVALID_SPEC,
                        "the selection is empty: set instances, instanceSelector, volumes or volumeSelector (any combination)");
            }
            VolumeSelection.validate(spec);
            try {
                CronSchedule.parse(spec.getSchedule(), spec.getTimeZone());
            } catch (IllegalArgumentException e) {
                throw Failure.permanent(Reasons.INVALID_SCHEDULE, e.getMessage());
            }
            validateMore(s);
        } catch (Failure f) {
            status.setPhase(SchedulePhase.INVALID);
            Conditions.set(status, gen, clock, Condition.READY, false, f.reason(), f.getMessage());
            return UpdateControl.patchStatus(s);
        }
        try {
            LxdApi client = connections
                    .connect(s.getMetadata().getNamespace(), spec.getRemoteRef().getName(), spec.getProject())
                    .client();
            Set<String> managed = new TreeSet<>(
                    status.getConfiguredInstances() == null ? List.of() : status.getConfiguredInstances());
            List<String> drift = new ArrayList<>();
            Set<String> wanted = new TreeSet<>();
            boolean suspended = Boolean.TRUE.equals(spec.getSuspend());
            List<Instance> listing = null;
            Instant listedAt = null;
            if (!suspended && VolumeSelection.anyInstances(spec)) {
                listing = listWithSnapshots(client);
                listedAt = clock.instant();
                for (InstanceSelection.Selected sel : InstanceSelection.select(listing, spec)) {
                    if (sel.exists()) {
                        wanted.add(sel.name());
                    }
                }
            }
            Set<String> selected = new TreeSet<>(wanted);
            Map<String, String> desired = desiredKeys(spec);
            ServerScheduleKeys keys = serverKeys(s);
            List<String> conflicts = new ArrayList<>();
            for (String inst : new ArrayList<>(wanted)) {
                ServerScheduleKeys.Outcome o = keys.apply(client, inst, desired, managed.contains(inst));
                drift.addAll(o.drift());
                if (o.conflict() != null) {
                    conflicts.add(o.conflict());
                    wanted.remove(inst);
                }
            }
            for (String gone : managed) {
                if (!wanted.contains(gone)) {
                    keys.remove(client, gone, true);
                }
            }
            status.setConfiguredInstances(wanted.isEmpty() ? null : new ArrayList<>(wanted));
            Set<String> wantedVolumes = configureVolumes(s, client, status, suspended, drift, conflicts);
            if (listing != null) {
                // LXD's own schedule names its snapshots by the pattern on the instances this schedule configures
                inventory(
                        s,
                        context,
                        status,
                        listing,
                        selected,
                        List.of(),
                        i -> wanted.contains(i.name()) ? serverPattern(spec, i) : null,
                        listedAt,
                        true);
            }
            status.setDrift(drift.isEmpty() ? null : drift);
            if (!drift.isEmpty()) {
                events.warning(
                        s, Reasons.DRIFT_CORRECTED, "Restored keys changed by hand: " + String.join(", ", drift));
            }
            status.setNextScheduleTime(null);
            if (suspended) {
                status.setPhase(SchedulePhase.SUSPENDED);
                Conditions.set(
                        status,
                        gen,
                        clock,
                        Condition.READY,
                        true,
                        "Suspended",
                        "Suspended: snapshots.* keys removed from the instances");
            } else {
                status.setPhase(SchedulePhase.ACTIVE);
                if (!conflicts.isEmpty()) {
                    String msg = "Left alone: " + String.join("; ", conflicts)
                            + ". Only one SnapshotSchedule (mode: Server) may "
                            + "manage an instance's snapshots.* keys, and keys set by hand are not taken over: narrow the selection, "
                            + "or remove those keys (and the other schedule's selection)"
                            + (wanted.isEmpty() && wantedVolumes.isEmpty()
                                    ? ""
                                    : "; configured: "
                                            + String.join(
                                                    ", ",
                                                    java.util.stream.Stream.concat(
                                                                    wanted.stream(), wantedVolumes.stream())
                                                            .toList()));
                    boolean changed = !msg.equals(status.findCondition(Condition.READY)
                            .map(Condition::getMessage)
                            .orElse(null));
                    Conditions.set(status, gen, clock, Condition.READY, false, Reasons.CONFLICT, msg);
                    if (changed) {
                        events.warning(s, Reasons.CONFLICT, msg);
                    }
                } else if (wanted.isEmpty() && wantedVolumes.isEmpty()) {
                    Conditions.set(
                            status,
                            gen,
                            clock,
                            Condition.READY,
                            false,
                            Reasons.NO_INSTANCES_SELECTED,
                            "No instance or volume matches instances/instanceSelector/volumes/volumeSelector");
                } else {
                    Conditions.set(
                            status,
                            gen,
                            clock,
                            Condition.READY,
                            true,
                            "ServerConfigured",
                            "LXD schedules snapshots itself on " + wanted.size() + " instance(s)"
                                    + (wantedVolumes.isEmpty() ? "" : " and " + wantedVolumes.size() + " volume(s)"));
                }
            }
            return UpdateControl.patchStatus(s).rescheduleAfter(DRIFT_CHECK);
        } catch (Exception e) {
            Failure f = Failure.from(e, "configuring snapshots.* keys");
            Conditions.set(status, gen, clock, Condition.READY, false, f.reason(), f.getMessage());
            int failures = Conditions.countFailure(status);
            return UpdateControl.patchStatus(s)
                    .rescheduleAfter(f.isTransient() ? Backoff.delay(failures, DRIFT_CHECK) : DRIFT_CHECK);
        }
    }

    /**
     * Server mode on the selected custom volumes: writes the keys a volume holds (as on an
     * instance, but {@code snapshots.schedule.stopped}, which volumes do not have) where they are
     * this schedule's or nobody's, and removes them from the volumes no longer selected (or all,
     * when suspended) where this schedule's marker is. A selected volume that does not exist is
     * reported in status.volumes.
     *
     * @return the volumes (pool/name) configured now
     */
    private Set<String> configureVolumes(
            SnapshotSchedule s,
            LxdApi client,
            SnapshotScheduleStatus status,
            boolean suspended,
            List<String> drift,
            List<String> conflicts) {
        SnapshotScheduleSpec spec = s.getSpec();
        Set<String> managed =
                new TreeSet<>(status.getConfiguredVolumes() == null ? List.of() : status.getConfiguredVolumes());
        Set<String> wanted = new TreeSet<>();
        List<io.lxdbackup.operator.api.v1alpha1.InstanceRunStatus> problems = new ArrayList<>();
        if (!suspended && VolumeSelection.any(spec)) {
            for (VolumeSelection.Selected v :
                    VolumeSelection.select(spec, pool -> VolumeSelection.listPool(client, pool))) {
                if (v.exists()) {
                    wanted.add(v.key());
                } else {
                    problems.add(volumeProblem(v.pool(), v.name(), v.problem()));
                }
            }
        }
        ServerScheduleKeys keys = volumeServerKeys(s);
        Map<String, String> desired = desiredVolumeKeys(spec);
        for (String key : new ArrayList<>(wanted)) {
            String[] pn = VolumeSelection.split(key);
            ServerScheduleKeys.Outcome o =
                    keys.apply(ServerScheduleKeys.volume(client, pn[0], pn[1]), key, desired, false);
            drift.addAll(o.drift());
            if (o.conflict() != null) {
                conflicts.add(o.conflict());
                problems.add(volumeProblem(pn[0], pn[1], o.conflict()));
                wanted.remove(key);
            }
        }
        for (String gone : managed) {
            if (!wanted.contains(gone)) {
                String[] pn = VolumeSelection.split(gone);
                keys.remove(ServerScheduleKeys.volume(client, pn[0], pn[1]), false);
            }
        }
        status.setConfiguredVolumes(wanted.isEmpty() ? null : new ArrayList<>(wanted));
        status.setVolumes(problems.isEmpty() ? null : problems);
        return wanted;
    }

    private static io.lxdbackup.operator.api.v1alpha1.InstanceRunStatus volumeProblem(
            String pool, String name, String message) {
        io.lxdbackup.operator.api.v1alpha1.InstanceRunStatus r =
                new io.lxdbackup.operator.api.v1alpha1.InstanceRunStatus();
        r.setPool(pool);
        r.setName(name);
        r.setLastResult(io.lxdbackup.operator.api.v1alpha1.RunResult.FAILED);
        r.setMessage(message);
        return r;
    }

    /** The keys server mode writes on a custom volume: those of an instance but snapshots.schedule.stopped. */
    static Map<String, String> desiredVolumeKeys(SnapshotScheduleSpec spec) {
        Map<String, String> m = desiredKeys(spec);
        m.remove(KEY_STOPPED);
        return m;
    }

    static Map<String, String> desiredKeys(SnapshotScheduleSpec spec) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(KEY_SCHEDULE, spec.getSchedule().trim());
        m.put(KEY_STOPPED, Boolean.TRUE.equals(spec.getIncludeStopped()) ? "true" : "false");
        if (spec.getSnapshotNamePattern() != null) {
            m.put(KEY_PATTERN, spec.getSnapshotNamePattern());
        }
        if (spec.getExpiry() != null) {
            m.put(KEY_EXPIRY, lxdExpiry(spec.getExpiry()));
        }
        return m;
    }

    /** The names LXD's schedule gives an instance's snapshots: the schedule's pattern, else the instance's. */
    private static Predicate<String> serverPattern(SnapshotScheduleSpec spec, Instance i) {
        String p = spec.getSnapshotNamePattern() != null
                ? spec.getSnapshotNamePattern()
                : i.expandedConfig().get(KEY_PATTERN);
        return SnapshotInventories.patternMatcher(p);
    }

    private static ServerScheduleKeys serverKeys(SnapshotSchedule s) {
        return new ServerScheduleKeys(
                s.getMetadata().getUid(),
                s.getMetadata().getNamespace() + "/" + s.getMetadata().getName(),
                SERVER_KEYS);
    }

    private static ServerScheduleKeys volumeServerKeys(SnapshotSchedule s) {
        return new ServerScheduleKeys(
                s.getMetadata().getUid(),
                s.getMetadata().getNamespace() + "/" + s.getMetadata().getName(),
                VOLUME_SERVER_KEYS);
    }

    /**
     * The custom volumes (pool/name) carrying this schedule's marker, in the pools it selects
     * from or recorded; with those its status records.
     */
    private static Set<String> markedVolumes(SnapshotSchedule s, LxdApi client, List<String> recorded) {
        Set<String> out = new TreeSet<>(recorded);
        Set<String> pools = new TreeSet<>();
        SnapshotScheduleSpec spec = s.getSpec();
        if (spec.getVolumes() != null) {
            spec.getVolumes().stream()
                    .filter(v ->
                            v != null && v.getPool() != null && !v.getPool().isBlank())
                    .forEach(v -> pools.add(v.getPool()));
        }
        if (spec.getVolumeSelector() != null && spec.getVolumeSelector().getPool() != null) {
            pools.add(spec.getVolumeSelector().getPool());
        }
        recorded.stream().filter(VolumeSelection::isVolumeKey).forEach(k -> pools.add(VolumeSelection.split(k)[0]));
        for (String pool : pools) {
            for (io.lxdbackup.operator.lxd.StorageVolume v :
                    VolumeSelection.listPool(client, pool).orElse(List.of())) {
                if (v.config() != null
                        && s.getMetadata().getUid().equals(v.config().get(ServerScheduleKeys.MARKER))) {
                    out.add(VolumeSelection.key(pool, v.name()));
                }
            }
        }
        return out;
    }

    @Override
    public DeleteControl cleanup(SnapshotSchedule s, Context<SnapshotSchedule> context) {
        forgetStartedRun(s);
        if (!isServerMode(s)) {
            return DeleteControl.defaultDelete();
        }
        List<String> recorded = s.getStatus() == null || s.getStatus().getConfiguredInstances() == null
                ? List.of()
                : s.getStatus().getConfiguredInstances();
        List<String> recordedVolumes = s.getStatus() == null || s.getStatus().getConfiguredVolumes() == null
                ? List.of()
                : s.getStatus().getConfiguredVolumes();
        try {
            LxdApi client = connections
                    .connect(
                            s.getMetadata().getNamespace(),
                            s.getSpec().getRemoteRef().getName(),
                            s.getSpec().getProject())
                    .client();
            // the instances the status records, and every instance carrying this schedule's marker: the
            // keys are written before the status that records them, so the status read with the
            // deletion may not name an instance configured just before
            Set<String> configured = new TreeSet<>(recorded);
            for (Instance i : client.listInstances()) {
                if (i.config() != null
                        && s.getMetadata().getUid().equals(i.config().get(ServerScheduleKeys.MARKER))) {
                    configured.add(i.name());
                }
            }
            Set<String> volumes = markedVolumes(s, client, recordedVolumes);
            if (configured.isEmpty() && volumes.isEmpty()) {
                return DeleteControl.defaultDelete();
            }
            ServerScheduleKeys keys = serverKeys(s);
            for (String inst : configured) {
                keys.remove(client, inst, recorded.contains(inst));
            }
            ServerScheduleKeys volumeKeys = volumeServerKeys(s);
            for (String key : volumes) {
                String[] pn = VolumeSelection.split(key);
                volumeKeys.remove(ServerScheduleKeys.volume(client, pn[0], pn[1]), false);
            }
            Set<String> all = new TreeSet<>(configured);
            all.addAll(volumes);
            events.normal(s, "Deconfigured", "Removed snapshots.* keys from " + all);
            return DeleteControl.defaultDelete();
        } catch (Exception e) {
            Failure f = Failure.from(e, "removing snapshots.* keys");
            if (Reasons.REMOTE_NOT_FOUND.equals(f.reason())) {
                events.warning(s, f.reason(), "Removed without cleaning the instances: " + f.getMessage());
                return DeleteControl.defaultDelete();
            }
            if (Reasons.CREDENTIALS_DELETED.equals(f.reason())) {
                String msg = "snapshots.* keys were left on instances " + recorded
                        + (recordedVolumes.isEmpty() ? "" : " and volumes " + recordedVolumes)
                        + " on the server: " + f.getMessage();
                CLEANUP_LOG.warn(
                        "SnapshotSchedule {}/{}: {}",
                        s.getMetadata().getNamespace(),
                        s.getMetadata().getName(),
                        msg);
                events.warning(s, f.reason(), msg);
                return DeleteControl.defaultDelete();
            }
            events.warning(s, f.reason(), "Cannot remove snapshots.* keys yet (will retry): " + f.getMessage());
            return DeleteControl.noFinalizerRemoval()
                    .rescheduleAfter(Backoff.delay(1, Duration.ofMinutes(1)).toMillis());
        }
    }

    /**
     * A Go duration as LXD's {@code snapshots.expiry} ({@code <n>M|H|d|w}); LXD has no seconds,
     * so the duration must be whole minutes.
     */
    static String lxdExpiry(String goDuration) {
        Duration d;
        try {
            d = GoDuration.parse(goDuration);
        } catch (IllegalArgumentException e) {
            throw Failure.permanent(Reasons.INVALID_SPEC, "expiry: " + e.getMessage());
        }
        long minutes = d.toMinutes();
        if (d.isZero() || d.isNegative() || !Duration.ofMinutes(minutes).equals(d)) {
            throw Failure.permanent(
                    Reasons.INVALID_SPEC,
                    "expiry " + goDuration + " must be a positive whole number of minutes for mode: Server");
        }
        if (minutes % (7 * 24 * 60) == 0) {
            return (minutes / (7 * 24 * 60)) + "w";
        }
        if (minutes % (24 * 60) == 0) {
            return (minutes / (24 * 60)) + "d";
        }
        if (minutes % 60 == 0) {
            return (minutes / 60) + "H";
        }
        return minutes + "M";
    }

    /**
     * Operator mode names snapshots itself, so it supports the part of LXD's pattern syntax that
     * depends on the time: {@code {{ creation_date|date:'<Go layout>' }}}, in the schedule's zone.
     */
    static String renderPattern(String pattern, ZonedDateTime t) {
        Matcher m = DATE_TEMPLATE.matcher(pattern);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(
                    out,
                    Matcher.quoteReplacement(DateTimeFormatter.ofPattern(goLayoutToJava(m.group(1)))
                            .format(t)));
        }
        m.appendTail(out);
        String name = out.toString();
        if (name.contains("{{") || name.contains("{%")) {
            throw Failure.permanent(
                    Reasons.INVALID_SPEC,
                    "snapshotNamePattern: mode: Operator supports only "
                            + "{{ creation_date|date:'<Go layout>' }} and one %d; use mode: Server for LXD's full pattern syntax");
        }
        if (name.indexOf("%d") != name.lastIndexOf("%d")) {
            throw Failure.permanent(
                    Reasons.INVALID_SPEC,
                    "snapshotNamePattern may contain %d only once (as LXD's snapshots.pattern); remove the others");
        }
        if (name.isBlank() || name.contains("/")) {
            throw Failure.permanent(
                    Reasons.INVALID_SPEC, "snapshotNamePattern renders to an invalid snapshot name \"" + name + "\"");
        }
        return name;
    }

    static String goLayoutToJava(String layout) {
        String[][] map = {
            {"2006", "yyyy"},
            {"Jan", "MMM"},
            {"Mon", "EEE"},
            {"MST", "z"},
            {"01", "MM"},
            {"02", "dd"},
            {"15", "HH"},
            {"03", "hh"},
            {"04", "mm"},
            {"05", "ss"},
            {"06", "yy"},
            {"PM", "a"}
        };
        StringBuilder out = new StringBuilder();
        int i = 0;
        outer:
        while (i < layout.length()) {
            for (String[] e : map) {
                if (layout.startsWith(e[0], i)) {
                    out.append(e[1]);
                    i += e[0].length();
                    continue outer;
                }
            }
            char c = layout.charAt(i++);
            if (Character.isLetter(c)) {
                out.append('\'').append(c).append('\'');
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    static boolean balanced(String p) {
        return count(p, "{{") == count(p, "}}") && count(p, "{%") == count(p, "%}");
    }

    private static int count(String s, String sub) {
        int n = 0;
        for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) {
            n++;
        }
        return n;
    }
}
