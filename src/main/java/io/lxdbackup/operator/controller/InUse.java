package io.lxdbackup.operator.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.ReconcilerUtils;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.lxdbackup.operator.api.v1alpha1.BaseStatus;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.ExportSchedule;
import io.lxdbackup.operator.api.v1alpha1.InstanceCopy;
import io.lxdbackup.operator.api.v1alpha1.InstanceExport;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestore;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshot;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.api.v1alpha1.SnapshotSchedule;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * "In use" protection of {@code LxdRemote}s and {@code BackupStore}s: one being deleted keeps
 * its finalizer while a resource of its namespace that names it still carries a finalizer of
 * this operator, i.e. still has clean-up to do on the server or in the bucket (a namespace
 * deletion deletes them all at once, and a snapshot with deletionPolicy Delete must still reach
 * its server). The dependents are listed from the API, only while a remote or store waits.
 */
final class InUse {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(InUse.class);

    private InUse() {}

    /**
     * The clean-up of a remote or store ({@code noun}) being deleted: released when {@code users}
     * is empty; otherwise it reports the {@link #CONDITION} condition (with an Event when the list
     * changed) and is looked at again after {@link #recheck}.
     */
    static <S extends BaseStatus<?>, R extends CustomResource<?, S>> DeleteControl releaseOrWait(
            KubernetesClient kube,
            R resource,
            List<Dependent> users,
            Supplier<S> newStatus,
            String noun,
            EventRecorder events,
            Clock clock) {
        if (users.isEmpty()) {
            return DeleteControl.defaultDelete();
        }
        String msg = "Deletion waits: " + describe(users) + " (deleted with it, or to be deleted first); the " + noun
                + " goes once they are gone";
        S status = resource.getStatus() != null ? resource.getStatus() : newStatus.get();
        resource.setStatus(status);
        long gen = resource.getMetadata().getGeneration() == null
                ? 0
                : resource.getMetadata().getGeneration();
        String id = resource.getKind() + " " + resource.getMetadata().getNamespace() + "/"
                + resource.getMetadata().getName();
        if (markWaiting(status, gen, clock, msg)) {
            events.normal(resource, Reasons.IN_USE, msg);
            LOG.info("{}: {}", id, msg);
            try {
                StatusWriter.patchStatus(kube, resource);
            } catch (KubernetesClientException e) {
                LOG.debug("{}: status write during deletion failed: HTTP {}", id, e.getCode());
            }
        }
        return DeleteControl.noFinalizerRemoval()
                .rescheduleAfter(recheck(resource, clock).toMillis());
    }

    /** The condition a remote or store being deleted reports while it waits (reason {@link Reasons#IN_USE}). */
    static final String CONDITION = "Deleting";
    /** Dependents named in a message at most; the rest are counted. */
    static final int NAMED = 5;

    static final Duration FIRST_RECHECK = Duration.ofSeconds(2);
    static final Duration MAX_RECHECK = Duration.ofSeconds(30);

    /** The finalizers of this operator's kinds: a resource with one of them has clean-up left. */
    static final Set<String> FINALIZERS = Stream.of(
                    InstanceSnapshot.class,
                    SnapshotSchedule.class,
                    InstanceExport.class,
                    ExportSchedule.class,
                    InstanceRestore.class,
                    InstanceCopy.class)
            .map(ReconcilerUtils::getDefaultFinalizerName)
            .collect(Collectors.toUnmodifiableSet());

    /** One resource that still needs the remote or store. */
    record Dependent(String kind, String name) {
        @Override
        public String toString() {
            return kind + " " + name;
        }
    }

    /** The resources of {@code namespace} that still need LxdRemote {@code remote} for their clean-up. */
    static List<Dependent> ofRemote(KubernetesClient kube, String namespace, String remote) {
        List<Dependent> out = new ArrayList<>();
        collect(
                kube,
                namespace,
                remote,
                InstanceSnapshot.class,
                s -> refs(s.getSpec() == null ? null : s.getSpec().getRemoteRef()),
                out);
        collect(
                kube,
                namespace,
                remote,
                SnapshotSchedule.class,
                s -> refs(s.getSpec() == null ? null : s.getSpec().getRemoteRef()),
                out);
        collect(
                kube,
                namespace,
                remote,
                InstanceExport.class,
                e -> refs(e.getSpec() == null ? null : e.getSpec().getRemoteRef()),
                out);
        collect(
                kube,
                namespace,
                remote,
                ExportSchedule.class,
                s -> refs(s.getSpec() == null ? null : s.getSpec().getRemoteRef()),
                out);
        collect(
                kube,
                namespace,
                remote,
                InstanceRestore.class,
                r -> refs(r.getSpec() == null ? null : r.getSpec().getRemoteRef()),
                out);
        collect(
                kube,
                namespace,
                remote,
                InstanceCopy.class,
                c -> c.getSpec() == null
                        ? Set.of()
                        : refs(c.getSpec().getSourceRemoteRef(), c.getSpec().getTargetRemoteRef()),
                out);
        return out;
    }

    /** The resources of {@code namespace} that still need BackupStore {@code store} for their clean-up. */
    static List<Dependent> ofStore(KubernetesClient kube, String namespace, String store) {
        List<Dependent> out = new ArrayList<>();
        collect(
                kube,
                namespace,
                store,
                InstanceExport.class,
                e -> refs(e.getSpec() == null ? null : e.getSpec().getStoreRef()),
                out);
        collect(
                kube,
                namespace,
                store,
                ExportSchedule.class,
                s -> refs(
                        s.getSpec() == null || s.getSpec().getExportTemplate() == null
                                ? null
                                : s.getSpec().getExportTemplate().getStoreRef()),
                out);
        collect(
                kube,
                namespace,
                store,
                InstanceRestore.class,
                r -> refs(
                        r.getSpec() == null
                                        || r.getSpec().getSource() == null
                                        || r.getSpec().getSource().getObject() == null
                                ? null
                                : r.getSpec().getSource().getObject().getStoreRef()),
                out);
        return out;
    }

    private static <R extends HasMetadata> void collect(
            KubernetesClient kube,
            String namespace,
            String name,
            Class<R> kind,
            Function<R, Set<String>> refs,
            List<Dependent> out) {
        for (R r : kube.resources(kind).inNamespace(namespace).list().getItems()) {
            if (hasOurFinalizer(r) && refs.apply(r).contains(name)) {
                out.add(new Dependent(kind.getSimpleName(), r.getMetadata().getName()));
            }
        }
    }

    static boolean hasOurFinalizer(HasMetadata r) {
        List<String> f = r.getMetadata().getFinalizers();
        return f != null && f.stream().anyMatch(FINALIZERS::contains);
    }

    private static Set<String> refs(ObjectRef... refs) {
        return Stream.of(refs)
                .filter(Objects::nonNull)
                .map(ObjectRef::getName)
                .filter(Objects::nonNull)
                .collect(Collectors.toSet());
    }

    /** E.g. "2 resources still need it for their clean-up: InstanceSnapshot a, InstanceExport b". */
    static String describe(List<Dependent> dependents) {
        List<String> named =
                dependents.stream().limit(NAMED).map(Dependent::toString).toList();
        int more = dependents.size() - named.size();
        return dependents.size()
                + (dependents.size() == 1 ? " resource still needs it for its" : " resources still need it for their")
                + " clean-up: " + String.join(", ", named) + (more > 0 ? " and " + more + " more" : "");
    }

    /**
     * When to look again: soon after the deletion began (a namespace deletion is over in seconds),
     * less often the longer it waits (a quarter of the time waited so far, 2 s to 30 s).
     */
    static Duration recheck(HasMetadata deleted, Clock clock) {
        Duration waited = Duration.ZERO;
        try {
            String ts = deleted.getMetadata().getDeletionTimestamp();
            if (ts != null) {
                waited = Duration.between(Instant.parse(ts), clock.instant());
            }
        } catch (DateTimeParseException e) {
            // the shortest wait
        }
        Duration d = waited.dividedBy(4);
        return d.compareTo(FIRST_RECHECK) < 0 ? FIRST_RECHECK : d.compareTo(MAX_RECHECK) > 0 ? MAX_RECHECK : d;
    }

    /**
     * Sets the {@link #CONDITION} condition; true when its message changed (worth an Event).
     * The main condition (Ready, Available) is left as it is: the connection still works.
     */
    static boolean markWaiting(BaseStatus<?> status, long generation, Clock clock, String message) {
        String before =
                status.findCondition(CONDITION).map(Condition::getMessage).orElse(null);
        Integer failures = status.getFailures();
        io.lxdbackup.operator.api.v1alpha1.ErrorStatus lastError = status.getLastError();
        Conditions.set(status, generation, clock, CONDITION, true, Reasons.IN_USE, message);
        // a waiting deletion is not a failure: keep what the last probe reported
        status.setFailures(failures);
        status.setLastError(lastError);
        return !message.equals(before);
    }
}
