package io.lxdbackup.operator.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.lxdbackup.operator.api.v1alpha1.AttachedVolume;
import io.lxdbackup.operator.api.v1alpha1.BaseStatus;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.VolumesNotIncludedStatus;
import io.lxdbackup.operator.lxd.Instance;
import io.lxdbackup.operator.lxd.LxdApi;
import io.lxdbackup.operator.lxd.LxdException;
import io.lxdbackup.operator.lxd.VolumeAttachment;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports the custom volumes attached to an instance that an instance snapshot, export or copy
 * did not cover (LXD keeps them out of all three): {@code status.volumesNotIncluded} and the
 * condition {@code VolumesNotIncluded} (True = data left out), with one Warning event when the
 * list appears or changes. The condition is informational: it never fails the backup and
 * leaves {@code lastError} and the failure count alone.
 */
final class VolumesNotIncluded {
    private static final Logger LOG = LoggerFactory.getLogger(VolumesNotIncluded.class);
    static final String CONDITION = "VolumesNotIncluded";

    private VolumesNotIncluded() {}

    /** Reads the instance's attachments and records them; a failure to read is logged, not fatal. */
    static <S extends BaseStatus<?> & VolumesNotIncludedStatus> void check(
            HasMetadata resource,
            S status,
            LxdApi client,
            String instance,
            String what,
            Clock clock,
            EventRecorder events) {
        Instance i;
        try {
            i = client.getInstance(instance);
        } catch (LxdException e) {
            LOG.debug(
                    "{}/{}: cannot read the devices of {}: {}",
                    resource.getMetadata().getNamespace(),
                    resource.getMetadata().getName(),
                    instance,
                    e.getMessage());
            return;
        }
        record(resource, status, VolumeAttachment.of(i), instance, what, clock, events);
    }

    static <S extends BaseStatus<?> & VolumesNotIncludedStatus> void record(
            HasMetadata resource,
            S status,
            List<VolumeAttachment> leftOut,
            String instance,
            String what,
            Clock clock,
            EventRecorder events) {
        long gen = resource.getMetadata().getGeneration() == null
                ? 0
                : resource.getMetadata().getGeneration();
        List<AttachedVolume> list = new ArrayList<>();
        leftOut.forEach(v -> list.add(new AttachedVolume(v.device(), v.pool(), v.volume(), v.path())));
        List<AttachedVolume> before = status.getVolumesNotIncluded();
        status.setVolumesNotIncluded(list.isEmpty() ? null : list);
        String message;
        String reason;
        if (list.isEmpty()) {
            reason = Reasons.NO_VOLUMES_LEFT_OUT;
            message = "No custom volumes are attached to instance " + instance + " outside this " + what;
        } else {
            reason = Reasons.VOLUMES_NOT_INCLUDED;
            String names = list.stream()
                    .map(v -> v.getPool() + "/" + v.getName() + " (device " + v.getDevice() + ")")
                    .collect(Collectors.joining(", "));
            message = "The " + what + " of instance " + instance + " does not contain the custom volume(s) " + names
                    + ": LXD keeps attached volumes out of instance backups. Back them up with spec.volume (an InstanceSnapshot,"
                    + " InstanceExport or InstanceCopy per volume), or set attachedVolumes: Include where the kind offers it";
        }
        setCondition(status, gen, clock, !list.isEmpty(), reason, message);
        if (!list.isEmpty() && !Objects.equals(before, list)) {
            events.warning(resource, Reasons.VOLUMES_NOT_INCLUDED, message);
        }
    }

    /**
     * attachedVolumes: Include: every attached volume went into the backup with the instance
     * (status.volumes): nothing left out, condition False with reason VolumesIncluded.
     */
    static <S extends BaseStatus<?> & VolumesNotIncludedStatus> void included(
            HasMetadata resource,
            S status,
            List<io.lxdbackup.operator.api.v1alpha1.IncludedVolume> volumes,
            String instance,
            String what,
            Clock clock) {
        long gen = resource.getMetadata().getGeneration() == null
                ? 0
                : resource.getMetadata().getGeneration();
        status.setVolumesNotIncluded(null);
        String message = volumes == null || volumes.isEmpty()
                ? "No custom volumes are attached to instance " + instance + "; nothing to include in this " + what
                : "The custom volume(s) attached to instance " + instance + " are in this " + what
                        + " (attachedVolumes: Include): "
                        + volumes.stream()
                                .map(v -> v.getPool() + "/" + v.getName() + " (device " + v.getDevice() + ")")
                                .collect(Collectors.joining(", "))
                        + "; see status.volumes";
        setCondition(status, gen, clock, false, Reasons.VOLUMES_INCLUDED, message);
    }

    /** A condition set without touching lastError or the failure count (see {@link Conditions#set}). */
    private static void setCondition(
            BaseStatus<?> status, long gen, Clock clock, boolean value, String reason, String message) {
        String s = value ? Condition.TRUE : Condition.FALSE;
        List<Condition> list =
                status.getConditions() == null ? new ArrayList<>() : new ArrayList<>(status.getConditions());
        Condition c = list.stream()
                .filter(x -> CONDITION.equals(x.getType()))
                .findFirst()
                .orElse(null);
        if (c == null) {
            c = new Condition(CONDITION, s, reason, message);
            c.setLastTransitionTime(Conditions.timestamp(clock.instant()));
            list.add(c);
        } else {
            if (!s.equals(c.getStatus())) {
                c.setLastTransitionTime(Conditions.timestamp(clock.instant()));
            }
            c.setStatus(s);
            c.setReason(reason);
            c.setMessage(message);
        }
        c.setObservedGeneration(gen);
        status.setConditions(list);
    }
}
