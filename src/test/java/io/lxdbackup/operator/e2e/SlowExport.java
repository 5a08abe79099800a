package io.lxdbackup.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.testing.CountingProxy;
import io.lxdbackup.operator.testing.IndependentS3Client;
import io.lxdbackup.operator.testing.LxdRig;
import io.lxdbackup.operator.testing.S3Server;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import software.amazon.awssdk.services.s3.model.CreateBucketRequest;

/**
 * An export that takes long enough to interrupt: an instance with {@value #MIB} MiB of random
 * data, exported uncompressed to s3proxy through a proxy that carries about 2 MiB/s, so the
 * upload lasts some 10 s. Checks afterwards that exactly one object (and its manifest) was
 * written, no multipart upload stayed open, and no LXD-side backup was left on the server.
 */
final class SlowExport implements AutoCloseable {
    static final int MIB = 20;
    static final String BUCKET = "e2e-slow";

    final E2eCluster cluster;
    final String ns;
    final LxdRig rig;
    final LxdClient lxd;
    final String instance;
    final S3Server s3;
    final CountingProxy proxy;

    SlowExport(E2eCluster cluster, String ns) throws Exception {
        this.cluster = cluster;
        this.ns = ns;
        this.rig = LxdRig.require();
        this.lxd = rig.clientA();
        this.instance = rig.createInstance(lxd, "e2e-slow");
        byte[] data = new byte[MIB << 20];
        ThreadLocalRandom.current().nextBytes(data);
        lxd.writeFile(instance, "/root/random.bin", data, 0644);
        this.s3 = S3Server.start();
        try (var raw = s3.rawClient()) {
            raw.createBucket(CreateBucketRequest.builder().bucket(BUCKET).build());
        }
        this.proxy = new CountingProxy("127.0.0.1", s3.endpoint().getPort()).throttleUpstream(2L << 20);
        cluster.createNamespace(ns);
        E2eObjects.remote(cluster, ns, "lxd-a", rig, "a");
        cluster.kubectlIn(
                """
        apiVersion: v1
        kind: Secret
        metadata: {name: s3-creds, namespace: %s}
        type: lxdbackup.io/s3-credentials
        stringData: {AWS_ACCESS_KEY_ID: %s, AWS_SECRET_ACCESS_KEY: %s}
        ---
        apiVersion: lxdbackup.io/v1alpha1
        kind: BackupStore
        metadata: {name: slow, namespace: %s}
        spec:
          s3: {endpoint: 'http://127.0.0.1:%d', region: us-east-1, bucket: %s, forcePathStyle: true,
               credentialsSecretRef: {name: s3-creds}}
        """.formatted(ns, S3Server.IDENTITY, S3Server.CREDENTIAL, ns, proxy.port(), BUCKET),
                "apply",
                "-f",
                "-");
    }

    /** Creates the InstanceExport {@code name} and returns once it is uploading. */
    void start(String name) throws Exception {
        E2eObjects.awaitStatus(cluster, ns, "lxdremotes", "lxd-a", "phase", "Ready", Duration.ofMinutes(2));
        E2eObjects.awaitStatus(cluster, ns, "backupstores", "slow", "phase", "Available", Duration.ofMinutes(2));
        cluster.kubectlIn("""
        apiVersion: lxdbackup.io/v1alpha1
        kind: InstanceExport
        metadata: {name: %s, namespace: %s}
        spec: {remoteRef: {name: lxd-a}, instance: %s, storeRef: {name: slow}, compression: none, instanceOnly: true}
        """.formatted(name, ns, instance), "apply", "-f", "-");
        E2eObjects.awaitStatus(cluster, ns, "instanceexports", name, "phase", "Uploading", Duration.ofMinutes(2));
    }

    /** Waits for Completed and checks that the export was written exactly once and left nothing behind. */
    @SuppressWarnings("unchecked")
    void assertCompletedExactlyOnce(String name, Duration timeout) throws Exception {
        Map<String, Object> status =
                E2eObjects.awaitStatus(cluster, ns, "instanceexports", name, "phase", "Completed", timeout);
        Map<String, Object> object = (Map<String, Object>) status.get("object");
        String key = (String) object.get("key");
        IndependentS3Client independent =
                IndependentS3Client.require(s3.endpoint(), Files.createTempDirectory("e2e-s3"));
        List<String> keys = independent.list(BUCKET, "");
        assertThat(keys).as("objects in the bucket").containsExactlyInAnyOrder(key, (String) status.get("manifestKey"));
        // read back by another client and hashed here: the bytes are the ones the status vouches for
        byte[] stored = independent.readAll(BUCKET, key);
        assertThat(java.util.HexFormat.of()
                        .formatHex(java.security.MessageDigest.getInstance("SHA-256")
                                .digest(stored)))
                .isEqualTo(object.get("sha256"));
        try (var raw = s3.rawClient()) {
            assertThat(raw.listMultipartUploads(b -> b.bucket(BUCKET)).uploads())
                    .as("open multipart uploads")
                    .isEmpty();
        }
        assertThat(lxd.listBackups(instance))
                .as("LXD-side backups left on the server")
                .isEmpty();
    }

    @Override
    public void close() throws Exception {
        try {
            cluster.kubectl("delete", "namespace", ns, "--wait=true", "--timeout=120s");
        } finally {
            proxy.close();
            s3.close();
            LxdRig.deleteQuietly(lxd, instance);
            lxd.close();
        }
    }
}
