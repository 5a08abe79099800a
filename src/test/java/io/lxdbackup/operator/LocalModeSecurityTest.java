package io.lxdbackup.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lxdbackup.operator.config.OperatorSettings;
import io.lxdbackup.operator.local.InMemoryApiServer;
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
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

/**
 * Local mode: health and metrics listen on the loopback address only (as the banner says), and
 * the in-memory API server does not log every request.
 */
class LocalModeSecurityTest {
    static final HttpClient HTTP = HttpClient.newHttpClient();

    static LocalMode.Session start(Path dir) throws Exception {
        Path kubeconfig = dir.resolve("kubeconfig");
        OperatorSettings settings = OperatorSettings.from(new String[0], java.util.Map.of(), false);
        settings = new OperatorSettings(settings.namespaces(), false, null, 0, "info");
        return LocalMode.start(new String[] {"--api-port=0", "--kubeconfig=" + kubeconfig, "--lxd-socket="}, settings);
    }

    static int get(String url, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
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
            for (int i = 0; i < 5; i++) {
                assertThat(get(s.api().url() + "/api/v1/namespaces/default/secrets", null))
                        .isEqualTo(200);
            }
            assertThat(records).as("per-request lines by default").isEmpty();
            // the same handler sees them when they are asked for: the check above can fail
            InMemoryApiServer.logRequests(true);
            get(s.api().url() + "/api/v1/namespaces/default/secrets", null);
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
