package io.lxdbackup.operator.controller;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.lxdbackup.operator.api.v1alpha1.AbstractScheduleSpec;
import io.lxdbackup.operator.api.v1alpha1.AbstractScheduleStatus;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.DeletionPolicy;
import io.lxdbackup.operator.api.v1alpha1.ExportSchedule;
import io.lxdbackup.operator.api.v1alpha1.ExportScheduleStatus;
import io.lxdbackup.operator.api.v1alpha1.ExportTemplate;
import io.lxdbackup.operator.api.v1alpha1.InstanceExport;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportSpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceRunStatus;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.api.v1alpha1.VolumeRef;
import io.lxdbackup.operator.metrics.OperatorMetrics;
import io.lxdbackup.operator.schedule.GoDuration;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;

/**
 * Periodic exports: the schedule engine of {@link ScheduleReconcilerBase} with one
 * {@link InstanceExport} per selected instance or custom volume and run, built from {@code spec.exportTemplate}.
 * Exports work on stopped instances as well, so every selected instance is included. Retention
 * deletes old InstanceExports (not while an InstanceRestore still reads one); the template's
 * deletionPolicy (default Delete) then decides whether their objects go too.
 */
@ControllerConfiguration(name = "exportschedule")
public class ExportScheduleReconciler extends ScheduleReconcilerBase<ExportSchedule, InstanceExport> {

    public ExportScheduleReconciler(
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
        return "ExportSchedule";
    }

    @Override
    protected Class<ExportSchedule> scheduleClass() {
        return ExportSchedule.class;
    }

    @Override
    protected Class<InstanceExport> childClass() {
        return InstanceExport.class;
    }

    @Override
    protected AbstractScheduleSpec spec(ExportSchedule s) {
        return s.getSpec();
    }

    @Override
    protected void setStatus(ExportSchedule s, AbstractScheduleStatus status) {
        s.setStatus((ExportScheduleStatus) status);
    }

    @Override
    protected AbstractScheduleStatus status(ExportSchedule s) {
        if (s.getStatus() == null) {
            s.setStatus(new ExportScheduleStatus());
        }
        return s.getStatus();
    }

    @Override
    protected boolean includeStopped(ExportSchedule s) {
        return true;
    }

    @Override
    protected void validateMore(ExportSchedule s) {
        ExportTemplate t = s.getSpec().getExportTemplate();
        if (t == null
                || t.getStoreRef() == null
                || t.getStoreRef().getName() == null
                || t.getStoreRef().getName().isBlank()) {
            throw Failure.permanent(Reasons.INVALID_SPEC, "spec.exportTemplate.storeRef.name is required");
        }
        if (t.getTtl() != null) {
            try {
                GoDuration.parse(t.getTtl());
            } catch (IllegalArgumentException e) {
                throw Failure.permanent(Reasons.INVALID_SPEC, "exportTemplate.ttl: " + e.getMessage());
            }
        }
    }

    @Override
    protected InstanceExport newChild(ExportSchedule s, String instance, ZonedDateTime scheduledTime) {
        ExportTemplate t = s.getSpec().getExportTemplate();
        InstanceExportSpec cs = new InstanceExportSpec();
        cs.setRemoteRef(new ObjectRef(s.getSpec().getRemoteRef().getName()));
        cs.setInstance(instance);
        cs.setProject(s.getSpec().getProject());
        cs.setStoreRef(new ObjectRef(t.getStoreRef().getName()));
        cs.setCompression(t.getCompression());
        cs.setInstanceOnly(t.getInstanceOnly());
        cs.setOptimizedStorage(t.getOptimizedStorage());
        cs.setExportVersion(t.getExportVersion());
        cs.setAttachedVolumes(t.getAttachedVolumes());
        cs.setTtl(t.getTtl());
        cs.setDeletionPolicy(t.getDeletionPolicy() == null ? DeletionPolicy.DELETE : t.getDeletionPolicy());
        InstanceExport child = new InstanceExport();
        child.setSpec(cs);
        return child;
    }

    /**
     * A volume's export: the template's settings that apply to a volume (instanceOnly then means
     * without the volume's snapshots; attachedVolumes is for instances and is left out).
     */
    @Override
    protected InstanceExport newVolumeChild(ExportSchedule s, VolumeRef volume, ZonedDateTime scheduledTime) {
        InstanceExport child = newChild(s, "-", scheduledTime);
        child.getSpec().setInstance(null);
        child.getSpec().setVolume(volume);
        child.getSpec().setAttachedVolumes(null);
        return child;
    }

    @Override
    protected VolumeRef childVolume(InstanceExport c) {
        return c.getSpec() == null ? null : c.getSpec().getVolume();
    }

    @Override
    protected ChildState childState(InstanceExport c) {
        if (c.getStatus() == null || c.getStatus().getPhase() == null) {
            return ChildState.RUNNING;
        }
        InstanceExportPhase p = c.getStatus().getPhase();
        if (p == InstanceExportPhase.COMPLETED || p == InstanceExportPhase.DELETING) {
            return ChildState.SUCCEEDED;
        }
        return p == InstanceExportPhase.FAILED ? ChildState.FAILED : ChildState.RUNNING;
    }

    /** An export whose object failed a BackupVerification (Verified=False) is no good copy for retention. */
    @Override
    protected boolean countsAsGood(InstanceExport c) {
        return super.countsAsGood(c)
                && !c.getStatus()
                        .findCondition(Condition.VERIFIED)
                        .map(v -> Condition.FALSE.equals(v.getStatus()))
                        .orElse(false);
    }

    @Override
    protected boolean pruneWaits(ExportSchedule s, InstanceExport c) {
        java.util.List<InUse.Dependent> readers = ExportReaders.of(kube, c);
        if (readers.isEmpty()) {
            return false;
        }
        ExportReaders.markWaiting(kube, c, readers, "Pruning by retention", events, clock);
        return true;
    }

    @Override
    protected String childResult(InstanceExport c) {
        return c.getStatus() == null || c.getStatus().getObject() == null
                ? null
                : c.getStatus().getObject().getKey();
    }

    @Override
    protected String childMessage(InstanceExport c) {
        return c.getStatus() == null
                ? null
                : c.getStatus()
                        .findCondition(Condition.COMPLETE)
                        .map(Condition::getMessage)
                        .orElse(null);
    }

    @Override
    protected void setLastResultName(InstanceRunStatus run, String childName, String result) {
        run.setLastExport(childName);
        if (result != null) {
            run.setLastObject(result);
        }
    }
}
