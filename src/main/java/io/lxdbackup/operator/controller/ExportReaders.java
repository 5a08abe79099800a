package io.lxdbackup.operator.controller;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.lxdbackup.operator.api.v1alpha1.InstanceExport;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestore;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestorePhase;
import io.lxdbackup.operator.api.v1alpha1.RestoreSource;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The InstanceRestores still reading an export's object: while one has not finished (Pending or
 * Running, also while it is being deleted), the object is deleted neither by retention, nor by
 * {@code ttl}, nor by the export's own deletion (a schedule's cascade, a namespace deletion): they
 * wait with reason {@link Reasons#IN_USE}, as a remote or store being deleted waits for its
 * dependents ({@link InUse}). Listed from the API, only when an export is about to be deleted.
 */
final class ExportReaders {
    private static final Logger LOG = LoggerFactory.getLogger(ExportReaders.class);

    private ExportReaders() {}

    /** The unfinished restores that name the export ({@code exportRef}) or its object (store and key). */
    static List<InUse.Dependent> of(KubernetesClient kube, InstanceExport e) {
        String store = e.getSpec() == null || e.getSpec().getStoreRef() == null
                ? null
                : e.getSpec().getStoreRef().getName();
        String key = e.getStatus() == null || e.getStatus().getObject() == null
                ? null
                : e.getStatus().getObject().getKey();
        return kube
                .resources(InstanceRestore.class)
                .inNamespace(e.getMetadata().getNamespace())
                .list()
                .getItems()
                .stream()
                .filter(r -> unfinished(r) && reads(r, e.getMetadata().getName(), store, key))
                .map(r -> new InUse.Dependent("InstanceRestore", r.getMetadata().getName()))
                .toList();
    }

    private static boolean unfinished(InstanceRestore r) {
        InstanceRestorePhase p = r.getStatus() == null ? null : r.getStatus().getPhase();
        return p != InstanceRestorePhase.COMPLETED && p != InstanceRestorePhase.FAILED;
    }

    private static boolean reads(InstanceRestore r, String export, String store, String key) {
        RestoreSource s = r.getSpec() == null ? null : r.getSpec().getSource();
        if (s == null) {
            return false;
        }
        if (s.getExportRef() != null && export.equals(s.getExportRef().getName())) {
            return true;
        }
        return s.getObject() != null
                && key != null
                && key.equals(s.getObject().getKey())
                && s.getObject().getStoreRef() != null
                && Objects.equals(store, s.getObject().getStoreRef().getName());
    }

    /** "InstanceRestore r reads ...": the message of the InUse condition and event. */
    static String message(InstanceExport e, List<InUse.Dependent> readers, String what) {
        String names = String.join(
                        ", ",
                        readers.stream()
                                .limit(InUse.NAMED)
                                .map(InUse.Dependent::toString)
                                .toList())
                + (readers.size() > InUse.NAMED ? " and " + (readers.size() - InUse.NAMED) + " more" : "");
        return what + " waits: " + names + (readers.size() == 1 ? " has" : " have") + " not finished restoring from "
                + (e.getStatus() != null && e.getStatus().getObject() != null
                        ? e.getStatus().getObject().getKey()
                        : "it")
                + "; the object is deleted once " + (readers.size() == 1 ? "it has" : "they have");
    }

    /**
     * Marks the export as waiting (condition {@link InUse#CONDITION}, reason {@link Reasons#IN_USE},
     * an Event when the message changed); the caller looks again after {@link InUse#recheck}.
     */
    static void markWaiting(
            KubernetesClient kube,
            InstanceExport e,
            List<InUse.Dependent> readers,
            String what,
            EventRecorder events,
            Clock clock) {
        String msg = message(e, readers, what);
        long gen = e.getMetadata().getGeneration() == null ? 0 : e.getMetadata().getGeneration();
        if (InUse.markWaiting(e.getStatus(), gen, clock, msg)) {
            events.normal(e, Reasons.IN_USE, msg);
            LOG.info(
                    "InstanceExport {}/{}: {}",
                    e.getMetadata().getNamespace(),
                    e.getMetadata().getName(),
                    msg);
            try {
                // the whole status (see StatusWriter.replaceStatus): a merge patch of a list is not one on every server
                StatusWriter.replaceStatus(kube, e, e.getStatus());
            } catch (io.fabric8.kubernetes.client.KubernetesClientException ex) {
                LOG.debug(
                        "InstanceExport {}/{}: status write failed: HTTP {}",
                        e.getMetadata().getNamespace(),
                        e.getMetadata().getName(),
                        ex.getCode());
            }
        }
    }

    /** The export's deletion waits for its readers. */
    static DeleteControl waitForReaders(
            KubernetesClient kube, InstanceExport e, List<InUse.Dependent> readers, EventRecorder events, Clock clock) {
        markWaiting(kube, e, readers, "Deletion", events, clock);
        return DeleteControl.noFinalizerRemoval()
                .rescheduleAfter(InUse.recheck(e, clock).toMillis());
    }
}
