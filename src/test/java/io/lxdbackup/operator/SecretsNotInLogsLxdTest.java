package io.lxdbackup.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.AccessMode;
import io.lxdbackup.operator.api.v1alpha1.BackupStore;
import io.lxdbackup.operator.api.v1alpha1.BackupStorePhase;
import io.lxdbackup.operator.api.v1alpha1.Compression;
import io.lxdbackup.operator.api.v1alpha1.InstanceExport;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportSpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestore;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestorePhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestoreSpec;
import io.lxdbackup.operator.api.v1alpha1.LxdRemote;
import io.lxdbackup.operator.api.v1alpha1.LxdRemotePhase;
import io.lxdbackup.operator.api.v1alpha1.LxdRemoteSpec;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.api.v1alpha1.RestoreSource;
import io.lxdbackup.operator.api.v1alpha1.SecretKeyRef;
import io.lxdbackup.operator.controller.RemoteConnections;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.lxd.TrustToken;
import io.lxdbackup.operator.testing.Fixtures;
import io.lxdbackup.operator.testing.LxdRig;
import io.lxdbackup.operator.testing.OperatorHarness;
import io.lxdbackup.operator.testing.S3Server;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The operator at {@code --log-level=trace} (root logger at TRACE, set as {@link Main} sets it)
 * through the real code paths: a remote enrolled with a trust token (the operator generates its
 * key), a remote with the rig's TLS key, a store with S3 credentials, an export and a restore of
 * it. Everything logged is captured; no token, key, credential or signed header may be in it.
 */
@Tag("lxd")
class SecretsNotInLogsLxdTest {
    static final Duration T = Duration.ofMinutes(3);
    static final String BUCKET = "log-safety";

    @Test
    void nothingSecretIsLoggedAtTrace() throws Exception {
        LxdRig rig = LxdRig.require();
        String token;
        String instance;
        try (LxdClient a = rig.clientA()) {
            token = a.createTrustToken(LxdRig.uniqueName("logs"));
            instance = rig.createInstance(a, "logs");
        }
        String restored = LxdRig.uniqueName("logs-restored");
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        ch.qos.logback.classic.Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ch.qos.logback.classic.Level before = root.getLevel();
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        OutputStreamAppender<ILoggingEvent> capture = capture(ctx, captured);
        List<Appender<ILoggingEvent>> console = new ArrayList<>();
        root.iteratorForAppenders().forEachRemaining(console::add);
        console.forEach(root::detachAppender); // trace on the console would flood the build log
        root.addAppender(capture);
        String generatedKey;
        try (S3Server s3 = S3Server.start()) {
            // the test servers quiet the S3 client's loggers (S3Server.quietLogs): undo that, so they
            // log as in production; s3proxy's own (org.gaul) stay quiet, it is not the operator
            ctx.getLogger("software.amazon.awssdk").setLevel(null);
            ctx.getLogger("org.apache.hc").setLevel(null);
            Main.setLogLevel("trace");
            generatedKey = run(rig, s3, token, instance, restored);
        } finally {
            root.detachAppender(capture);
            capture.stop();
            console.forEach(root::addAppender);
            Main.setLogLevel(before == null ? "info" : before.levelStr);
            S3Server.quietLogs();
            try (LxdClient a = rig.clientA();
                    LxdClient b = rig.clientB()) {
                LxdRig.deleteQuietly(a, instance);
                LxdRig.deleteQuietly(b, restored);
            }
        }
        check(rig, captured, token, generatedKey);
    }

    /** Enrols a remote with the token, adds a second remote and a store, exports and restores; returns the generated key. */
    static String run(LxdRig rig, S3Server s3, String token, String instance, String restored) throws Exception {
        try (OperatorHarness op = new OperatorHarness().start()) {
            try (S3Client raw = s3.rawClient()) {
                raw.createBucket(b -> b.bucket(BUCKET));
            }
            KubernetesClient kube = op.kube();
            // a remote enrolled with a trust token: the operator creates the client key Secret
            kube.secrets()
                    .inNamespace(Fixtures.NS)
                    .resource(Fixtures.trustToken("logs-token", token))
                    .create();
            LxdRemote enrolled = new LxdRemote();
            enrolled.getMetadata().setName("logs-a");
            enrolled.getMetadata().setNamespace(Fixtures.NS);
            LxdRemoteSpec spec = new LxdRemoteSpec();
            spec.setUrl(rig.get("a.url"));
            spec.setClientCertificateSecretRef(new ObjectRef("logs-a-client"));
            spec.setServerCertificateFingerprint(rig.get("a.fingerprint"));
            spec.setTrustTokenSecretRef(new SecretKeyRef("logs-token", "token"));
            enrolled.setSpec(spec);
            kube.resource(enrolled).create();
            // a remote with a TLS key the user gave, and a store with credentials
            Fixtures.remote(kube, rig, "logs-b", "b", "5m");
            Fixtures.backupStore(
                    kube,
                    "logs-s3",
                    s3.endpoint(),
                    BUCKET,
                    "logs/",
                    S3Server.IDENTITY,
                    S3Server.CREDENTIAL,
                    AccessMode.READ_WRITE);
            awaitStatus(kube, LxdRemote.class, "logs-a", r -> r.getStatus().getPhase() == LxdRemotePhase.READY);
            awaitStatus(kube, LxdRemote.class, "logs-b", r -> r.getStatus().getPhase() == LxdRemotePhase.READY);
            awaitStatus(
                    kube, BackupStore.class, "logs-s3", r -> r.getStatus().getPhase() == BackupStorePhase.AVAILABLE);

            InstanceExport e = new InstanceExport();
            e.getMetadata().setName("logs-export");
            e.getMetadata().setNamespace(Fixtures.NS);
            InstanceExportSpec es = new InstanceExportSpec();
            es.setRemoteRef(new ObjectRef("logs-a"));
            es.setInstance(instance);
            es.setStoreRef(new ObjectRef("logs-s3"));
            es.setCompression(Compression.GZIP);
            e.setSpec(es);
            kube.resource(e).create();
            awaitStatus(
                    kube,
                    InstanceExport.class,
                    "logs-export",
                    x -> x.getStatus().getPhase() == InstanceExportPhase.COMPLETED);

            InstanceRestore r = new InstanceRestore();
            r.getMetadata().setName("logs-restore");
            r.getMetadata().setNamespace(Fixtures.NS);
            InstanceRestoreSpec rs = new InstanceRestoreSpec();
            rs.setRemoteRef(new ObjectRef("logs-b"));
            rs.setInstance(restored);
            RestoreSource src = new RestoreSource();
            src.setExportRef(new ObjectRef("logs-export"));
            rs.setSource(src);
            r.setSpec(rs);
            kube.resource(r).create();
            awaitStatus(
                    kube,
                    InstanceRestore.class,
                    "logs-restore",
                    x -> x.getStatus().getPhase() == InstanceRestorePhase.COMPLETED);
            Secret generated = kube.secrets()
                    .inNamespace(Fixtures.NS)
                    .withName("logs-a-client")
                    .get();
            return RemoteConnections.secretValue(generated, "tls.key");
        }
    }

    static void check(LxdRig rig, ByteArrayOutputStream captured, String token, String generatedKey) throws Exception {
        String log;
        synchronized (captured) {
            log = captured.toString(StandardCharsets.UTF_8);
        }
        // kept for a look when this fails (target/ is the build's own directory)
        java.nio.file.Files.writeString(java.nio.file.Path.of("target", "secrets-not-in-logs.log"), log);
        // the run really logged at trace, through the Kubernetes client and the operator
        assertThat(log).contains("TRACE ").contains("DEBUG io.lxdbackup.operator");
        assertThat(log.length()).isGreaterThan(50_000);

        Map<String, String> secrets = new LinkedHashMap<>();
        secrets.put("trust token", token);
        secrets.put("trust token (base64 in the Secret)", b64(token));
        secrets.put("trust token secret", TrustToken.parse(token).secret());
        secrets.put("S3 secret key", S3Server.CREDENTIAL);
        secrets.put("S3 secret key (base64 in the Secret)", b64(S3Server.CREDENTIAL));
        secrets.put("generated client key", keyBody(generatedKey));
        secrets.put("generated client key (base64 in the Secret)", middle(b64(generatedKey)));
        secrets.put("rig client key", keyBody(rig.read("client.key")));
        secrets.put("rig client key (base64 in the Secret)", middle(b64(rig.read("client.key"))));
        secrets.put("SigV4 Authorization header", "AWS4-HMAC-SHA256 Credential=");
        secrets.put("SigV4 signature", "Signature=");
        secrets.put("presigned signature", "X-Amz-Signature");
        secrets.put("Authorization header", "Authorization: ");
        List<String> found = new ArrayList<>();
        for (Map.Entry<String, String> s : secrets.entrySet()) {
            int at = log.indexOf(s.getValue());
            if (at >= 0) {
                int lineStart = log.lastIndexOf('\n', at) + 1;
                found.add(s.getKey() + " in: " + log.substring(lineStart, Math.min(log.length(), lineStart + 160)));
            }
        }
        assertThat(found).as("secrets in the log at trace").isEmpty();
    }

    static OutputStreamAppender<ILoggingEvent> capture(LoggerContext ctx, ByteArrayOutputStream out) {
        PatternLayoutEncoder enc = new PatternLayoutEncoder();
        enc.setContext(ctx);
        enc.setPattern("%level %logger - %msg %mdc%n%ex");
        enc.start();
        OutputStreamAppender<ILoggingEvent> a = new OutputStreamAppender<>();
        a.setContext(ctx);
        a.setName("secrets-capture");
        a.setEncoder(enc);
        a.setOutputStream(out);
        a.start();
        return a;
    }

    static <R extends io.fabric8.kubernetes.client.CustomResource<?, ?>> void awaitStatus(
            KubernetesClient kube, Class<R> kind, String name, Predicate<R> done) {
        await().atMost(T).pollInterval(Duration.ofMillis(500)).until(() -> {
            R r = kube.resources(kind).inNamespace(Fixtures.NS).withName(name).get();
            return r != null && r.getStatus() != null && done.test(r);
        });
    }

    /** The middle line of a PEM key's base64 body: logged PEM (also JSON-escaped) would contain it. */
    static String keyBody(String pem) {
        List<String> lines =
                pem.lines().filter(l -> !l.startsWith("-----") && !l.isBlank()).toList();
        return lines.get(lines.size() / 2).strip();
    }

    static String middle(String s) {
        return s.substring(s.length() / 2 - 24, s.length() / 2 + 24);
    }

    static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
