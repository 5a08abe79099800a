package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.AccessMode;
import io.lxdbackup.operator.api.v1alpha1.BackupStore;
import io.lxdbackup.operator.api.v1alpha1.BackupStoreSpec;
import io.lxdbackup.operator.api.v1alpha1.BaseStatus;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestore;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestoreSpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshot;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotSpec;
import io.lxdbackup.operator.api.v1alpha1.LxdRemote;
import io.lxdbackup.operator.api.v1alpha1.LxdRemotePhase;
import io.lxdbackup.operator.api.v1alpha1.LxdRemoteSpec;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.api.v1alpha1.ObjectSource;
import io.lxdbackup.operator.api.v1alpha1.RestoreSource;
import io.lxdbackup.operator.api.v1alpha1.S3Store;
import io.lxdbackup.operator.api.v1alpha1.SecretKeyRef;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.lxd.TrustToken;
import io.lxdbackup.operator.testing.Fixtures;
import io.lxdbackup.operator.testing.LxdRig;
import io.lxdbackup.operator.testing.OperatorHarness;
import io.lxdbackup.operator.testing.S3Server;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * What a user who may only write this operator's kinds in a namespace can make it do: read only
 * Secrets meant for it, send a trust token only to the pinned server it belongs to, name only
 * the LXD projects a remote allows, read only keys under a store's prefix, and never borrow the
 * operator's own cloud identity. Against the real LXD rig and s3proxy.
 */
@Tag("lxd")
class SecurityRulesLxdTest {
    static final Duration T = Duration.ofSeconds(40);
    static final String BUCKET = "security-rules";
    static LxdRig rig;
    static S3Server s3;
    static OperatorHarness op;
    static KubernetesClient kube;

    @BeforeAll
    static void start() throws Exception {
        rig = LxdRig.require();
        s3 = S3Server.start();
        try (S3Client raw = s3.rawClient()) {
            raw.createBucket(b -> b.bucket(BUCKET));
        }
        op = new OperatorHarness().start();
        kube = op.kube();
    }

    @AfterAll
    static void stop() throws Exception {
        if (op != null) {
            op.close();
        }
        if (s3 != null) {
            s3.stop();
        }
    }

    static LxdRemote tokenRemote(String name, String daemon, String fingerprint, String tokenSecret) {
        LxdRemote r = new LxdRemote();
        r.getMetadata().setName(name);
        r.getMetadata().setNamespace(Fixtures.NS);
        LxdRemoteSpec spec = new LxdRemoteSpec();
        spec.setUrl(rig.get(daemon + ".url"));
        spec.setClientCertificateSecretRef(new ObjectRef(name + "-client"));
        spec.setServerCertificateFingerprint(fingerprint);
        spec.setTrustTokenSecretRef(new SecretKeyRef(tokenSecret, "token"));
        spec.setProbeInterval("5m");
        r.setSpec(spec);
        return r;
    }

    static Condition awaitCondition(
            Class<? extends CustomResource<?, ?>> kind, String name, String type, String reason) {
        await().atMost(T)
                .pollInterval(Duration.ofMillis(200))
                .until(() -> condition(kind, name, type)
                        .map(c -> reason.equals(c.getReason()))
                        .orElse(false));
        return condition(kind, name, type).orElseThrow();
    }

    static java.util.Optional<Condition> condition(
            Class<? extends CustomResource<?, ?>> kind, String name, String type) {
        CustomResource<?, ?> r =
                kube.resources(kind).inNamespace(Fixtures.NS).withName(name).get();
        return r == null || !(r.getStatus() instanceof BaseStatus st)
                ? java.util.Optional.empty()
                : st.findCondition(type);
    }

    static LxdRemote remote(String name) {
        return kube.resources(LxdRemote.class)
                .inNamespace(Fixtures.NS)
                .withName(name)
                .get();
    }

    @Test
    void aTrustTokenGoesOnlyToThePinnedServerThatIssuedIt() throws Exception {
        String token;
        try (LxdClient a = rig.clientA()) {
            token = a.createTrustToken(LxdRig.uniqueName("sec-token"));
        }
        // the token names the server that issued it
        assertThat(TrustToken.parse(token).fingerprint()).isEqualTo(rig.get("a.fingerprint"));
        String tokenSecret = TrustToken.parse(token).secret();
        kube.secrets()
                .inNamespace(Fixtures.NS)
                .resource(Fixtures.trustToken("sec-token", token))
                .create();

        // 1. insecureSkipVerify and no pin: any server could answer, so the token is not sent
        LxdRemote insecure = tokenRemote("tok-insecure", "a", null, "sec-token");
        insecure.getSpec().setInsecureSkipVerify(true);
        kube.resource(insecure).create();
        Condition c = awaitCondition(LxdRemote.class, "tok-insecure", Condition.READY, Reasons.TRUST_TOKEN_REFUSED);
        assertThat(c.getMessage())
                .contains("pins no server certificate")
                .doesNotContain(tokenSecret)
                .doesNotContain(token);
        assertThat(remote("tok-insecure").getStatus().getPhase()).isEqualTo(LxdRemotePhase.UNTRUSTED);

        // 2. pinned, but to another server than the one that issued the token
        kube.resource(tokenRemote("tok-other", "b", rig.get("b.fingerprint"), "sec-token"))
                .create();
        c = awaitCondition(LxdRemote.class, "tok-other", Condition.READY, Reasons.TRUST_TOKEN_REFUSED);
        assertThat(c.getMessage())
                .contains(rig.get("a.fingerprint"))
                .contains(rig.get("b.fingerprint"))
                .doesNotContain(tokenSecret);

        // 3. the same token in a Secret not meant for the operator (plain Opaque, no label) is not read
        kube.secrets()
                .inNamespace(Fixtures.NS)
                .resource(Fixtures.opaque("sec-token-opaque", "token", token))
                .create();
        kube.resource(tokenRemote("tok-opaque", "a", rig.get("a.fingerprint"), "sec-token-opaque"))
                .create();
        c = awaitCondition(LxdRemote.class, "tok-opaque", Condition.READY, Reasons.SECRET_NOT_ALLOWED);
        assertThat(c.getMessage())
                .contains("sec-token-opaque")
                .contains(SecretRules.TRUST_TOKEN_TYPE)
                .contains(SecretRules.ALLOW_LABEL);
        assertThat(remote("tok-opaque").getStatus().getPhase()).isEqualTo(LxdRemotePhase.INVALID);

        // 4. a trust password says nothing about its server: never sent
        kube.secrets()
                .inNamespace(Fixtures.NS)
                .resource(Fixtures.trustToken("sec-password", rig.get("trust.password")))
                .create();
        kube.resource(tokenRemote("tok-password", "a", rig.get("a.fingerprint"), "sec-password"))
                .create();
        c = awaitCondition(LxdRemote.class, "tok-password", Condition.READY, Reasons.TRUST_TOKEN_REFUSED);
        assertThat(c.getMessage()).contains("trust passwords are not sent").doesNotContain(rig.get("trust.password"));

        // 5. the pinned server that issued it: enrolled. The token is single-use, so this also proves
        // that none of the remotes above handed it to server A.
        kube.resource(tokenRemote("tok-good", "a", rig.get("a.fingerprint"), "sec-token"))
                .create();
        c = awaitCondition(LxdRemote.class, "tok-good", Condition.READY, Reasons.CONNECTED);
        assertThat(c.getStatus()).isEqualTo(Condition.TRUE);
    }

    @Test
    void secretsAreReadOnlyWhenTheirTypeOrLabelAllowsIt() {
        // a client certificate in an Opaque Secret without the label: refused, the data never looked at
        Secret opaqueTls = new SecretBuilder()
                .withNewMetadata()
                .withName("sec-opaque-tls")
                .withNamespace(Fixtures.NS)
                .endMetadata()
                .withData(Map.of("tls.crt", b64(rig.read("client.crt")), "tls.key", b64(rig.read("client.key"))))
                .build();
        kube.secrets().inNamespace(Fixtures.NS).resource(opaqueTls).create();
        LxdRemote r = new LxdRemote();
        r.getMetadata().setName("sec-opaque-tls");
        r.getMetadata().setNamespace(Fixtures.NS);
        LxdRemoteSpec spec = new LxdRemoteSpec();
        spec.setUrl(rig.get("a.url"));
        spec.setClientCertificateSecretRef(new ObjectRef("sec-opaque-tls"));
        spec.setServerCertificateFingerprint(rig.get("a.fingerprint"));
        spec.setProbeInterval("2s");
        r.setSpec(spec);
        kube.resource(r).create();
        Condition c = awaitCondition(LxdRemote.class, "sec-opaque-tls", Condition.READY, Reasons.SECRET_NOT_ALLOWED);
        assertThat(c.getMessage()).contains("kubernetes.io/tls");
        // its owner labels it for the operator: used from the next probe on
        kube.secrets()
                .inNamespace(Fixtures.NS)
                .withName("sec-opaque-tls")
                .edit(s -> new SecretBuilder(s)
                        .editMetadata()
                        .addToLabels(SecretRules.ALLOW_LABEL, "true")
                        .endMetadata()
                        .build());
        awaitCondition(LxdRemote.class, "sec-opaque-tls", Condition.READY, Reasons.CONNECTED);

        // S3 credentials in an Opaque Secret: the store is refused, the credentials appear nowhere
        kube.secrets()
                .inNamespace(Fixtures.NS)
                .resource(Fixtures.opaque("sec-s3-opaque", "AWS_ACCESS_KEY_ID", S3Server.IDENTITY))
                .create();
        kube.secrets()
                .inNamespace(Fixtures.NS)
                .withName("sec-s3-opaque")
                .edit(s -> new SecretBuilder(s)
                        .addToData("AWS_SECRET_ACCESS_KEY", b64(S3Server.CREDENTIAL))
                        .build());
        kube.resource(store("sec-s3-opaque", "", "sec-s3-opaque")).create();
        c = awaitCondition(BackupStore.class, "sec-s3-opaque", Condition.AVAILABLE, Reasons.SECRET_NOT_ALLOWED);
        assertThat(c.getMessage()).contains(SecretRules.S3_CREDENTIALS_TYPE).doesNotContain(S3Server.CREDENTIAL);
        // the type made for it is enough
        kube.secrets()
                .inNamespace(Fixtures.NS)
                .resource(Fixtures.s3Credentials("sec-s3-typed", S3Server.IDENTITY, S3Server.CREDENTIAL))
                .create();
        kube.resource(store("sec-s3-typed", "", "sec-s3-typed")).create();
        awaitCondition(BackupStore.class, "sec-s3-typed", Condition.AVAILABLE, Reasons.STORE_AVAILABLE);
    }

    @Test
    void aStoreWithoutCredentialsDoesNotBorrowTheOperatorsIdentity() {
        kube.resource(store("sec-ambient", "", null)).create();
        Condition c = awaitCondition(
                BackupStore.class, "sec-ambient", Condition.AVAILABLE, Reasons.AMBIENT_CREDENTIALS_NOT_ALLOWED);
        assertThat(c.getMessage()).contains("--allow-ambient-credentials").contains("credentialsSecretRef");
    }

    @Test
    void resourcesNameOnlyTheProjectsTheirRemoteAllows() {
        kube.secrets()
                .inNamespace(Fixtures.NS)
                .resource(Fixtures.tlsSecret("sec-confined-client", rig.read("client.crt"), rig.read("client.key")))
                .create();
        LxdRemote confined = tokenRemote("sec-confined", "a", rig.get("a.fingerprint"), "unused");
        confined.getSpec().setTrustTokenSecretRef(null);
        confined.getSpec().setAllowedProjects(List.of("default"));
        kube.resource(confined).create();
        kube.resource(snapshot("sec-other-project", "sec-confined", "other")).create();
        Condition c = awaitCondition(
                InstanceSnapshot.class, "sec-other-project", Condition.READY, Reasons.PROJECT_NOT_ALLOWED);
        assertThat(c.getMessage()).contains("other").contains("default").contains("sec-confined");
        // the allowed project passes (here to LXD's own answer about an instance that is not there),
        // also when the resource names none and the remote's default project is used
        kube.resource(snapshot("sec-default-project", "sec-confined", "default"))
                .create();
        awaitCondition(InstanceSnapshot.class, "sec-default-project", Condition.READY, Reasons.INSTANCE_NOT_FOUND);
        kube.resource(snapshot("sec-no-project", "sec-confined", null)).create();
        awaitCondition(InstanceSnapshot.class, "sec-no-project", Condition.READY, Reasons.INSTANCE_NOT_FOUND);
    }

    @Test
    void aRestoreReadsOnlyKeysUnderItsStoresPrefix() {
        Fixtures.backupStore(
                kube,
                "sec-tenant-a",
                s3.endpoint(),
                BUCKET,
                "tenant-a/",
                S3Server.IDENTITY,
                S3Server.CREDENTIAL,
                AccessMode.READ_ONLY);
        Fixtures.remote(kube, rig, "sec-restore-remote", "a", "5m");
        try (S3Client raw = s3.rawClient()) {
            raw.putObject(
                    b -> b.bucket(BUCKET).key("tenant-b/web.tar.gz"), RequestBody.fromString("someone else's backup"));
        }
        kube.resource(restore("sec-outside", "tenant-b/web.tar.gz")).create();
        Condition c =
                awaitCondition(InstanceRestore.class, "sec-outside", Condition.COMPLETE, Reasons.KEY_OUTSIDE_PREFIX);
        assertThat(c.getMessage()).contains("tenant-b/web.tar.gz").contains("tenant-a/");
        // a prefix is not a mere string prefix of the key's first segment
        kube.resource(restore("sec-sibling", "tenant-abc/web.tar.gz")).create();
        awaitCondition(InstanceRestore.class, "sec-sibling", Condition.COMPLETE, Reasons.KEY_OUTSIDE_PREFIX);
        // a key under the prefix gets as far as the store's own answer
        kube.resource(restore("sec-inside", "tenant-a/missing.tar.gz")).create();
        awaitCondition(InstanceRestore.class, "sec-inside", Condition.COMPLETE, Reasons.OBJECT_NOT_FOUND);
    }

    static InstanceSnapshot snapshot(String name, String remote, String project) {
        InstanceSnapshot s = new InstanceSnapshot();
        s.getMetadata().setName(name);
        s.getMetadata().setNamespace(Fixtures.NS);
        InstanceSnapshotSpec spec = new InstanceSnapshotSpec();
        spec.setRemoteRef(new ObjectRef(remote));
        spec.setInstance(LxdRig.uniqueName("absent"));
        spec.setProject(project);
        s.setSpec(spec);
        return s;
    }

    static InstanceRestore restore(String name, String key) {
        InstanceRestore r = new InstanceRestore();
        r.getMetadata().setName(name);
        r.getMetadata().setNamespace(Fixtures.NS);
        InstanceRestoreSpec spec = new InstanceRestoreSpec();
        spec.setRemoteRef(new ObjectRef("sec-restore-remote"));
        spec.setInstance(LxdRig.uniqueName("restored"));
        RestoreSource src = new RestoreSource();
        ObjectSource o = new ObjectSource();
        o.setStoreRef(new ObjectRef("sec-tenant-a"));
        o.setKey(key);
        src.setObject(o);
        spec.setSource(src);
        r.setSpec(spec);
        return r;
    }

    static BackupStore store(String name, String prefix, String secret) {
        BackupStore bs = new BackupStore();
        bs.getMetadata().setName(name);
        bs.getMetadata().setNamespace(Fixtures.NS);
        S3Store s = new S3Store();
        s.setEndpoint(s3.endpoint().toString());
        s.setBucket(BUCKET);
        s.setPrefix(prefix);
        s.setForcePathStyle(true);
        s.setRegion("us-east-1");
        if (secret != null) {
            s.setCredentialsSecretRef(new ObjectRef(secret));
        }
        BackupStoreSpec spec = new BackupStoreSpec();
        spec.setS3(s);
        spec.setAccessMode(AccessMode.READ_WRITE);
        bs.setSpec(spec);
        return bs;
    }

    static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
