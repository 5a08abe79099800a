package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.LxdRemote;
import io.lxdbackup.operator.api.v1alpha1.LxdRemotePhase;
import io.lxdbackup.operator.api.v1alpha1.LxdRemoteSpec;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.api.v1alpha1.SecretKeyRef;
import io.lxdbackup.operator.lxd.Certificates;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.lxd.LxdEndpoint;
import io.lxdbackup.operator.testing.Fixtures;
import io.lxdbackup.operator.testing.LxdRig;
import io.lxdbackup.operator.testing.OperatorHarness;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** LxdRemote against the real LXD rig, through the operator as deployed. */
@Tag("lxd")
class LxdRemoteControllerLxdTest {
    static LxdRig rig;
    static OperatorHarness op;
    static KubernetesClient kube;

    @BeforeAll
    static void start() {
        rig = LxdRig.require();
        op = new OperatorHarness().start();
        kube = op.kube();
    }

    @AfterAll
    static void stop() {
        if (op != null) {
            op.close();
        }
    }

    static LxdRemote get(String name) {
        return kube.resources(LxdRemote.class)
                .inNamespace(Fixtures.NS)
                .withName(name)
                .get();
    }

    static LxdRemote awaitPhase(String name, LxdRemotePhase phase) {
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    LxdRemote r = get(name);
                    return r != null && r.getStatus() != null && r.getStatus().getPhase() == phase;
                });
        return get(name);
    }

    static Condition ready(LxdRemote r) {
        return r.getStatus().findCondition(Condition.READY).orElseThrow();
    }

    static LxdRemote remote(String name, String url, String secret, String fingerprint) {
        LxdRemote r = new LxdRemote();
        r.getMetadata().setName(name);
        r.getMetadata().setNamespace(Fixtures.NS);
        LxdRemoteSpec spec = new LxdRemoteSpec();
        spec.setUrl(url);
        spec.setClientCertificateSecretRef(new ObjectRef(secret));
        spec.setServerCertificateFingerprint(fingerprint);
        spec.setProbeInterval("2s");
        r.setSpec(spec);
        return r;
    }

    @Test
    void readyRemoteReportsServerAndCapabilities() throws Exception {
        Fixtures.remote(kube, rig, "ready-a", "a", "5m");
        LxdRemote r = awaitPhase("ready-a", LxdRemotePhase.READY);
        assertThat(r.getStatus().getServerVersion()).isEqualTo(rig.get("lxd.version"));
        assertThat(r.getStatus().getServerCertificateFingerprint()).isEqualTo(rig.get("a.fingerprint"));
        assertThat(r.getStatus().getClustered()).isFalse();
        // the server's own name, as the lxc command line reports it
        String serverName = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(rig.lxc("a", "query", "/1.0"))
                .path("environment")
                .path("server_name")
                .asText();
        assertThat(serverName).isNotBlank();
        assertThat(r.getStatus().getServerName()).isEqualTo(serverName);
        assertThat(r.getStatus().getCapabilities().getSnapshotExpiry()).isTrue();
        assertThat(r.getStatus().getCapabilities().getDiskVolumesMode()).isFalse();
        // each capability says what the server's own api_extensions list says about its extension
        java.util.Set<String> ext = new java.util.HashSet<>();
        new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(rig.lxc("a", "query", "/1.0"))
                .path("api_extensions")
                .forEach(n -> ext.add(n.asText()));
        var caps = r.getStatus().getCapabilities();
        assertThat(caps.getSnapshotExpiry()).isEqualTo(ext.contains("snapshot_expiry"));
        assertThat(caps.getSnapshotExpiryAtCreation()).isEqualTo(ext.contains("snapshot_expiry_creation"));
        assertThat(caps.getBackupOverridePool()).isEqualTo(ext.contains("container_backup_override_pool"));
        assertThat(caps.getBackupOverrideName()).isEqualTo(ext.contains("backup_override_name"));
        assertThat(caps.getDiskVolumesMode()).isEqualTo(ext.contains("instance_snapshot_multi_volume"));
        assertThat(caps.getBackupMetadataVersion()).isEqualTo(ext.contains("backup_metadata_version"));
        assertThat(caps.getImportDevices()).isEqualTo(ext.contains("import_instance_devices"));
        assertThat(r.getStatus().getLastProbeTime()).isNotNull();
        assertThat(r.getStatus().getObservedGeneration())
                .isEqualTo(r.getMetadata().getGeneration());
        Condition c = ready(r);
        assertThat(c.getStatus()).isEqualTo("True");
        assertThat(c.getReason()).isEqualTo(Reasons.CONNECTED);
        // events are written in the background
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(kube.v1()
                                .events()
                                .inNamespace(Fixtures.NS)
                                .list()
                                .getItems())
                        .anySatisfy(e -> {
                            assertThat(e.getInvolvedObject().getName()).isEqualTo("ready-a");
                            assertThat(e.getReason()).isEqualTo("Connected");
                        }));
    }

    @Test
    void badInputsEndInTheirOwnConditions() {
        kube.secrets()
                .inNamespace(Fixtures.NS)
                .resource(Fixtures.tlsSecret("good-client", rig.read("client.crt"), rig.read("client.key")))
                .create();
        kube.secrets()
                .inNamespace(Fixtures.NS)
                .resource(Fixtures.tlsSecret(
                        "garbage-client",
                        rig.read("client.crt"),
                        "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n"))
                .create();
        kube.secrets()
                .inNamespace(Fixtures.NS)
                .resource(Fixtures.tlsSecret("untrusted-client", rig.read("untrusted.crt"), rig.read("untrusted.key")))
                .create();

        kube.resource(remote("no-secret", rig.get("a.url"), "does-not-exist", rig.get("a.fingerprint")))
                .create();
        kube.resource(remote("bad-key", rig.get("a.url"), "garbage-client", rig.get("a.fingerprint")))
                .create();
        kube.resource(remote("wrong-fp", rig.get("a.url"), "good-client", "ab".repeat(32)))
                .create();
        LxdRemote unreachableRemote =
                remote("unreachable", "https://127.0.0.1:1", "good-client", rig.get("a.fingerprint"));
        unreachableRemote.getSpec().setProbeInterval("10m");
        kube.resource(unreachableRemote).create();
        kube.resource(remote("untrusted", rig.get("a.url"), "untrusted-client", rig.get("a.fingerprint")))
                .create();
        kube.resource(remote("no-pin", rig.get("a.url"), "good-client", null)).create();

        assertThat(ready(awaitPhase("no-secret", LxdRemotePhase.INVALID)).getReason())
                .isEqualTo(Reasons.SECRET_MISSING);
        assertThat(ready(awaitPhase("bad-key", LxdRemotePhase.INVALID)).getReason())
                .isEqualTo(Reasons.KEY_UNREADABLE);
        Condition fp = ready(awaitPhase("wrong-fp", LxdRemotePhase.UNTRUSTED));
        assertThat(fp.getReason()).isEqualTo(Reasons.FINGERPRINT_MISMATCH);
        assertThat(fp.getMessage()).contains("ab".repeat(32)).contains(rig.get("a.fingerprint"));
        Condition unreachable = ready(awaitPhase("unreachable", LxdRemotePhase.UNREACHABLE));
        assertThat(unreachable.getReason()).isEqualTo(Reasons.SERVER_UNREACHABLE);
        assertThat(unreachable.getMessage()).contains("127.0.0.1:1");
        Condition untrusted = ready(awaitPhase("untrusted", LxdRemotePhase.UNTRUSTED));
        assertThat(untrusted.getReason()).isEqualTo(Reasons.NOT_TRUSTED);
        assertThat(untrusted.getMessage())
                .contains(Certificates.fingerprint(rig.untrustedIdentity().certificate()));
        Condition noPin = ready(awaitPhase("no-pin", LxdRemotePhase.UNTRUSTED));
        assertThat(noPin.getReason()).isEqualTo(Reasons.TLS_ERROR);
        assertThat(noPin.getMessage()).contains(rig.get("a.fingerprint"));

        // No retry storm: the unreachable remote backs off (5s, 10s, 20s ...) instead of hammering
        LxdRemote u1 = get("unreachable");
        int failuresBefore = u1.getStatus().getFailures();
        await().pollDelay(Duration.ofSeconds(8)).atMost(Duration.ofSeconds(9)).until(() -> true);
        assertThat(get("unreachable").getStatus().getFailures() - failuresBefore)
                .isBetween(0, 2);
        // and the secret never appears in the status
        assertThat(get("bad-key").getStatus().toString()).doesNotContain("not a key");
    }

    @Test
    void enrolsWithATrustTokenGeneratingTheClientCertificate() {
        String token;
        try (LxdClient admin = rig.clientA()) {
            token = admin.createTrustToken("operator-enrol-test");
        }
        kube.secrets()
                .inNamespace(Fixtures.NS)
                .resource(Fixtures.trustToken("lxd-token", token))
                .create();
        LxdRemote r = remote("enrol", rig.get("a.url"), "enrol-client", rig.get("a.fingerprint"));
        r.getSpec().setTrustTokenSecretRef(new SecretKeyRef("lxd-token", "token"));
        kube.resource(r).create();

        LxdRemote ready = awaitPhase("enrol", LxdRemotePhase.READY);
        Secret generated =
                kube.secrets().inNamespace(Fixtures.NS).withName("enrol-client").get();
        assertThat(generated).isNotNull();
        String crt = io.lxdbackup.operator.controller.RemoteConnections.secretValue(generated, "tls.crt");
        String key = io.lxdbackup.operator.controller.RemoteConnections.secretValue(generated, "tls.key");
        assertThat(ready.getStatus().getClientCertificateFingerprint())
                .isEqualTo(Certificates.fingerprint(Certificates.parseCertificate(crt, "crt")));
        // the generated certificate really is trusted by the server now
        try (LxdClient c = LxdClient.create(
                LxdEndpoint.https(rig.get("a.url"), Certificates.parseIdentity(crt, key), rig.get("a.fingerprint")))) {
            assertThat(c.refreshServer().trusted()).isTrue();
        }
        // a used-up token on a second, untrusted certificate is an EnrolmentFailed condition
        LxdRemote again = remote("enrol-again", rig.get("a.url"), "enrol-again-client", rig.get("a.fingerprint"));
        again.getSpec().setTrustTokenSecretRef(new SecretKeyRef("lxd-token", "token"));
        kube.resource(again).create();
        assertThat(ready(awaitPhase("enrol-again", LxdRemotePhase.UNTRUSTED)).getReason())
                .isEqualTo(Reasons.ENROLMENT_FAILED);
    }

    @Test
    void touchingTheRemoteProbesAChangedSecretAtOnce() {
        kube.secrets()
                .inNamespace(Fixtures.NS)
                .resource(Fixtures.tlsSecret("touched", rig.read("client.crt"), rig.read("client.key")))
                .create();
        LxdRemote r = remote("touched", rig.get("a.url"), "touched", rig.get("a.fingerprint"));
        r.getSpec().setProbeInterval("5m");
        kube.resource(r).create();
        awaitPhase("touched", LxdRemotePhase.READY);

        // Secrets are not watched: the next probe is minutes away, an annotation brings it forward
        kube.secrets()
                .inNamespace(Fixtures.NS)
                .resource(Fixtures.tlsSecret("touched", rig.read("untrusted.crt"), rig.read("untrusted.key")))
                .update();
        touch("touched", "1");
        assertThat(ready(awaitPhase("touched", LxdRemotePhase.UNTRUSTED)).getReason())
                .isEqualTo(Reasons.NOT_TRUSTED);

        kube.secrets()
                .inNamespace(Fixtures.NS)
                .resource(Fixtures.tlsSecret("touched", rig.read("client.crt"), rig.read("client.key")))
                .update();
        touch("touched", "2");
        assertThat(ready(awaitPhase("touched", LxdRemotePhase.READY)).getReason())
                .isEqualTo(Reasons.CONNECTED);
    }

    static void touch(String name, String value) {
        kube.resources(LxdRemote.class).inNamespace(Fixtures.NS).withName(name).edit(x -> {
            x.getMetadata().setAnnotations(java.util.Map.of("lxdbackup.io/reprobe", value));
            return x;
        });
    }

    @Test
    void rotatedSecretTakesEffectWithoutRestart() {
        kube.secrets()
                .inNamespace(Fixtures.NS)
                .resource(Fixtures.tlsSecret("rotating", rig.read("client.crt"), rig.read("client.key")))
                .create();
        kube.resource(remote("rotating", rig.get("a.url"), "rotating", rig.get("a.fingerprint")))
                .create();
        awaitPhase("rotating", LxdRemotePhase.READY);

        kube.secrets()
                .inNamespace(Fixtures.NS)
                .resource(Fixtures.tlsSecret("rotating", rig.read("untrusted.crt"), rig.read("untrusted.key")))
                .update();
        assertThat(ready(awaitPhase("rotating", LxdRemotePhase.UNTRUSTED)).getReason())
                .isEqualTo(Reasons.NOT_TRUSTED);

        kube.secrets()
                .inNamespace(Fixtures.NS)
                .resource(Fixtures.tlsSecret("rotating", rig.read("client.crt"), rig.read("client.key.pkcs8")))
                .update();
        LxdRemote back = awaitPhase("rotating", LxdRemotePhase.READY);
        assertThat(ready(back).getReason()).isEqualTo(Reasons.CONNECTED);
    }
}
