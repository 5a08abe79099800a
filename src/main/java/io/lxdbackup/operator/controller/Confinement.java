package io.lxdbackup.operator.controller;

import io.lxdbackup.operator.api.v1alpha1.BackupStore;
import io.lxdbackup.operator.api.v1alpha1.LxdRemote;
import io.lxdbackup.operator.store.ObjectKeys;
import java.util.List;

/**
 * What a resource may reach through a remote or a store, beyond the namespace rule: the LXD
 * projects an LxdRemote allows ({@code spec.allowedProjects}), the keys under a BackupStore's
 * prefix, and whether a store may run on the operator's own cloud identity.
 */
final class Confinement {
    private Confinement() {}

    /** Refuses (ProjectNotAllowed) a project outside the remote's {@code allowedProjects}. */
    static void checkProject(LxdRemote remote, String project) {
        List<String> allowed =
                remote.getSpec() == null ? null : remote.getSpec().getAllowedProjects();
        if (allowed == null || allowed.isEmpty() || allowed.contains(project)) {
            return;
        }
        throw Failure.permanent(
                Reasons.PROJECT_NOT_ALLOWED,
                "LXD project " + project + " is not among the projects LxdRemote "
                        + remote.getMetadata().getName() + " allows (spec.allowedProjects: "
                        + String.join(", ", allowed)
                        + "); set spec.project to one of them, or ask the remote's owner to add it");
    }

    /** Refuses (KeyOutsidePrefix) an object key that does not lie under the store's prefix. */
    static void checkKey(BackupStore store, String key) {
        String prefix = ObjectKeys.normalizePrefix(
                store.getSpec() == null || store.getSpec().getS3() == null
                        ? null
                        : store.getSpec().getS3().getPrefix());
        if (prefix.isEmpty() || (key != null && key.startsWith(prefix) && key.length() > prefix.length())) {
            return;
        }
        throw Failure.permanent(
                Reasons.KEY_OUTSIDE_PREFIX,
                "object key " + key + " is not under the prefix " + prefix
                        + " of BackupStore " + store.getMetadata().getName()
                        + "; a restore reads only objects under its store's prefix: "
                        + "give the full key starting with " + prefix + " (as in an export's status.object.key)");
    }

    /** Refuses (AmbientCredentialsNotAllowed) a store without a credentials Secret unless the operator allows it. */
    static void checkCredentials(BackupStore store, boolean ambientAllowed) {
        var s3 = store.getSpec() == null ? null : store.getSpec().getS3();
        boolean hasSecret = s3 != null
                && s3.getCredentialsSecretRef() != null
                && s3.getCredentialsSecretRef().getName() != null
                && !s3.getCredentialsSecretRef().getName().isBlank();
        if (hasSecret || ambientAllowed) {
            return;
        }
        throw Failure.permanent(
                Reasons.AMBIENT_CREDENTIALS_NOT_ALLOWED,
                "BackupStore " + store.getMetadata().getName()
                        + " sets no spec.s3.credentialsSecretRef, so it would use the operator's own cloud identity, which this operator does "
                        + "not lend (it runs without --allow-ambient-credentials, chart value allowAmbientCredentials); set "
                        + "credentialsSecretRef to a Secret of type " + SecretRules.S3_CREDENTIALS_TYPE
                        + " with the store's keys");
    }
}
