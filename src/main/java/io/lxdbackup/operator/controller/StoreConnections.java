package io.lxdbackup.operator.controller;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.AccessMode;
import io.lxdbackup.operator.api.v1alpha1.BackupStore;
import io.lxdbackup.operator.api.v1alpha1.S3Store;
import io.lxdbackup.operator.store.ObjectStore;
import io.lxdbackup.operator.store.S3ObjectStore;
import io.lxdbackup.operator.store.StoreConfig;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One shared {@link ObjectStore} per {@code BackupStore}, for every controller; the twin of
 * {@link RemoteConnections}. The store is rebuilt when the BackupStore's spec (generation) or
 * its credentials Secret (resourceVersion) changes. Credentials are read from the Secret into
 * the {@link StoreConfig} only, which never prints them; nothing here logs a Secret value.
 * The BackupStore and its Secret are read through {@link RecentReads}, like remotes.
 */
public final class StoreConnections implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StoreConnections.class);
    public static final String ACCESS_KEY_ID = "AWS_ACCESS_KEY_ID";
    public static final String SECRET_ACCESS_KEY = "AWS_SECRET_ACCESS_KEY";
    public static final String SESSION_TOKEN = "AWS_SESSION_TOKEN";

    private final KubernetesClient kube;
    private final Function<StoreConfig, ObjectStore> factory;
    private final boolean ambientCredentials;
    private final RecentReads reads = new RecentReads(RecentReads.DEFAULT_TTL);
    private final ConcurrentMap<String, Cached> cache = new ConcurrentHashMap<>();

    private record Cached(String version, ObjectStore store) {}

    private record Retired(ObjectStore store, long since) {}

    /** Replaced stores still possibly used by a running upload, closed after {@link #RETIRE_AFTER}. */
    private final java.util.List<Retired> retired = new java.util.ArrayList<>();

    static final java.time.Duration RETIRE_AFTER = java.time.Duration.ofHours(2);

    /** A BackupStore with its live store. */
    public record Connection(BackupStore backupStore, ObjectStore store) {}

    public StoreConnections(KubernetesClient kube) {
        this(kube, S3ObjectStore::open);
    }

    /** @param factory opens a store for a configuration (tests wrap it to inject faults) */
    public StoreConnections(KubernetesClient kube, Function<StoreConfig, ObjectStore> factory) {
        this(kube, factory, false);
    }

    /**
     * @param ambientCredentials whether a BackupStore without credentialsSecretRef may use the
     *     operator's own cloud identity (the default AWS chain): {@code --allow-ambient-credentials}
     */
    public StoreConnections(
            KubernetesClient kube, Function<StoreConfig, ObjectStore> factory, boolean ambientCredentials) {
        this.kube = kube;
        this.factory = factory;
        this.ambientCredentials = ambientCredentials;
    }

    /** Looks up the named BackupStore in {@code namespace} and returns its store. */
    public Connection connect(String namespace, String storeName) {
        if (storeName == null || storeName.isBlank()) {
            throw Failure.permanent(Reasons.INVALID_SPEC, "storeRef.name is required");
        }
        BackupStore bs = reads.get(
                "BackupStore/" + namespace + "/" + storeName,
                () -> kube.resources(BackupStore.class)
                        .inNamespace(namespace)
                        .withName(storeName)
                        .get());
        if (bs == null) {
            throw Failure.permanent(
                    Reasons.STORE_NOT_FOUND,
                    "BackupStore " + storeName + " does not exist in namespace " + namespace
                            + "; create it, or fix storeRef.name (stores are looked up in the resource's own namespace)");
        }
        try {
            return new Connection(bs, storeFor(bs));
        } catch (Failure f) {
            if (!Reasons.SECRET_MISSING.equals(f.reason()) || !secretAbsent(bs)) {
                throw f;
            }
            return new Connection(bs, afterSecretDeleted(bs, f));
        }
    }

    private boolean secretAbsent(BackupStore bs) {
        String ns = bs.getMetadata().getNamespace();
        String name = bs.getSpec().getS3().getCredentialsSecretRef().getName();
        return reads.get(
                        "Secret/" + ns + "/" + name,
                        () -> kube.secrets().inNamespace(ns).withName(name).get())
                == null;
    }

    /** The credentials Secret is gone: see {@link Namespaces#afterSecretDeleted}. */
    private ObjectStore afterSecretDeleted(BackupStore bs, Failure missing) {
        Cached c = cache.get(
                bs.getMetadata().getNamespace() + "/" + bs.getMetadata().getName());
        boolean cached = c != null && c.version.startsWith(bs.getMetadata().getUid() + "/");
        return Namespaces.afterSecretDeleted(
                kube,
                bs,
                cached ? c.store : null,
                () -> beingDeleted(bs),
                "the credentials Secret "
                        + bs.getSpec().getS3().getCredentialsSecretRef().getName(),
                missing);
    }

    private boolean beingDeleted(BackupStore bs) {
        if (bs.isMarkedForDeletion()) {
            return true;
        }
        BackupStore now = kube.resources(BackupStore.class)
                .inNamespace(bs.getMetadata().getNamespace())
                .withName(bs.getMetadata().getName())
                .get();
        return now != null && now.isMarkedForDeletion();
    }

    /** The store of a BackupStore, built or rebuilt as needed. */
    public ObjectStore storeFor(BackupStore bs) {
        String ns = bs.getMetadata().getNamespace();
        S3Store s3 = bs.getSpec() == null ? null : bs.getSpec().getS3();
        if (s3 == null || s3.getBucket() == null || s3.getBucket().isBlank()) {
            throw Failure.permanent(Reasons.INVALID_SPEC, "spec.s3.bucket is required");
        }
        Confinement.checkCredentials(bs, ambientCredentials);
        Secret secret = null;
        if (s3.getCredentialsSecretRef() != null && s3.getCredentialsSecretRef().getName() != null) {
            String name = s3.getCredentialsSecretRef().getName();
            secret = reads.get(
                    "Secret/" + ns + "/" + name,
                    () -> kube.secrets().inNamespace(ns).withName(name).get());
            if (secret == null) {
                throw Failure.permanent(
                        Reasons.SECRET_MISSING,
                        "Secret " + name + " (S3 credentials) does not exist in namespace "
                                + ns + "; create it with keys " + ACCESS_KEY_ID + " and " + SECRET_ACCESS_KEY
                                + (ambientCredentials
                                        ? ", or remove credentialsSecretRef to use the default AWS credentials chain"
                                        : ""));
            }
            SecretRules.check(secret, SecretRules.Use.S3_CREDENTIALS);
        }
        // the spec itself, not its generation: readers of the informer cache and of the API see the
        // same spec but not always the same generation, and a spurious rebuild cuts uploads short
        String version = bs.getMetadata().getUid() + "/" + bs.getSpec().hashCode() + "/"
                + (secret == null ? "-" : secret.getMetadata().getResourceVersion());
        String key = ns + "/" + bs.getMetadata().getName();
        Cached c = cache.get(key);
        if (c != null && c.version.equals(version)) {
            return c.store;
        }
        synchronized (this) {
            c = cache.get(key);
            if (c != null && c.version.equals(version)) {
                return c.store;
            }
            ObjectStore store = factory.apply(config(bs, secret));
            Cached old = cache.put(key, new Cached(version, store));
            if (old != null) {
                // uploads started on the old store keep it until they end; it is closed later
                retired.add(new Retired(old.store, System.nanoTime()));
                LOG.info("rebuilt object store connection for BackupStore {} (spec or Secret changed)", key);
            }
            closeRetired(false);
            return store;
        }
    }

    /** The configuration of a BackupStore with its credentials Secret (or null); the plugin reuses it. */
    public static StoreConfig config(BackupStore bs, Secret secret) {
        S3Store s3 = bs.getSpec().getS3();
        try {
            StoreConfig.Builder b = StoreConfig.builder(s3.getBucket())
                    .endpoint(s3.getEndpoint())
                    .region(s3.getRegion())
                    .prefix(s3.getPrefix())
                    .forcePathStyle(Boolean.TRUE.equals(s3.getForcePathStyle()))
                    .caBundlePem(s3.getCaBundle())
                    .storageClass(s3.getStorageClass())
                    .readOnly(bs.getSpec().getAccessMode() == AccessMode.READ_ONLY);
            if (secret != null) {
                String id = RemoteConnections.secretValue(secret, ACCESS_KEY_ID);
                String key = RemoteConnections.secretValue(secret, SECRET_ACCESS_KEY);
                if (id == null || id.isBlank() || key == null || key.isBlank()) {
                    throw Failure.permanent(
                            Reasons.SECRET_MISSING,
                            "Secret " + secret.getMetadata().getName() + " must hold keys " + ACCESS_KEY_ID + " and "
                                    + SECRET_ACCESS_KEY + " (and optionally " + SESSION_TOKEN + ")");
                }
                String token = RemoteConnections.secretValue(secret, SESSION_TOKEN);
                b.credentials(id.trim(), key.trim(), token == null ? null : token.trim());
            }
            if (s3.getServerSideEncryption() != null
                    && s3.getServerSideEncryption().getType() != null) {
                b.encryption(new StoreConfig.Encryption(
                        StoreConfig.SseType.fromWire(
                                s3.getServerSideEncryption().getType().value()),
                        s3.getServerSideEncryption().getKmsKeyId()));
            }
            if (s3.getObjectLock() != null && s3.getObjectLock().getMode() != null) {
                b.objectLock(new StoreConfig.ObjectLock(
                        StoreConfig.LockMode.fromWire(
                                s3.getObjectLock().getMode().value()),
                        s3.getObjectLock().getRetainDays() == null
                                ? 0
                                : s3.getObjectLock().getRetainDays()));
            }
            return b.build();
        } catch (IllegalArgumentException e) {
            throw Failure.permanent(Reasons.INVALID_SPEC, "spec.s3: " + e.getMessage());
        }
    }

    private synchronized void closeRetired(boolean all) {
        long now = System.nanoTime();
        retired.removeIf(r -> {
            if (all || now - r.since > RETIRE_AFTER.toNanos()) {
                r.store.close();
                return true;
            }
            return false;
        });
    }

    public void forget(String namespace, String name) {
        Cached c = cache.remove(namespace + "/" + name);
        if (c != null) {
            c.store.close();
        }
    }

    @Override
    public void close() {
        cache.values().forEach(c -> c.store.close());
        cache.clear();
        closeRetired(true);
    }
}
