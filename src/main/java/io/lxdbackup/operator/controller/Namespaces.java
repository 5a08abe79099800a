package io.lxdbackup.operator.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a namespace is being deleted (read only when a clean-up finds credentials gone), and
 * what a remote's or store's connection does then.
 */
final class Namespaces {
    private static final Logger LOG = LoggerFactory.getLogger(Namespaces.class);

    private Namespaces() {}

    /**
     * True when the namespace has a deletion timestamp (phase Terminating). False when it cannot be
     * read: then the clean-up keeps retrying, as it would without this check.
     */
    static boolean terminating(KubernetesClient kube, String namespace) {
        try {
            Namespace ns = kube.namespaces().withName(namespace).get();
            return ns != null
                    && (ns.getMetadata().getDeletionTimestamp() != null
                            || ns.getStatus() != null
                                    && "Terminating".equals(ns.getStatus().getPhase()));
        } catch (KubernetesClientException e) {
            LOG.warn("cannot read namespace {} (HTTP {}): assuming it is not being deleted", namespace, e.getCode());
            return false;
        }
    }

    /**
     * The credentials Secret of {@code owner} (a remote or store) is gone. While the owner is being
     * deleted (it waits for its dependents, see {@link InUse}) or its namespace is, the connection
     * made before ({@code cached}, null if none) serves the dependents' clean-up: a namespace
     * deletion removes the Secret at once. Without one (the operator restarted since) in a namespace
     * being deleted, {@link Reasons#CREDENTIALS_DELETED} tells the dependents to give up on the
     * server rather than block the namespace for ever. Otherwise {@code missing} stands.
     *
     * @param secret what the Secret is, e.g. "the client certificate Secret x"
     */
    static <T> T afterSecretDeleted(
            KubernetesClient kube,
            HasMetadata owner,
            T cached,
            java.util.function.BooleanSupplier ownerBeingDeleted,
            String secret,
            Failure missing) {
        String ns = owner.getMetadata().getNamespace();
        String name = owner.getMetadata().getName();
        if (cached != null && ownerBeingDeleted.getAsBoolean()) {
            LOG.debug(
                    "{} {}/{} is being deleted and its Secret is gone: using the connection made before",
                    owner.getKind(),
                    ns,
                    name);
            return cached;
        }
        if (terminating(kube, ns)) {
            if (cached != null) {
                return cached;
            }
            throw Failure.permanent(
                    Reasons.CREDENTIALS_DELETED,
                    secret + " of " + owner.getKind() + " " + name + " was deleted with namespace " + ns
                            + " and the operator holds no connection made before (it restarted since)");
        }
        throw missing;
    }
}
