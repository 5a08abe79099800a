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

/**
 * One {@link ObjectStore} per {@code BackupStore}, shared by every controller, rebuilt when the
 * store's spec (generation) or its credentials Secret (resourceVersion) changes. Credentials
 * are read from the Secret and handed to the SDK only; they never reach a log line or status.
 */
public final class StoreConnections implements AutoCloseable {
  public static final String ACCESS_KEY = "AWS_ACCESS_KEY_ID";
  public static final String SECRET_KEY = "AWS_SECRET_ACCESS_KEY";
  public static final String SESSION_TOKEN = "AWS_SESSION_TOKEN";

  private final KubernetesClient kube;
  private final Function<StoreConfig, ObjectStore> factory;
  private final ConcurrentMap<String, Cached> cache = new ConcurrentHashMap<>();

  private record Cached(String version, ObjectStore store) {}

  /** A store with its live connection. */
  public record Connection(BackupStore store, ObjectStore objects) {}

  public StoreConnections(KubernetesClient kube) {
    this(kube, S3ObjectStore::open);
  }

  /** {@code factory} lets tests wrap the real store to inject faults. */
  public StoreConnections(KubernetesClient kube, Function<StoreConfig, ObjectStore> factory) {
    this.kube = kube;
    this.factory = factory;
  }

  public Connection connect(String namespace, String storeName) {
    if (storeName == null || storeName.isBlank()) {
      throw Failure.permanent(Reasons.INVALID_SPEC, "storeRef.name is required");
    }
    BackupStore bs = kube.resources(BackupStore.class).inNamespace(namespace).withName(storeName).get();
    if (bs == null) {
      throw Failure.permanent(Reasons.STORE_NOT_FOUND, "BackupStore " + storeName + " does not exist in namespace "
          + namespace + "; create it, or fix storeRef.name (stores are looked up in the resource's own namespace)");
    }
    return new Connection(bs, storeFor(bs));
  }

  public ObjectStore storeFor(BackupStore bs) {
    S3Store s3 = bs.getSpec() == null ? null : bs.getSpec().getS3();
    if (s3 == null || s3.getBucket() == null || s3.getBucket().isBlank()) {
      throw Failure.permanent(Reasons.INVALID_SPEC, "spec.s3.bucket is required");
    }
    String ns = bs.getMetadata().getNamespace();
    Secret secret = null;
    if (s3.getCredentialsSecretRef() != null && s3.getCredentialsSecretRef().getName() != null) {
      secret = kube.secrets().inNamespace(ns).withName(s3.getCredentialsSecretRef().getName()).get();
      if (secret == null) {
        throw Failure.permanent(Reasons.SECRET_MISSING, "Secret " + s3.getCredentialsSecretRef().getName()
            + " (S3 credentials) does not exist in namespace " + ns + "; create it with keys "
            + ACCESS_KEY + " and " + SECRET_KEY);
      }
    }
    String version = bs.getMetadata().getUid() + "/" + bs.getMetadata().getGeneration() + "/"
        + (secret == null ? "-" : secret.getMetadata().getResourceVersion());
    String key = ns + "/" + bs.getMetadata().getName();
    Cached c = cache.get(key);
    if (c != null && c.version.equals(version)) {
      return c.store;
    }
    ObjectStore store = factory.apply(config(bs, secret));
    Cached old = cache.put(key, new Cached(version, store));
    if (old != null) {
      closeQuietly(old.store);
    }
    return store;
  }

  static StoreConfig config(BackupStore bs, Secret secret) {
    S3Store s3 = bs.getSpec().getS3();
    StoreConfig.Builder b = StoreConfig.builder(s3.getBucket())
        .region(s3.getRegion() == null ? StoreConfig.DEFAULT_REGION : s3.getRegion())
        .prefix(s3.getPrefix() == null ? "" : s3.getPrefix())
        .forcePathStyle(Boolean.TRUE.equals(s3.getForcePathStyle()))
        .readOnly(bs.getSpec().getAccessMode() == AccessMode.READ_ONLY);
    if (s3.getEndpoint() != null && !s3.getEndpoint().isBlank()) {
      b.endpoint(s3.getEndpoint());
    }
    if (secret != null) {
      String id = RemoteConnections.secretValue(secret, ACCESS_KEY);
      String key = RemoteConnections.secretValue(secret, SECRET_KEY);
      if (id == null || key == null) {
        throw Failure.permanent(Reasons.SECRET_MISSING, "Secret " + secret.getMetadata().getName() + " must hold keys "
            + ACCESS_KEY + " and " + SECRET_KEY);
      }
      b.credentials(id.trim(), key.trim(), trimOrNull(RemoteConnections.secretValue(secret, SESSION_TOKEN)));
    }
    if (s3.getCaBundle() != null && !s3.getCaBundle().isBlank()) {
      b.caBundlePem(s3.getCaBundle());
    }
    if (s3.getStorageClass() != null && !s3.getStorageClass().isBlank()) {
      b.storageClass(s3.getStorageClass());
    }
    if (s3.getServerSideEncryption() != null && s3.getServerSideEncryption().getType() != null) {
      b.encryption(new StoreConfig.Encryption(StoreConfig.SseType.fromWire(s3.getServerSideEncryption().getType().value()),
          s3.getServerSideEncryption().getKmsKeyId()));
    }
    if (s3.getObjectLock() != null && s3.getObjectLock().getMode() != null) {
      b.objectLock(new StoreConfig.ObjectLock(StoreConfig.LockMode.fromWire(s3.getObjectLock().getMode().value()),
          s3.getObjectLock().getRetainDays() == null ? 0 : s3.getObjectLock().getRetainDays()));
    }
    return b.build();
  }

  private static String trimOrNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  private static void closeQuietly(ObjectStore s) {
    try {
      s.close();
    } catch (Exception e) {
      // closing an old client is best effort
    }
  }

  @Override
  public void close() {
    cache.values().forEach(c -> closeQuietly(c.store));
    cache.clear();
  }
}
