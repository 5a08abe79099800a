package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.AccessMode;
import io.lxdbackup.operator.api.v1alpha1.BackupStore;
import io.lxdbackup.operator.api.v1alpha1.BackupStoreSpec;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.ExistingInstancePolicy;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestore;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestorePhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestoreSpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshot;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotSpec;
import io.lxdbackup.operator.api.v1alpha1.LxdSnapshotRef;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.api.v1alpha1.ObjectSource;
import io.lxdbackup.operator.api.v1alpha1.RestoreSource;
import io.lxdbackup.operator.api.v1alpha1.S3Store;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.lxd.Snapshot;
import io.lxdbackup.operator.store.BackupManifest;
import io.lxdbackup.operator.store.ManifestCatalog;
import io.lxdbackup.operator.store.ObjectKeys;
import io.lxdbackup.operator.store.ObjectStore;
import io.lxdbackup.operator.store.S3ObjectStore;
import io.lxdbackup.operator.testing.S3Server;
import io.lxdbackup.operator.store.UploadOptions;
import io.lxdbackup.operator.store.UploadResult;
import io.lxdbackup.operator.testing.Fixtures;
import io.lxdbackup.operator.testing.LxdRig;
import io.lxdbackup.operator.testing.OperatorHarness;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.model.CreateBucketRequest;

/**
 * InstanceRestore on the real LXD rig and s3proxy: snapshot restores in place, and imports of
 * exported files (written to the bucket here the way any export writes them) on the same or the
 * other server, with file contents compared byte for byte.
 */
@Tag("lxd")
class InstanceRestoreControllerLxdTest {
  static final Duration T = Duration.ofMinutes(2);
  static final String BUCKET = "restore-tests";
  static LxdRig rig;
  static OperatorHarness op;
  static KubernetesClient kube;
  static LxdClient a;
  static LxdClient b;
  static S3Server s3;
  static ObjectStore store;
  static final byte[] PAYLOAD = new byte[200_000];
  static final java.util.concurrent.atomic.AtomicInteger EXPORTS = new java.util.concurrent.atomic.AtomicInteger();
  static final List<String> onA = new CopyOnWriteArrayList<>();
  static final List<String> onB = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    rig = LxdRig.require();
    a = rig.clientA();
    b = rig.clientB();
    new Random(7).nextBytes(PAYLOAD);
    s3 = S3Server.start();
    try (var raw = s3.rawClient()) {
      raw.createBucket(CreateBucketRequest.builder().bucket(BUCKET).build());
    }
    store = S3ObjectStore.open(s3.config(BUCKET).build());
    op = new OperatorHarness().start();
    kube = op.kube();
    Fixtures.remote(kube, rig, "lxd-a", "a", "5m");
    Fixtures.remote(kube, rig, "lxd-b", "b", "5m");
    createStore(kube, "s3-main");
  }

  @AfterAll
  static void stop() throws Exception {
    if (op != null) {
      op.close();
    }
    if (a != null) {
      LxdRig.deleteQuietly(a, onA.toArray(String[]::new));
      LxdRig.deleteQuietly(b, onB.toArray(String[]::new));
      a.close();
      b.close();
    }
    if (store != null) {
      store.close();
    }
    if (s3 != null) {
      s3.close();
    }
  }

  static void createStore(KubernetesClient k, String name) {
    k.secrets().inNamespace(Fixtures.NS).resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
        .withNewMetadata().withName("s3-creds").withNamespace(Fixtures.NS).endMetadata()
        .withStringData(Map.of("AWS_ACCESS_KEY_ID", S3Server.IDENTITY, "AWS_SECRET_ACCESS_KEY", S3Server.CREDENTIAL))
        .build()).createOr(r -> r.update());
    BackupStore bs = new BackupStore();
    bs.getMetadata().setName(name);
    bs.getMetadata().setNamespace(Fixtures.NS);
    BackupStoreSpec spec = new BackupStoreSpec();
    S3Store s = new S3Store();
    s.setEndpoint(s3.endpoint().toString());
    s.setBucket(BUCKET);
    s.setForcePathStyle(true);
    s.setRegion("us-east-1");
    s.setCredentialsSecretRef(new ObjectRef("s3-creds"));
    spec.setS3(s);
    spec.setAccessMode(AccessMode.READ_WRITE);
    bs.setSpec(spec);
    k.resource(bs).create();
  }

  /** An instance on A with a payload file and a snapshot, as most tests need. */
  static String sourceInstance(String prefix) {
    String n = rig.createInstance(a, prefix);
    onA.add(n);
    a.writeFile(n, "/root/payload.bin", PAYLOAD, 0600);
    a.waitFor(a.createSnapshot(n, LxdClient.SnapshotRequest.named("snap1")), T);
    return n;
  }

  /** Writes an export of {@code instance} to the bucket (object + manifest), as an export does. */
  static String exportToBucket(String instance, String sha256Override) throws Exception {
    String backup = "t-" + instance;
    a.waitFor(a.createBackup(instance, new LxdClient.BackupRequest(backup, Instant.now().plusSeconds(3600), false, false, "zstd", null)), T);
    String name = "manual-" + EXPORTS.incrementAndGet();
    String key = ObjectKeys.exportKey("", Fixtures.NS, "lxd-a", "default", instance, name, "zstd");
    UploadResult up;
    try (LxdClient.Download d = a.downloadBackup(instance, backup)) {
      up = store.upload(key, d.stream(), d.contentLength(), UploadOptions.defaults());
    } finally {
      a.waitFor(a.deleteBackup(instance, backup), T);
    }
    BackupManifest m = new BackupManifest(1, key, instance, "lxd-a", "default", "5.0.2", "rig-a", "zstd", up.size(),
        sha256Override != null ? sha256Override : up.sha256(), false, false, List.of("snap1"), Instant.now(), Instant.now(),
        name, Fixtures.NS);
    store.putSmall(ObjectKeys.manifestKey(key), m.toJson(), "application/json");
    return key;
  }

  static InstanceRestore restore(String name, String remote, String instance, RestoreSource source) {
    InstanceRestore r = new InstanceRestore();
    r.getMetadata().setName(name);
    r.getMetadata().setNamespace(Fixtures.NS);
    InstanceRestoreSpec spec = new InstanceRestoreSpec();
    spec.setRemoteRef(new ObjectRef(remote));
    spec.setInstance(instance);
    spec.setSource(source);
    r.setSpec(spec);
    return r;
  }

  static RestoreSource fromObject(String key) {
    RestoreSource s = new RestoreSource();
    ObjectSource o = new ObjectSource();
    o.setStoreRef(new ObjectRef("s3-main"));
    o.setKey(key);
    s.setObject(o);
    return s;
  }

  static InstanceRestore awaitRestore(KubernetesClient k, String name, Predicate<InstanceRestore> p) {
    await().atMost(T).pollInterval(Duration.ofMillis(250)).until(() -> {
      InstanceRestore r = k.resources(InstanceRestore.class).inNamespace(Fixtures.NS).withName(name).get();
      return r != null && r.getStatus() != null && p.test(r);
    });
    return k.resources(InstanceRestore.class).inNamespace(Fixtures.NS).withName(name).get();
  }

  static InstanceRestore awaitDone(KubernetesClient k, String name) {
    return awaitRestore(k, name, r -> r.getStatus().getPhase() == InstanceRestorePhase.COMPLETED
        || r.getStatus().getPhase() == InstanceRestorePhase.FAILED);
  }

  static Condition complete(InstanceRestore r) {
    return r.getStatus().findCondition(Condition.COMPLETE).orElseThrow();
  }

  @Test
  void snapshotRestoreInPlaceByRefAndByName() {
    String inst = rig.createInstance(a, "rs-snap");
    onA.add(inst);
    a.writeFile(inst, "/root/f.txt", "v1".getBytes(StandardCharsets.UTF_8), 0644);
    InstanceSnapshot is = new InstanceSnapshot();
    is.getMetadata().setName("rs-snap");
    is.getMetadata().setNamespace(Fixtures.NS);
    InstanceSnapshotSpec ss = new InstanceSnapshotSpec();
    ss.setRemoteRef(new ObjectRef("lxd-a"));
    ss.setInstance(inst);
    ss.setSnapshotName("good");
    is.setSpec(ss);
    kube.resource(is).create();
    await().atMost(T).until(() -> {
      InstanceSnapshot x = kube.resources(InstanceSnapshot.class).inNamespace(Fixtures.NS).withName("rs-snap").get();
      return x.getStatus() != null && x.getStatus().getPhase() == InstanceSnapshotPhase.READY;
    });
    a.writeFile(inst, "/root/f.txt", "v2-broken".getBytes(StandardCharsets.UTF_8), 0644);

    RestoreSource byRef = new RestoreSource();
    byRef.setSnapshotRef(new ObjectRef("rs-snap"));
    kube.resource(restore("rs-by-ref", "lxd-a", inst, byRef)).create();
    InstanceRestore done = awaitDone(kube, "rs-by-ref");
    assertThat(done.getStatus().getPhase()).isEqualTo(InstanceRestorePhase.COMPLETED);
    assertThat(done.getStatus().getInstanceState()).isEqualTo("Stopped");
    assertThat(done.getStatus().getRestoredAt()).isNotNull();
    assertThat(new String(a.readFile(inst, "/root/f.txt"), StandardCharsets.UTF_8)).isEqualTo("v1");

    a.writeFile(inst, "/root/f.txt", "v3".getBytes(StandardCharsets.UTF_8), 0644);
    RestoreSource byName = new RestoreSource();
    LxdSnapshotRef n = new LxdSnapshotRef();
    n.setName("good");
    byName.setSnapshot(n);
    kube.resource(restore("rs-by-name", "lxd-a", inst, byName)).create();
    assertThat(awaitDone(kube, "rs-by-name").getStatus().getPhase()).isEqualTo(InstanceRestorePhase.COMPLETED);
    assertThat(new String(a.readFile(inst, "/root/f.txt"), StandardCharsets.UTF_8)).isEqualTo("v1");

    RestoreSource missing = new RestoreSource();
    LxdSnapshotRef m = new LxdSnapshotRef();
    m.setName("no-such-snapshot");
    missing.setSnapshot(m);
    kube.resource(restore("rs-missing-snap", "lxd-a", inst, missing)).create();
    InstanceRestore failed = awaitDone(kube, "rs-missing-snap");
    assertThat(failed.getStatus().getPhase()).isEqualTo(InstanceRestorePhase.FAILED);
    assertThat(complete(failed).getReason()).isEqualTo(Reasons.SOURCE_NOT_FOUND);
    assertThat(complete(failed).getMessage()).contains("no-such-snapshot");
  }

  @Test
  void importOnSameServerUnderNewNameAndOnTheOtherServer() throws Exception {
    String src = sourceInstance("rs-imp");
    String key = exportToBucket(src, null);

    String same = src + "-copy";
    onA.add(same);
    kube.resource(restore("rs-same", "lxd-a", same, fromObject(key))).create();
    InstanceRestore r1 = awaitDone(kube, "rs-same");
    assertThat(r1.getStatus().getPhase()).isEqualTo(InstanceRestorePhase.COMPLETED);
    assertThat(a.readFile(same, "/root/payload.bin")).isEqualTo(PAYLOAD);
    assertThat(a.listSnapshots(same)).extracting(Snapshot::name).containsExactly("snap1");
    assertThat(r1.getStatus().getSha256()).hasSize(64);

    String other = src + "-on-b";
    onB.add(other);
    kube.resource(restore("rs-other", "lxd-b", other, fromObject(key))).create();
    assertThat(awaitDone(kube, "rs-other").getStatus().getPhase()).isEqualTo(InstanceRestorePhase.COMPLETED);
    assertThat(b.readFile(other, "/root/payload.bin")).isEqualTo(PAYLOAD);
    assertThat(b.getInstance(other).isRunning()).isFalse();
  }

  @Test
  void replaceSwapsOnlyAfterASuccessfulImportAndFailKeepsTheExistingInstance() throws Exception {
    String src = sourceInstance("rs-rep");
    String key = exportToBucket(src, null);
    String existing = rig.createInstance(b, "rs-existing");
    onB.add(existing);
    b.writeFile(existing, "/root/payload.bin", "old content".getBytes(StandardCharsets.UTF_8), 0600);

    // Fail (default): refused before any transfer, existing untouched
    kube.resource(restore("rs-fail", "lxd-b", existing, fromObject(key))).create();
    InstanceRestore refused = awaitDone(kube, "rs-fail");
    assertThat(complete(refused).getReason()).isEqualTo(Reasons.ALREADY_EXISTS);
    assertThat(complete(refused).getMessage()).contains("existingInstance: Replace");
    assertThat(new String(b.readFile(existing, "/root/payload.bin"), StandardCharsets.UTF_8)).isEqualTo("old content");

    // Replace with a corrupted object: the import fails, the existing instance survives
    String badKey = exportToBucket(src, "0".repeat(64));
    InstanceRestore bad = restore("rs-replace-bad", "lxd-b", existing, fromObject(badKey));
    bad.getSpec().setExistingInstance(ExistingInstancePolicy.REPLACE);
    kube.resource(bad).create();
    InstanceRestore badDone = awaitDone(kube, "rs-replace-bad");
    assertThat(complete(badDone).getReason()).isEqualTo(Reasons.CHECKSUM_MISMATCH);
    assertThat(new String(b.readFile(existing, "/root/payload.bin"), StandardCharsets.UTF_8)).isEqualTo("old content");
    assertThat(b.listInstances()).extracting(i -> i.name()).noneMatch(n -> n.contains("-restore-"));

    // Replace with a good object
    InstanceRestore good = restore("rs-replace", "lxd-b", existing, fromObject(key));
    good.getSpec().setExistingInstance(ExistingInstancePolicy.REPLACE);
    kube.resource(good).create();
    assertThat(awaitDone(kube, "rs-replace").getStatus().getPhase()).isEqualTo(InstanceRestorePhase.COMPLETED);
    assertThat(b.readFile(existing, "/root/payload.bin")).isEqualTo(PAYLOAD);
    assertThat(b.listInstances()).extracting(i -> i.name()).noneMatch(n -> n.contains("-restore-"));
  }

  @Test
  void corruptedMissingAndUnsupportedInputsLeaveNothingBehind() throws Exception {
    String src = sourceInstance("rs-bad");
    String corrupt = exportToBucket(src, "f".repeat(64));
    String target = src + "-corrupt";
    kube.resource(restore("rs-corrupt", "lxd-b", target, fromObject(corrupt))).create();
    InstanceRestore c = awaitDone(kube, "rs-corrupt");
    assertThat(c.getStatus().getPhase()).isEqualTo(InstanceRestorePhase.FAILED);
    assertThat(complete(c).getReason()).isEqualTo(Reasons.CHECKSUM_MISMATCH);
    assertThat(complete(c).getMessage()).contains("f".repeat(64));
    assertThat(b.instanceExists(target)).isFalse();

    kube.resource(restore("rs-no-object", "lxd-b", src + "-x", fromObject("no/such/key.tar.zst"))).create();
    assertThat(complete(awaitDone(kube, "rs-no-object")).getReason()).isEqualTo(Reasons.OBJECT_NOT_FOUND);

    String key = exportToBucket(src, null);
    InstanceRestore dev = restore("rs-devices", "lxd-b", src + "-dev", fromObject(key));
    dev.getSpec().setDevices(Map.of("eth0", Map.of("type", "nic", "nictype", "bridged", "parent", "lxdbr0")));
    kube.resource(dev).create();
    InstanceRestore devDone = awaitDone(kube, "rs-devices");
    assertThat(complete(devDone).getReason()).isEqualTo(Reasons.NOT_SUPPORTED);
    assertThat(complete(devDone).getMessage()).contains("import_instance_devices");
    assertThat(b.instanceExists(src + "-dev")).isFalse();
  }

  @Test
  void aFreshOperatorRestoresFromTheBucketAlone() throws Exception {
    String src = sourceInstance("rs-dr");
    exportToBucket(src, null);
    try (OperatorHarness fresh = new OperatorHarness().start()) {
      KubernetesClient k = fresh.kube();
      Fixtures.remote(k, rig, "lxd-b", "b", "5m");
      createStore(k, "s3-main");
      // what is in the bucket, from the manifests alone
      BackupManifest found = ManifestCatalog.scan(store, "").manifests().stream()
          .filter(m -> m.instance().equals(src)).findFirst().orElseThrow();
      String target = src + "-dr";
      onB.add(target);
      k.resource(restore("rs-dr", "lxd-b", target, fromObject(found.key()))).create();
      assertThat(awaitDone(k, "rs-dr").getStatus().getPhase()).isEqualTo(InstanceRestorePhase.COMPLETED);
      assertThat(b.readFile(target, "/root/payload.bin")).isEqualTo(PAYLOAD);
    }
  }
}
