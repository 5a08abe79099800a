package io.lxdbackup.operator.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.lxdbackup.operator.api.v1alpha1.AbstractScheduleSpec;
import io.lxdbackup.operator.api.v1alpha1.BackupsOnDeletion;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a schedule's children belong to it. Every child carries the schedule's name and UID as
 * labels; only under {@code backupsOnDeletion: Delete} does it also carry an ownerReference, so
 * that garbage collection deletes it with the schedule (or its namespace) — under Retain
 * (default) nothing cascades and the backups outlive the schedule. Children made by earlier
 * versions carry only the ownerReference; they are recognised by it and get the label the
 * first time the schedule brings their ownerReference in step with its setting.
 */
final class ScheduleChildren {
    private static final Logger LOG = LoggerFactory.getLogger(ScheduleChildren.class);
    /** The UID of the schedule that made the child (names are reused; UIDs are not). */
    static final String LABEL_SCHEDULE_UID = "lxdbackup.io/schedule-uid";

    private ScheduleChildren() {}

    static boolean cascades(AbstractScheduleSpec spec) {
        return spec.getBackupsOnDeletion() == BackupsOnDeletion.DELETE;
    }

    /** Whether {@code child} was made by {@code schedule}: by label, or by an ownerReference from before. */
    static boolean belongsTo(HasMetadata child, HasMetadata schedule) {
        String uid = schedule.getMetadata().getUid();
        return uid != null
                && (uid.equals(ScheduleReconcilerBase.label(child, LABEL_SCHEDULE_UID)) || ownerRef(child, uid));
    }

    /**
     * Whether {@code child} is a backup a schedule made under {@code backupsOnDeletion: Retain}:
     * labelled with a schedule's UID, without an ownerReference to it.
     */
    static boolean retainedBySchedule(HasMetadata child) {
        String uid = ScheduleReconcilerBase.label(child, LABEL_SCHEDULE_UID);
        return uid != null && !ownerRef(child, uid);
    }

    private static boolean ownerRef(HasMetadata child, String uid) {
        List<OwnerReference> refs = child.getMetadata().getOwnerReferences();
        return refs != null && refs.stream().anyMatch(o -> uid.equals(o.getUid()));
    }

    /** The schedules a child event concerns: by ownerReference (older children) and by label. */
    static Set<ResourceID> schedulesOf(HasMetadata child, String scheduleKind) {
        Set<ResourceID> out = new HashSet<>();
        String ns = child.getMetadata().getNamespace();
        String name = ScheduleReconcilerBase.label(child, ScheduleReconcilerBase.LABEL_SCHEDULE);
        if (name != null) {
            out.add(new ResourceID(name, ns));
        }
        if (child.getMetadata().getOwnerReferences() != null) {
            child.getMetadata().getOwnerReferences().stream()
                    .filter(o -> scheduleKind.equals(o.getKind()))
                    .forEach(o -> out.add(new ResourceID(o.getName(), ns)));
        }
        return out;
    }

    /** The ownerReference that makes garbage collection delete a child with its schedule. */
    static OwnerReference ownerReference(HasMetadata schedule) {
        return new OwnerReferenceBuilder()
                .withApiVersion(schedule.getApiVersion())
                .withKind(schedule.getKind())
                .withName(schedule.getMetadata().getName())
                .withUid(schedule.getMetadata().getUid())
                .withController(true)
                .withBlockOwnerDeletion(true)
                .build();
    }

    /** Labels a new child with its schedule's UID, and owns it when the schedule cascades. */
    static void bind(HasMetadata child, HasMetadata schedule, AbstractScheduleSpec spec) {
        Map<String, String> labels = new LinkedHashMap<>(
                child.getMetadata().getLabels() == null
                        ? Map.of()
                        : child.getMetadata().getLabels());
        labels.put(LABEL_SCHEDULE_UID, schedule.getMetadata().getUid());
        child.getMetadata().setLabels(labels);
        child.getMetadata().setOwnerReferences(cascades(spec) ? List.of(ownerReference(schedule)) : null);
    }

    /**
     * Brings the children's ownerReferences in step with {@code backupsOnDeletion} (it may be
     * changed at any time), adding the UID label to children from before. Children being deleted
     * are left alone. A failed write is retried at the next reconcile.
     */
    static void keepInStep(
            KubernetesClient kube,
            HasMetadata schedule,
            AbstractScheduleSpec spec,
            List<? extends HasMetadata> children) {
        String uid = schedule.getMetadata().getUid();
        boolean cascade = cascades(spec);
        for (HasMetadata c : children) {
            if (c.getMetadata().getDeletionTimestamp() != null
                    || c.getMetadata().getResourceVersion() == null) {
                continue;
            }
            boolean labelled = uid.equals(ScheduleReconcilerBase.label(c, LABEL_SCHEDULE_UID));
            if (labelled && ownerRef(c, uid) == cascade) {
                continue;
            }
            try {
                kube.resource(c).edit(x -> {
                    Map<String, String> labels = new LinkedHashMap<>(
                            x.getMetadata().getLabels() == null
                                    ? Map.of()
                                    : x.getMetadata().getLabels());
                    labels.put(LABEL_SCHEDULE_UID, uid);
                    x.getMetadata().setLabels(labels);
                    List<OwnerReference> refs = new ArrayList<>(
                            x.getMetadata().getOwnerReferences() == null
                                    ? List.of()
                                    : x.getMetadata().getOwnerReferences());
                    refs.removeIf(o -> uid.equals(o.getUid()));
                    if (cascade) {
                        refs.add(ownerReference(schedule));
                    }
                    x.getMetadata().setOwnerReferences(refs.isEmpty() ? null : refs);
                    return x;
                });
            } catch (KubernetesClientException e) {
                LOG.debug(
                        "{} {}/{}: cannot bring child {} in step with backupsOnDeletion yet: HTTP {}",
                        schedule.getKind(),
                        schedule.getMetadata().getNamespace(),
                        schedule.getMetadata().getName(),
                        c.getMetadata().getName(),
                        e.getCode());
            }
        }
    }
}
