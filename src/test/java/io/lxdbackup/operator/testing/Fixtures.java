package io.lxdbackup.operator.testing;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.AccessMode;
import io.lxdbackup.operator.api.v1alpha1.BackupStore;
import io.lxdbackup.operator.api.v1alpha1.BackupStoreSpec;
import io.lxdbackup.operator.api.v1alpha1.LxdRemote;
import io.lxdbackup.operator.api.v1alpha1.LxdRemoteSpec;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.api.v1alpha1.S3Store;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

/** Kubernetes objects the controller tests need, pointing at the real LXD rig. */
public final class Fixtures {
    public static final String NS = "default";

    private Fixtures() {}

    public static Secret tlsSecret(String name, String crt, String key) {
        return new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(NS)
                .endMetadata()
                .withType("kubernetes.io/tls")
                .withData(Map.of("tls.crt", b64(crt), "tls.key", b64(key)))
                .build();
    }

    public static Secret opaque(String name, String key, String value) {
        return new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(NS)
                .endMetadata()
                .withData(Map.of(key, b64(value)))
                .build();
    }

    /** A trust token Secret the operator may read (type {@code lxdbackup.io/trust-token}), key {@code token}. */
    public static Secret trustToken(String name, String token) {
        return new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(NS)
                .endMetadata()
                .withType("lxdbackup.io/trust-token")
                .withData(Map.of("token", b64(token)))
                .build();
    }

    /** An S3 credentials Secret the operator may read (type {@code lxdbackup.io/s3-credentials}). */
    public static Secret s3Credentials(String name, String accessKey, String secretKey) {
        return new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(NS)
                .endMetadata()
                .withType("lxdbackup.io/s3-credentials")
                .withData(Map.of("AWS_ACCESS_KEY_ID", b64(accessKey), "AWS_SECRET_ACCESS_KEY", b64(secretKey)))
                .build();
    }

    /** A Secret with the rig's trusted client certificate and an LxdRemote for daemon "a"/"b". */
    public static LxdRemote remote(
            KubernetesClient kube, LxdRig rig, String name, String daemon, String probeInterval) {
        String secret = name + "-client";
        kube.secrets()
                .inNamespace(NS)
                .resource(tlsSecret(secret, rig.read("client.crt"), rig.read("client.key")))
                .createOr(r -> r.update());
        LxdRemote r = new LxdRemote();
        r.getMetadata().setName(name);
        r.getMetadata().setNamespace(NS);
        LxdRemoteSpec spec = new LxdRemoteSpec();
        spec.setUrl(rig.get(daemon + ".url"));
        spec.setClientCertificateSecretRef(new ObjectRef(secret));
        spec.setServerCertificateFingerprint(rig.get(daemon + ".fingerprint"));
        spec.setProbeInterval(probeInterval);
        r.setSpec(spec);
        return kube.resource(r).create();
    }

    /** A credentials Secret and a BackupStore for {@code bucket} on an s3proxy endpoint. */
    /** A read-write store on the test's s3proxy, with its credentials in a Secret of the right type. */
    public static BackupStore backupStore(
            KubernetesClient kube, String name, S3Server s3, String bucket, String prefix) {
        return backupStore(
                kube,
                name,
                s3.endpoint(),
                bucket,
                prefix,
                S3Server.IDENTITY,
                S3Server.CREDENTIAL,
                AccessMode.READ_WRITE);
    }

    public static BackupStore backupStore(
            KubernetesClient kube,
            String name,
            URI endpoint,
            String bucket,
            String prefix,
            String accessKey,
            String secretKey,
            AccessMode mode) {
        String secret = name + "-creds";
        kube.secrets()
                .inNamespace(NS)
                .resource(s3Credentials(secret, accessKey, secretKey))
                .createOr(r -> r.update());
        BackupStore bs = new BackupStore();
        bs.getMetadata().setName(name);
        bs.getMetadata().setNamespace(NS);
        S3Store s3 = new S3Store();
        s3.setEndpoint(endpoint.toString());
        s3.setBucket(bucket);
        s3.setPrefix(prefix);
        s3.setForcePathStyle(true);
        s3.setCredentialsSecretRef(new ObjectRef(secret));
        BackupStoreSpec spec = new BackupStoreSpec();
        spec.setS3(s3);
        spec.setAccessMode(mode);
        bs.setSpec(spec);
        return kube.resource(bs).create();
    }

    static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
