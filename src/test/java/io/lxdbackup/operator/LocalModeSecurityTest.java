package io.lxdbackup.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.lxdbackup.operator.api.v1alpha1.LxdRemote;
import io.lxdbackup.operator.api.v1alpha1.LxdRemoteSpec;
import io.lxdbackup.operator.config.OperatorSettings;
import io.lxdbackup.operator.local.InMemoryApiServer;
import io.lxdbackup.operator.lxd.Certificates;
import java.io.ByteArrayOutputStream;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Local mode: the in-memory API answers only requests with the random bearer token of the written
 * kubeconfig (0600), which is never logged; health and metrics listen on the loopback address only
 * (as the banner says); and the in-memory API server does not log every request.
 */
class LocalModeSecurityTest {
    static final HttpClient HTTP = HttpClient.newHttpClient();

    /** HTTPS clients by port, each trusting only that server's certificate (as the kubeconfig pins it). */
    static final Map<Integer, HttpClient> TRUSTING = new ConcurrentHashMap<>();

    static LocalMode.Session start(Path dir) throws Exception {
        Path kubeconfig = dir.resolve("kubeconfig");
        OperatorSettings settings = OperatorSettings.from(new String[0], java.util.Map.of(), false);
        settings = new OperatorSettings(settings.namespaces(), false, null, 0, "info");
        LocalMode.Session s =
                LocalMode.start(new String[] {"--api-port=0", "--kubeconfig=" + kubeconfig, "--lxd-socket="}, settings);
        trust(s.api());
        return s;
    }

    static void trust(InMemoryApiServer api) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("api", Certificates.parseCertificate(api.certificatePem(), "the API's certificate"));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        TRUSTING.put(api.port(), HttpClient.newBuilder().sslContext(ctx).build());
    }

    static HttpClient clientFor(URI uri) {
        return uri.getScheme().equals("https") ? TRUSTING.get(uri.getPort()) : HTTP;
    }

    static int get(String url, String authorization) throws Exception {
        return send(url, authorization).statusCode();
    }

    static HttpResponse<String> send(String url, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return clientFor(URI.create(url)).send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theApiAnswersOnlyRequestsWithTheKubeconfigsToken() throws Exception {
        try (LocalMode.Session s = start(Files.createTempDirectory("local-sec"))) {
            String token = s.api().token();
            assertThat(Base64.getUrlDecoder().decode(token))
                    .as("32 random bytes")
                    .hasSize(32);
            String kubeconfig = Files.readString(s.kubeconfig());
            assertThat(kubeconfig).contains("token: " + token + "\n");
            assertThat(Files.getPosixFilePermissions(s.kubeconfig()))
                    .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

            assertThat(s.api().url()).startsWith("https://127.0.0.1:");
            assertThat(kubeconfig).contains("server: " + s.api().url() + "\n");
            String secrets = s.api().url() + "/api/v1/namespaces/default/secrets";
            // the stores, the canned discovery and version answers, and watches alike; on the HTTPS
            // server kubectl uses and on the plain-HTTP one behind it
            List<String> urls = new ArrayList<>();
            for (String base : List.of(s.api().url(), s.api().backendUrl())) {
                urls.addAll(List.of(
                        base + "/api/v1/namespaces/default/secrets",
                        base + "/apis/lxdbackup.io/v1alpha1/namespaces/default/lxdremotes",
                        base + "/apis/lxdbackup.io/v1alpha1/lxdremotes?watch=true",
                        base + "/api",
                        base + "/apis",
                        base + "/version"));
            }
            for (String url : urls) {
                for (String wrong : Arrays.asList(
                        null,
                        "Bearer ",
                        "Bearer local",
                        "Bearer " + token.substring(1),
                        "Bearer " + token + "x",
                        "Basic " + Base64.getEncoder().encodeToString(("local:" + token).getBytes()),
                        token)) {
                    HttpResponse<String> r = send(url, wrong);
                    assertThat(r.statusCode()).as("%s with %s", url, wrong).isEqualTo(401);
                    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
                    Status status = Serialization.unmarshal(r.body(), Status.class);
                    assertThat(status.getKind()).isEqualTo("Status");
                    assertThat(status.getStatus()).isEqualTo("Failure");
                    assertThat(status.getReason()).isEqualTo("Unauthorized");
                    assertThat(status.getCode()).isEqualTo(401);
                }
            }
            // nothing was written without the token
            HttpRequest create = HttpRequest.newBuilder(URI.create(secrets))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"planted\"}}"))
                    .build();
            assertThat(clientFor(create.uri())
                            .send(create, HttpResponse.BodyHandlers.discarding())
                            .statusCode())
                    .isEqualTo(401);
            assertThat(s.client()
                            .secrets()
                            .inNamespace("default")
                            .withName("planted")
                            .get())
                    .isNull();

            // with it (the scheme is case-insensitive, as in RFC 7235)
            assertThat(get(secrets, "Bearer " + token)).isEqualTo(200);
            assertThat(get(s.api().backendUrl() + "/api/v1/namespaces/default/secrets", "Bearer " + token))
                    .isEqualTo(200);
            assertThat(get(secrets, "bearer " + token)).isEqualTo(200);
            assertThat(get(s.api().url() + "/version", "Bearer " + token)).isEqualTo(200);
            // the operator's own client sends it: it reconciles (a remote whose socket is missing
            // gets a status) and its writes land
            LxdRemote remote = new LxdRemote();
            remote.getMetadata().setName("nowhere");
            remote.getMetadata().setNamespace("default");
            LxdRemoteSpec spec = new LxdRemoteSpec();
            spec.setUrl("unix:///nonexistent/lxd.socket");
            remote.setSpec(spec);
            s.client().resource(remote).create();
            await().atMost(Duration.ofMinutes(1)).until(() -> {
                LxdRemote r = s.client()
                        .resources(LxdRemote.class)
                        .inNamespace("default")
                        .withName("nowhere")
                        .get();
                return r.getStatus() != null && r.getStatus().getPhase() != null;
            });
            // a second server has a token of its own
            try (InMemoryApiServer other = new InMemoryApiServer(0)) {
                trust(other);
                assertThat(other.token()).isNotEqualTo(token);
                assertThat(other.certificatePem()).isNotEqualTo(s.api().certificatePem());
                assertThat(get(other.url() + "/api/v1/namespaces/default/secrets", "Bearer " + token))
                        .isEqualTo(401);
            }
        }
    }

    @Test
    void theTokenIsNotLogged() throws Exception {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        ch.qos.logback.classic.Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ch.qos.logback.classic.Level before = root.getLevel();
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        OutputStreamAppender<ILoggingEvent> capture = SecretsNotInLogsLxdTest.capture(ctx, captured);
        List<Appender<ILoggingEvent>> console = new ArrayList<>();
        root.iteratorForAppenders().forEachRemaining(console::add);
        console.forEach(root::detachAppender); // trace on the console would flood the build log
        root.addAppender(capture);
        // the in-memory server logs through java.util.logging: its request lines are asked for too
        java.util.logging.Logger julRoot = java.util.logging.Logger.getLogger("");
        StringBuilder jul = new StringBuilder();
        Handler julCapture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                synchronized (jul) {
                    jul.append(r.getLoggerName())
                            .append(' ')
                            .append(new java.util.logging.SimpleFormatter().formatMessage(r))
                            .append('\n');
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        julRoot.addHandler(julCapture);
        String token;
        String banner;
        try {
            Main.setLogLevel("trace");
            Path kubeconfig = Files.createTempDirectory("local-sec").resolve("kubeconfig");
            OperatorSettings settings = new OperatorSettings(
                    OperatorSettings.from(new String[0], java.util.Map.of(), false)
                            .namespaces(),
                    false,
                    null,
                    0,
                    "trace");
            try (LocalMode.Session s = LocalMode.start(
                    new String[] {
                        "--api-port=0", "--kubeconfig=" + kubeconfig, "--lxd-socket=", "--log-api-requests=true"
                    },
                    settings)) {
                trust(s.api());
                token = s.api().token();
                banner = s.banner();
                LxdRemote remote = new LxdRemote();
                remote.getMetadata().setName("nowhere");
                remote.getMetadata().setNamespace("default");
                LxdRemoteSpec spec = new LxdRemoteSpec();
                spec.setUrl("unix:///nonexistent/lxd.socket");
                remote.setSpec(spec);
                s.client().resource(remote).create();
                await().atMost(Duration.ofMinutes(1))
                        .until(() -> s.client()
                                        .resources(LxdRemote.class)
                                        .inNamespace("default")
                                        .withName("nowhere")
                                        .get()
                                        .getStatus()
                                != null);
                get(s.api().url() + "/api/v1/namespaces/default/secrets", "Bearer " + token);
                get(s.api().url() + "/api/v1/namespaces/default/secrets", "Bearer wrong");
            }
        } finally {
            InMemoryApiServer.logRequests(false);
            julRoot.removeHandler(julCapture);
            root.detachAppender(capture);
            capture.stop();
            console.forEach(root::addAppender);
            Main.setLogLevel(before == null ? "info" : before.levelStr);
        }
        String log = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
        String requests;
        synchronized (jul) {
            requests = jul.toString();
        }
        // the captures saw the operator at work and the requests: the checks below can fail
        assertThat(log).contains("nowhere");
        assertThat(log.lines().count()).isGreaterThan(20);
        assertThat(requests).contains("received request", "/api/v1/namespaces/default/secrets");
        assertThat(log).doesNotContain(token);
        assertThat(requests).doesNotContain(token);
        assertThat(banner).doesNotContain(token);
    }

    @Test
    void healthAndMetricsListenOnTheLoopbackAddressOnly() throws Exception {
        InetAddress outside = nonLoopbackAddress();
        assertThat(outside)
                .as("this machine has a non-loopback IPv4 address to try")
                .isNotNull();
        try (LocalMode.Session s = start(Files.createTempDirectory("local-sec"))) {
            int port = s.runtime().httpPort();
            assertThat(s.runtime().httpAddress().isLoopbackAddress()).isTrue();
            assertThat(get("http://127.0.0.1:" + port + "/healthz", null)).isEqualTo(200);
            assertThat(get("http://127.0.0.1:" + port + "/metrics", null)).isEqualTo(200);
            assertThatThrownBy(() -> {
                        try (Socket socket = new Socket()) {
                            socket.connect(new InetSocketAddress(outside, port), 2000);
                        }
                    })
                    .as("port %d on %s", port, outside)
                    .isInstanceOf(ConnectException.class);
            // the banner says where
            assertThat(s.banner()).contains("http://127.0.0.1:" + port + "/metrics");
        }
    }

    @Test
    void theApiServerDoesNotLogEveryRequest() throws Exception {
        java.util.logging.Logger requests =
                java.util.logging.Logger.getLogger("io.fabric8.mockwebserver.MockWebServer");
        List<LogRecord> records = Collections.synchronizedList(new ArrayList<>());
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (requests.isLoggable(r.getLevel())) {
                    records.add(r);
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        requests.addHandler(h);
        try (LocalMode.Session s = start(Files.createTempDirectory("local-sec"))) {
            String auth = "Bearer " + s.api().token();
            for (int i = 0; i < 5; i++) {
                assertThat(get(s.api().url() + "/api/v1/namespaces/default/secrets", auth))
                        .isEqualTo(200);
            }
            assertThat(records).as("per-request lines by default").isEmpty();
            // the same handler sees them when they are asked for: the check above can fail
            InMemoryApiServer.logRequests(true);
            get(s.api().url() + "/api/v1/namespaces/default/secrets", auth);
            assertThat(records).isNotEmpty();
        } finally {
            InMemoryApiServer.logRequests(false);
            requests.removeHandler(h);
        }
    }

    static InetAddress nonLoopbackAddress() throws Exception {
        for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!ni.isUp() || ni.isLoopback()) {
                continue;
            }
            for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
                    return a;
                }
            }
        }
        return null;
    }
}
