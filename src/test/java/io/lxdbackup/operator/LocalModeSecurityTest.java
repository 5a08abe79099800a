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
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Local mode serves the operator, which may hold the root-equivalent LXD socket, to whoever
 * reaches its API: only requests with the kubeconfig's random token are answered, health and
 * metrics listen on the loopback address, and the API server does not log every request.
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
  void theApiAnswersOnlyRequestsWithTheKubeconfigsToken() throws Exception {
    Path dir = Files.createTempDirectory("local-sec");
    String first;
    try (LocalMode.Session s = start(dir)) {
      String kubeconfig = Files.readString(s.kubeconfig());
      Matcher m = Pattern.compile("token: (\\S+)").matcher(kubeconfig);
      assertThat(m.find()).isTrue();
      String token = m.group(1);
      first = token;
      assertThat(token).hasSizeGreaterThanOrEqualTo(40).isNotEqualTo("local");
      assertThat(Files.getPosixFilePermissions(s.kubeconfig())).isEqualTo(PosixFilePermissions.fromString("rw-------"));

      String secrets = s.api().url() + "/api/v1/namespaces/default/secrets";
      String remotes = s.api().url() + "/apis/lxdbackup.io/v1alpha1/namespaces/default/lxdremotes";
      for (String url : List.of(secrets, remotes, s.api().url() + "/version", s.api().url() + "/apis")) {
        assertThat(get(url, null)).as("no token: %s", url).isEqualTo(401);
        assertThat(get(url, "Bearer local")).as("the old fixed token: %s", url).isEqualTo(401);
        assertThat(get(url, "Bearer " + token + "x")).as("a wrong token: %s", url).isEqualTo(401);
        assertThat(get(url, "Basic " + token)).as("not a bearer token: %s", url).isEqualTo(401);
        assertThat(get(url, "Bearer " + token)).as("the token: %s", url).isEqualTo(200);
      }
      // a write without the token changes nothing
      HttpRequest post = HttpRequest.newBuilder(URI.create(remotes)).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"apiVersion\":\"lxdbackup.io/v1alpha1\",\"kind\":\"LxdRemote\","
              + "\"metadata\":{\"name\":\"intruder\",\"namespace\":\"default\"},\"spec\":{\"url\":\"unix:///x\"}}")).build();
      assertThat(HTTP.send(post, HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(401);
      assertThat(s.client().resources(io.lxdbackup.operator.api.v1alpha1.LxdRemote.class).inNamespace("default")
          .withName("intruder").get()).isNull();
      // the operator's own client (it has the token) works: it started and its informers are healthy
      assertThat(get("http://127.0.0.1:" + s.runtime().httpPort() + "/readyz", null)).isEqualTo(200);
    }
    // a second start has another token
    try (LocalMode.Session s1 = start(dir)) {
      assertThat(s1.api().token()).isNotEqualTo(first);
      assertThat(Files.readString(s1.kubeconfig())).contains("token: " + s1.api().token());
    }
  }

  @Test
  void healthAndMetricsListenOnTheLoopbackAddressOnly() throws Exception {
    InetAddress outside = nonLoopbackAddress();
    assertThat(outside).as("this machine has a non-loopback IPv4 address to try").isNotNull();
    try (LocalMode.Session s = start(Files.createTempDirectory("local-sec"))) {
      int port = s.runtime().httpPort();
      assertThat(s.runtime().httpAddress().isLoopbackAddress()).isTrue();
      assertThat(get("http://127.0.0.1:" + port + "/healthz", null)).isEqualTo(200);
      assertThat(get("http://127.0.0.1:" + port + "/metrics", null)).isEqualTo(200);
      assertThatThrownBy(() -> {
        try (Socket socket = new Socket()) {
          socket.connect(new InetSocketAddress(outside, port), 2000);
        }
      }).as("port %d on %s", port, outside).isInstanceOf(ConnectException.class);
      // the banner says where
      assertThat(s.banner()).contains("http://127.0.0.1:" + port + "/metrics");
    }
  }

  @Test
  void theApiServerDoesNotLogEveryRequest() throws Exception {
    java.util.logging.Logger requests = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver.MockWebServer");
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
      String token = s.api().token();
      for (int i = 0; i < 5; i++) {
        assertThat(get(s.api().url() + "/api/v1/namespaces/default/secrets", "Bearer " + token)).isEqualTo(200);
      }
      assertThat(records).as("per-request lines by default").isEmpty();
      // the same handler sees them when they are asked for: the check above can fail
      InMemoryApiServer.logRequests(true);
      get(s.api().url() + "/api/v1/namespaces/default/secrets", "Bearer " + token);
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
