package io.lxdbackup.operator.controller.verify;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.lxdbackup.operator.api.v1alpha1.BackupVerification;
import io.lxdbackup.operator.api.v1alpha1.BackupVerificationPhase;
import io.lxdbackup.operator.api.v1alpha1.BackupVerificationSpec;
import io.lxdbackup.operator.api.v1alpha1.BackupVerificationStatus;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.DrillStatus;
import io.lxdbackup.operator.api.v1alpha1.VerificationResult;
import io.lxdbackup.operator.api.v1alpha1.VerificationSummary;
import io.lxdbackup.operator.api.v1alpha1.VerifiedExport;
import io.lxdbackup.operator.controller.Backoff;
import io.lxdbackup.operator.controller.Conditions;
import io.lxdbackup.operator.controller.CopyTrigger;
import io.lxdbackup.operator.controller.EventRecorder;
import io.lxdbackup.operator.controller.Failure;
import io.lxdbackup.operator.controller.ObjectImport;
import io.lxdbackup.operator.controller.Reasons;
import io.lxdbackup.operator.controller.RemoteConnections;
import io.lxdbackup.operator.controller.StatusWriter;
import io.lxdbackup.operator.controller.StoreConnections;
import io.lxdbackup.operator.metrics.OperatorMetrics;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * BackupVerification: proves exports restorable on a schedule. The reconcile reads as its steps:
 * remove what an interrupted drill left, check the spec, decide whether a run is due (the
 * schedule rules of {@link CopyTrigger}: the first run at once, then the cron; without a
 * schedule once per spec generation; failed runs retried with back-off), run
 * ({@link VerificationRun}) and write the result. The status is this controller's alone and is
 * written whole ({@link StatusWriter#replaceStatus}).
 */
@ControllerConfiguration(name = "backupverification")
public class BackupVerificationReconciler
        implements Reconciler<BackupVerification>, Cleaner<BackupVerification>, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BackupVerificationReconciler.class);
    static final Duration MAX_BACKOFF = Duration.ofMinutes(10);

    private final KubernetesClient kube;
    private final EventRecorder events;
    private final OperatorMetrics metrics;
    private final Clock clock;
    private final ObjectImport imports = new ObjectImport();
    private final RestoreDrill drill;
    private final VerificationRun run;

    public BackupVerificationReconciler(
            KubernetesClient kube,
            RemoteConnections remotes,
            StoreConnections stores,
            EventRecorder events,
            OperatorMetrics metrics,
            Clock clock) {
        this.kube = kube;
        this.events = events;
        this.metrics = metrics;
        this.clock = clock;
        this.drill = new RestoreDrill(remotes, imports);
        this.run = new VerificationRun(kube, stores, drill, imports, events, metrics, clock);
    }

    @Override
    public UpdateControl<BackupVerification> reconcile(BackupVerification v, Context<BackupVerification> context) {
        BackupVerificationStatus status = v.getStatus() != null ? v.getStatus() : new BackupVerificationStatus();
        v.setStatus(status);
        String before = Serialization.asJson(status);
        long gen = v.getMetadata().getGeneration() == null ? 0 : v.getMetadata().getGeneration();
        if (status.getPhase() == null) {
            status.setPhase(BackupVerificationPhase.PENDING);
        }

        if (status.getDrill() != null && !removeLeftover(v, status, gen)) {
            writeIfChanged(v, before);
            return UpdateControl.<BackupVerification>noUpdate()
                    .rescheduleAfter(
                            Backoff.delay(status.getFailures() == null ? 1 : status.getFailures(), MAX_BACKOFF));
        }

        VerificationSettings settings;
        try {
            settings = VerificationSettings.of(v.getSpec());
        } catch (Failure f) {
            status.setPhase(BackupVerificationPhase.INVALID);
            status.setNextScheduleTime(null);
            Conditions.set(status, gen, clock, Condition.VERIFIED, false, f.reason(), f.getMessage());
            if (writeIfChanged(v, before)) {
                events.warning(v, f.reason(), f.getMessage());
            }
            return UpdateControl.noUpdate();
        }

        BackupVerificationSpec spec = v.getSpec();
        Instant now = clock.instant();
        if (Boolean.TRUE.equals(spec.getSuspend())) {
            if (status.getPhase() != BackupVerificationPhase.SUSPENDED) {
                events.normal(v, "Suspended", "Verification suspended; no runs until suspend is false");
            }
            status.setPhase(BackupVerificationPhase.SUSPENDED);
            status.setNextScheduleTime(null);
            writeIfChanged(v, before);
            return UpdateControl.noUpdate();
        }
        if (status.getPhase() == BackupVerificationPhase.SUSPENDED) {
            status.setResumeTime(Conditions.timestamp(now));
            status.setPhase(phaseOfLastRun(status));
            events.normal(v, "Resumed", "Verification resumed; runs missed while suspended are not caught up");
        }
        // a run an operator stop interrupted is run again now, whatever the schedule says
        boolean interrupted = status.getPhase() == BackupVerificationPhase.RUNNING;
        if (status.getPhase() == BackupVerificationPhase.INVALID || interrupted) {
            status.setPhase(phaseOfLastRun(status));
        }

        CopyTrigger t = CopyTrigger.decide(
                settings.cron(), false, spec.getStartingDeadlineSeconds(), history(v, status, gen), now);
        status.setNextScheduleTime(
                t.nextSyncTime().map(x -> Conditions.timestamp(x.toInstant())).orElse(null));
        if (settings.cron() != null) {
            metrics.missedRuns(
                    VerificationRun.KIND,
                    v.getMetadata().getNamespace(),
                    v.getMetadata().getName(),
                    t.missedRuns());
        }
        if (t.missedRuns() > 0) {
            status.setMissedRuns(t.missedRuns());
            status.setLastMissedTime(
                    t.lastMissedTime().map(Conditions::timestamp).orElse(null));
            events.warning(
                    v,
                    "MissedRuns",
                    t.missedRuns() + " scheduled run(s) missed (latest " + status.getLastMissedTime() + ")");
        }
        if (!t.run() && !interrupted) {
            if (t.deadlinePassed()) {
                status.setLastScheduleTime(status.getLastMissedTime());
            }
            writeIfChanged(v, before);
            UpdateControl<BackupVerification> idle = UpdateControl.noUpdate();
            t.requeueAfter().ifPresent(idle::rescheduleAfter);
            return idle;
        }
        return runNow(v, settings, status, t, gen);
    }

    private UpdateControl<BackupVerification> runNow(
            BackupVerification v,
            VerificationSettings settings,
            BackupVerificationStatus status,
            CopyTrigger t,
            long gen) {
        Instant start = clock.instant();
        t.scheduledTime().ifPresent(x -> status.setLastScheduleTime(Conditions.timestamp(x)));
        status.setRunStartTime(Conditions.timestamp(start));
        status.setPhase(BackupVerificationPhase.RUNNING);
        write(v);
        long t0 = System.nanoTime();
        try {
            VerificationSummary sum = run.run(v, settings, status, () -> write(v));
            Instant end = clock.instant();
            status.setSummary(sum);
            status.setLastRunTime(Conditions.timestamp(end));
            status.setLastRunGeneration(gen);
            status.setNextRetryTime(null);
            String level = settings.level().value();
            if (sum.getSelected() == 0) {
                status.setPhase(BackupVerificationPhase.FAILED);
                String msg =
                        "The run selected no completed InstanceExport: check spec.selector (scheduleRef, storeRef, instances, "
                                + "maxAge), or wait for the first export to complete";
                Conditions.set(status, gen, clock, Condition.VERIFIED, false, Reasons.NO_EXPORTS_SELECTED, msg);
                events.warning(v, Reasons.NO_EXPORTS_SELECTED, msg);
            } else if (sum.getFailed() == 0) {
                status.setPhase(BackupVerificationPhase.PASSED);
                status.setLastSuccessfulTime(Conditions.timestamp(end));
                String msg = sum.getPassed() + " export(s) verified at level " + level
                        + (sum.getDrills() == null ? "" : ", " + sum.getDrillsPassed() + " restore drill(s) passed");
                Conditions.set(status, gen, clock, Condition.VERIFIED, true, Reasons.VERIFIED, msg);
                events.normal(v, "Verified", msg);
            } else {
                status.setPhase(BackupVerificationPhase.FAILED);
                List<VerifiedExport> bad = status.getExports().stream()
                        .filter(x -> x.getResult() == VerificationResult.FAILED)
                        .toList();
                String msg = sum.getFailed() + " of " + sum.getSelected() + " export(s) failed verification: "
                        + bad.stream()
                                .limit(5)
                                .map(x -> x.getName() + " (" + x.getReason() + ")")
                                .collect(Collectors.joining(", "))
                        + "; see status.exports and each export's Verified condition, and restore from an export that passed";
                Conditions.set(
                        status,
                        gen,
                        clock,
                        Condition.VERIFIED,
                        false,
                        bad.get(0).getReason(),
                        msg);
                events.warning(v, "VerificationFailed", msg);
            }
            metrics.operation(
                    VerificationRun.KIND,
                    "run",
                    sum.getFailed() == 0 && sum.getSelected() > 0
                            ? "success"
                            : status.findCondition(Condition.VERIFIED)
                                    .map(Condition::getReason)
                                    .orElse("Failed"),
                    Duration.ofNanos(System.nanoTime() - t0));
            write(v);
            UpdateControl<BackupVerification> done = UpdateControl.noUpdate();
            if (settings.cron() != null) {
                done.rescheduleAfter(Duration.ofSeconds(1));
            }
            return done;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return UpdateControl.noUpdate();
        } catch (Exception e) {
            if (imports.closing()) {
                // a shutdown stopped the drill: the recorded intent lets the next operator remove its scratch instance
                LOG.info(
                        "BackupVerification {}/{} interrupted by shutdown",
                        v.getMetadata().getNamespace(),
                        v.getMetadata().getName());
                return UpdateControl.noUpdate();
            }
            Failure f = Failure.from(e, "verification run");
            int failures = Conditions.countFailure(status);
            Duration delay = Backoff.delay(failures, MAX_BACKOFF);
            status.setNextRetryTime(Conditions.timestamp(clock.instant().plus(delay)));
            status.setPhase(BackupVerificationPhase.FAILED);
            Conditions.set(
                    status,
                    gen,
                    clock,
                    Condition.VERIFIED,
                    false,
                    f.reason(),
                    "The run could not finish: " + f.getMessage() + "; retried at " + status.getNextRetryTime());
            status.setFailures(failures);
            if (failures == 1) {
                events.warning(v, f.reason(), f.getMessage());
            }
            LOG.warn(
                    "BackupVerification {}/{}: {}: {}",
                    v.getMetadata().getNamespace(),
                    v.getMetadata().getName(),
                    f.reason(),
                    f.getMessage());
            metrics.operation(VerificationRun.KIND, "run", f.reason(), Duration.ofNanos(System.nanoTime() - t0));
            try {
                write(v);
            } catch (RuntimeException w) {
                LOG.warn(
                        "status of BackupVerification {} not written: {}",
                        v.getMetadata().getName(),
                        w.toString());
            }
            return UpdateControl.<BackupVerification>noUpdate().rescheduleAfter(delay);
        }
    }

    /** Removes the scratch instance of an interrupted drill; false (status updated) when it cannot yet. */
    private boolean removeLeftover(BackupVerification v, BackupVerificationStatus status, long gen) {
        DrillStatus d = status.getDrill();
        try {
            drill.removeLeftover(v.getMetadata().getNamespace(), v.getMetadata().getUid(), d);
            events.normal(
                    v,
                    "ScratchRemoved",
                    "Removed scratch instance " + d.getScratchInstance() + " on " + d.getRemote()
                            + " left by an interrupted restore drill of " + d.getExport());
            status.setDrill(null);
            write(v);
            return true;
        } catch (Exception e) {
            Failure f = Failure.from(e, "removing scratch instance " + d.getScratchInstance());
            int failures = Conditions.countFailure(status);
            Conditions.set(
                    status,
                    gen,
                    clock,
                    Condition.VERIFIED,
                    false,
                    f.reason(),
                    "The scratch instance " + d.getScratchInstance()
                            + " of an interrupted restore drill is not removed yet (retried): " + f.getMessage());
            status.setFailures(failures);
            if (failures == 1) {
                events.warning(v, f.reason(), f.getMessage());
            }
            return false;
        }
    }

    /** Deleting the verification removes the scratch instance of a drill it left, like the next run would. */
    @Override
    public DeleteControl cleanup(BackupVerification v, Context<BackupVerification> context) {
        DrillStatus d = v.getStatus() == null ? null : v.getStatus().getDrill();
        if (d == null) {
            return DeleteControl.defaultDelete();
        }
        try {
            drill.removeLeftover(v.getMetadata().getNamespace(), v.getMetadata().getUid(), d);
            return DeleteControl.defaultDelete();
        } catch (Exception e) {
            Failure f = Failure.from(e, "removing scratch instance " + d.getScratchInstance());
            if (!f.isTransient()) {
                // the remote or its credentials are gone: nothing can be removed through them
                events.warning(
                        v,
                        f.reason(),
                        "Scratch instance " + d.getScratchInstance() + " on " + d.getRemote()
                                + " could not be removed (" + f.getMessage() + "); delete it by hand if it exists");
                return DeleteControl.defaultDelete();
            }
            return DeleteControl.noFinalizerRemoval().rescheduleAfter(Duration.ofSeconds(30));
        }
    }

    private static CopyTrigger.History history(BackupVerification v, BackupVerificationStatus s, long gen) {
        return new CopyTrigger.History(
                parse(v.getMetadata().getCreationTimestamp()),
                parse(s.getLastScheduleTime()),
                parse(s.getResumeTime()),
                s.getLastRunTime() != null,
                Objects.equals(s.getLastRunGeneration(), gen),
                s.getNextRetryTime() != null,
                Objects.equals(s.getObservedGeneration(), gen),
                parse(s.getNextRetryTime()));
    }

    private static BackupVerificationPhase phaseOfLastRun(BackupVerificationStatus s) {
        if (s.getLastRunTime() == null) {
            return BackupVerificationPhase.PENDING;
        }
        return s.isConditionTrue(Condition.VERIFIED) ? BackupVerificationPhase.PASSED : BackupVerificationPhase.FAILED;
    }

    private void write(BackupVerification v) {
        StatusWriter.replaceStatus(kube, v, v.getStatus());
    }

    /** Writes the status when it differs from {@code before}; true when it wrote. */
    private boolean writeIfChanged(BackupVerification v, String before) {
        if (before.equals(Serialization.asJson(v.getStatus()))) {
            return false;
        }
        write(v);
        return true;
    }

    private static Instant parse(String t) {
        return t == null || t.isBlank() ? null : Instant.parse(t);
    }

    /** Stops running drill imports at shutdown; the next operator removes their scratch instances. */
    @Override
    public void close() {
        imports.close();
    }
}
