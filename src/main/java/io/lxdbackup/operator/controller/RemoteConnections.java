package io.lxdbackup.operator.controller;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.LxdRemote;
import io.lxdbackup.operator.api.v1alpha1.LxdRemoteSpec;
import io.lxdbackup.operator.lxd.Certificates;
import io.lxdbackup.operator.lxd.LxdApi;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.lxd.LxdEndpoint;
import io.lxdbackup.operator.lxd.LxdTimeouts;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One shared LXD connection per {@code LxdRemote}, for every controller. The connection is
 * rebuilt when the remote's spec (generation) or its client certificate Secret
 * (resourceVersion) changes, so a rotated Secret takes effect at the next reconcile without a
 * restart. References are namespace-local: a resource can only use a remote of its own
 * namespace. The remote and its Secret are read through {@link RecentReads}: a burst of
 * reconciles of one remote's resources reads them once, and changes show up within seconds.
 */
public final class RemoteConnections implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RemoteConnections.class);
    public static final String TLS_CRT = "tls.crt";
    public static final String TLS_KEY = "tls.key";
    public static final String DEFAULT_TOKEN_KEY = "token";

    private final KubernetesClient kube;
    private final RecentReads reads = new RecentReads(RecentReads.DEFAULT_TTL);
    private final ConcurrentMap<String, Cached> cache = new ConcurrentHashMap<>();

    private record Cached(String version, LxdApi client) {}

    /** A remote with its live connection, scoped to the project a resource asked for. */
    public record Connection(LxdRemote remote, LxdApi client) {}

    private final LxdTimeouts timeouts;
    private final Connector connector;

    /** Builds the client of an endpoint; production uses {@link LxdClient#create(LxdEndpoint, Duration)}. */
    @FunctionalInterface
    public interface Connector {
        LxdApi connect(LxdEndpoint endpoint, Duration streamIdleTimeout);
    }

    public RemoteConnections(KubernetesClient kube) {
        this(kube, LxdTimeouts.defaults());
    }

    /** @param timeouts the deadlines of every client built here (flags {@code --lxd-*-timeout}) */
    public RemoteConnections(KubernetesClient kube, LxdTimeouts timeouts) {
        this(kube, timeouts, LxdClient::create);
    }

    /** @param connector builds the client of each remote's endpoint (an in-process fake in tests) */
    public RemoteConnections(KubernetesClient kube, LxdTimeouts timeouts, Connector connector) {
        this.kube = kube;
        this.timeouts = timeouts;
        this.connector = connector;
    }

    /** Looks up the named remote in {@code namespace} and returns its connection in {@code project}. */
    public Connection connect(String namespace, String remoteName, String project) {
        if (remoteName == null || remoteName.isBlank()) {
            throw Failure.permanent(Reasons.INVALID_SPEC, "remoteRef.name is required");
        }
        LxdRemote remote = reads.get(
                "LxdRemote/" + namespace + "/" + remoteName,
                () -> kube.resources(LxdRemote.class)
                        .inNamespace(namespace)
                        .withName(remoteName)
                        .get());
        if (remote == null) {
            throw Failure.permanent(
                    Reasons.REMOTE_NOT_FOUND,
                    "LxdRemote " + remoteName + " does not exist in namespace " + namespace
                            + "; create it, or fix remoteRef.name (remotes are looked up in the resource's own namespace)");
        }
        String p = project != null && !project.isBlank()
                ? project
                : remote.getSpec() != null
                                && remote.getSpec().getProject() != null
                                && !remote.getSpec().getProject().isBlank()
                        ? remote.getSpec().getProject()
                        : "default";
        Confinement.checkProject(remote, p);
        LxdApi client;
        try {
            client = clientFor(remote, false);
        } catch (Failure f) {
            if (!Reasons.SECRET_MISSING.equals(f.reason())) {
                throw f;
            }
            client = afterSecretDeleted(remote, f);
        }
        return new Connection(remote, client.inProject(p));
    }

    /** The client certificate Secret is gone: see {@link Namespaces#afterSecretDeleted}. */
    private LxdApi afterSecretDeleted(LxdRemote remote, Failure missing) {
        Cached c = cache.get(
                remote.getMetadata().getNamespace() + "/" + remote.getMetadata().getName());
        boolean cached = c != null && c.version.startsWith(remote.getMetadata().getUid() + "/");
        return Namespaces.afterSecretDeleted(
                kube,
                remote,
                cached ? c.client : null,
                () -> beingDeleted(remote),
                "the client certificate Secret "
                        + remote.getSpec().getClientCertificateSecretRef().getName(),
                missing);
    }

    /** The remote as read, or (the read may be a second old) as it is now. */
    private boolean beingDeleted(LxdRemote remote) {
        if (remote.isMarkedForDeletion()) {
            return true;
        }
        LxdRemote now = kube.resources(LxdRemote.class)
                .inNamespace(remote.getMetadata().getNamespace())
                .withName(remote.getMetadata().getName())
                .get();
        return now != null && now.isMarkedForDeletion();
    }

    /**
     * The connection of a remote. With {@code createMissingSecret} (the LxdRemote controller
     * when a trust token is configured) a missing client certificate Secret is created with a
     * fresh key pair, so a user only has to provide the token.
     */
    public LxdApi clientFor(LxdRemote remote, boolean createMissingSecret) {
        LxdRemoteSpec spec = remote.getSpec();
        if (spec == null || spec.getUrl() == null || spec.getUrl().isBlank()) {
            throw Failure.permanent(
                    Reasons.INVALID_SPEC, "spec.url is required (https://host:8443 or unix:///path/unix.socket)");
        }
        String ns = remote.getMetadata().getNamespace();
        Secret secret = null;
        boolean https = spec.getUrl().startsWith("https://");
        if (!https && !spec.getUrl().startsWith("unix://")) {
            throw Failure.permanent(
                    Reasons.INVALID_SPEC, "spec.url must start with https:// or unix:// (got " + spec.getUrl() + ")");
        }
        if (https) {
            if (spec.getClientCertificateSecretRef() == null
                    || spec.getClientCertificateSecretRef().getName() == null) {
                throw Failure.permanent(
                        Reasons.INVALID_SPEC, "spec.clientCertificateSecretRef is required for an https:// URL");
            }
            String secretName = spec.getClientCertificateSecretRef().getName();
            String secretKey = "Secret/" + ns + "/" + secretName;
            secret = reads.get(
                    secretKey,
                    () -> kube.secrets().inNamespace(ns).withName(secretName).get());
            if (secret == null && createMissingSecret) {
                secret = createClientSecret(remote, secretName);
                reads.invalidate(secretKey);
            }
            if (secret == null) {
                throw Failure.permanent(
                        Reasons.SECRET_MISSING,
                        "Secret " + secretName + " (client certificate) does not exist in namespace " + ns
                                + "; create it with keys tls.crt and tls.key, or set trustTokenSecretRef so the operator generates one");
            }
            SecretRules.check(secret, SecretRules.Use.CLIENT_CERTIFICATE);
        }
        // the spec itself, not its generation: the informer cache and a fresh GET may disagree on
        // the generation of the same spec, and a spurious rebuild closes connections in use
        String version = remote.getMetadata().getUid() + "/" + spec.hashCode() + "/"
                + (secret == null ? "-" : secret.getMetadata().getResourceVersion());
        String key = ns + "/" + remote.getMetadata().getName();
        Cached c = cache.get(key);
        if (c != null && c.version.equals(version)) {
            return c.client;
        }
        LxdApi client = build(spec, secret);
        Cached old = cache.put(key, new Cached(version, client));
        if (old != null) {
            old.client.close();
            LOG.info("rebuilt LXD connection for {} (spec or Secret changed)", key);
        }
        return client;
    }

    private LxdApi build(LxdRemoteSpec spec, Secret secret) {
        if (spec.getUrl().startsWith("unix://")) {
            return connector.connect(
                    LxdEndpoint.unix(spec.getUrl().substring("unix://".length()))
                            .withTarget(spec.getTarget())
                            .withRequestTimeout(timeouts.request()),
                    timeouts.streamIdle());
        }
        String crt = secretValue(secret, TLS_CRT);
        String key = secretValue(secret, TLS_KEY);
        if (crt == null || key == null) {
            throw Failure.permanent(
                    Reasons.KEY_UNREADABLE,
                    "Secret " + secret.getMetadata().getName() + " must hold keys tls.crt and tls.key (PEM)");
        }
        Certificates.ClientIdentity identity;
        try {
            identity = Certificates.parseIdentity(crt, key);
        } catch (Certificates.InvalidPemException e) {
            throw Failure.permanent(
                    Reasons.KEY_UNREADABLE, "Secret " + secret.getMetadata().getName() + ": " + e.getMessage());
        }
        boolean insecure = Boolean.TRUE.equals(spec.getInsecureSkipVerify());
        String fp = spec.getServerCertificateFingerprint();
        String pem = spec.getServerCertificate();
        if ((fp == null || fp.isBlank()) && (pem == null || pem.isBlank()) && !insecure) {
            // Connect anyway: the TLS failure then names the fingerprint the server presented.
            fp = null;
        }
        try {
            return connector.connect(
                    new LxdEndpoint(
                            spec.getUrl(),
                            null,
                            spec.getTarget(),
                            identity,
                            pem == null || pem.isBlank() ? null : pem,
                            fp == null || fp.isBlank() ? null : fp,
                            insecure,
                            null,
                            timeouts.request()),
                    timeouts.streamIdle());
        } catch (Certificates.InvalidPemException e) {
            throw Failure.permanent(Reasons.INVALID_SPEC, "spec.serverCertificate: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw Failure.permanent(Reasons.INVALID_SPEC, e.getMessage());
        }
    }

    private Secret createClientSecret(LxdRemote remote, String name) {
        String ns = remote.getMetadata().getNamespace();
        Certificates.GeneratedIdentity gen = Certificates.generate(
                "lxd-backup-operator-" + ns + "-" + remote.getMetadata().getName());
        Secret s = new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(ns)
                .withLabels(Map.of(
                        "app.kubernetes.io/managed-by",
                        "lxd-backup-operator",
                        "lxdbackup.io/remote",
                        remote.getMetadata().getName()))
                .endMetadata()
                .withType("kubernetes.io/tls")
                .withData(Map.of(TLS_CRT, b64(gen.certificatePem()), TLS_KEY, b64(gen.privateKeyPem())))
                .build();
        LOG.info(
                "created client certificate Secret {}/{} for LxdRemote {}",
                ns,
                name,
                remote.getMetadata().getName());
        return kube.secrets().inNamespace(ns).resource(s).create();
    }

    /** Reads one key of a Secret as text, from {@code data} or {@code stringData}; null when absent. */
    public static String secretValue(Secret secret, String key) {
        if (secret.getData() != null && secret.getData().get(key) != null) {
            return new String(Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
        }
        if (secret.getStringData() != null) {
            return secret.getStringData().get(key);
        }
        return null;
    }

    /** One key of a Secret the operator may read for {@code use} ({@link SecretRules}). */
    public String readSecretKey(String namespace, String name, String key, SecretRules.Use use) {
        Secret s = kube.secrets().inNamespace(namespace).withName(name).get();
        if (s == null) {
            throw Failure.permanent(
                    Reasons.SECRET_MISSING, "Secret " + name + " does not exist in namespace " + namespace);
        }
        SecretRules.check(s, use);
        String v = secretValue(s, key);
        if (v == null || v.isBlank()) {
            throw Failure.permanent(Reasons.SECRET_MISSING, "Secret " + name + " has no key " + key);
        }
        return v.trim();
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Drops the recent reads of a remote and its client certificate Secret, so the next lookup reads them anew. */
    public void invalidate(LxdRemote remote) {
        String ns = remote.getMetadata().getNamespace();
        reads.invalidate("LxdRemote/" + ns + "/" + remote.getMetadata().getName());
        if (remote.getSpec() != null && remote.getSpec().getClientCertificateSecretRef() != null) {
            reads.invalidate("Secret/" + ns + "/"
                    + remote.getSpec().getClientCertificateSecretRef().getName());
        }
    }

    /** Closes and drops the connection of a remote that was deleted. */
    public void forget(String namespace, String name) {
        Cached c = cache.remove(namespace + "/" + name);
        if (c != null) {
            c.client.close();
        }
    }

    @Override
    public void close() {
        cache.values().forEach(c -> c.client.close());
        cache.clear();
    }
}
