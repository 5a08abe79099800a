package io.lxdbackup.operator.controller;

import io.fabric8.kubernetes.api.model.Secret;
import java.util.Map;

/**
 * Which Secrets the operator reads. It may read every Secret of the namespaces it serves, but a
 * user who may only create LxdRemotes and BackupStores must not be able to make it read (and
 * send to a server of theirs) a Secret that was never meant for it. So a referenced Secret is
 * read only when its type says what it is for, or when whoever manages it labelled it for the
 * operator:
 * <ul>
 *   <li>client certificate ({@code clientCertificateSecretRef}): type {@code kubernetes.io/tls};
 *   <li>trust token ({@code trustTokenSecretRef}): type {@code lxdbackup.io/trust-token};
 *   <li>S3 credentials ({@code credentialsSecretRef}): type {@code lxdbackup.io/s3-credentials};
 *   <li>any of them: label {@code lxdbackup.io/allow: "true"}.
 * </ul>
 * A Secret's type cannot change after creation, and setting a label takes write access to the
 * Secret: both are decisions of someone who controls it, not of whoever writes the reference.
 */
public final class SecretRules {
    public static final String ALLOW_LABEL = "lxdbackup.io/allow";
    public static final String TLS_TYPE = "kubernetes.io/tls";
    public static final String TRUST_TOKEN_TYPE = "lxdbackup.io/trust-token";
    public static final String S3_CREDENTIALS_TYPE = "lxdbackup.io/s3-credentials";

    /** What a Secret is read for, with the type made for that use and the field that names it. */
    public enum Use {
        CLIENT_CERTIFICATE(
                TLS_TYPE,
                "spec.clientCertificateSecretRef",
                "kubectl create secret tls NAME --cert=client.crt --key=client.key"),
        TRUST_TOKEN(
                TRUST_TOKEN_TYPE,
                "spec.trustTokenSecretRef",
                "kubectl create secret generic NAME --type=" + TRUST_TOKEN_TYPE + " --from-literal=token=<token>"),
        S3_CREDENTIALS(
                S3_CREDENTIALS_TYPE,
                "spec.s3.credentialsSecretRef",
                "kubectl create secret generic NAME --type=" + S3_CREDENTIALS_TYPE
                        + " --from-literal=AWS_ACCESS_KEY_ID=... --from-literal=AWS_SECRET_ACCESS_KEY=...");

        final String type;
        final String field;
        final String howToCreate;

        Use(String type, String field, String howToCreate) {
            this.type = type;
            this.field = field;
            this.howToCreate = howToCreate;
        }

        public String type() {
            return type;
        }
    }

    private SecretRules() {}

    /** Whether the operator may read {@code secret} for {@code use}. */
    public static boolean allowed(Secret secret, Use use) {
        Map<String, String> labels =
                secret.getMetadata() == null ? null : secret.getMetadata().getLabels();
        if (labels != null && "true".equals(labels.get(ALLOW_LABEL))) {
            return true;
        }
        return use.type.equals(secret.getType());
    }

    /** Refuses (reason SecretNotAllowed) a Secret the operator may not read for {@code use}; never looks at its data. */
    public static void check(Secret secret, Use use) {
        if (allowed(secret, use)) {
            return;
        }
        String name = secret.getMetadata().getName();
        String type = secret.getType() == null || secret.getType().isBlank() ? "Opaque" : secret.getType();
        throw Failure.permanent(
                Reasons.SECRET_NOT_ALLOWED,
                "Secret " + name + " (named by " + use.field + ") has type " + type
                        + " and no label " + ALLOW_LABEL
                        + "=true, so the operator does not read it; if it is meant for this, label it ("
                        + "kubectl label secret " + name + " " + ALLOW_LABEL + "=true) or create it with type "
                        + use.type + " ("
                        + use.howToCreate.replace("NAME", name) + ")");
    }
}
