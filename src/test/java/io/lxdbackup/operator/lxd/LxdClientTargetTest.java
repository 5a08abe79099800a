package io.lxdbackup.operator.lxd;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A client bound to a cluster member sends {@code target=} (and its project) on every request.
 * The server is a stand-in on a unix socket that records the request lines it receives: no
 * clustered LXD is available to test against, and what matters here is what the client sends.
 */
class LxdClientTargetTest {
  Path dir;
  ServerSocketChannel server;
  Thread acceptor;
  final List<String> requestLines = new CopyOnWriteArrayList<>();

  @BeforeEach
  void startRecorder() throws IOException {
    dir = Files.createTempDirectory("lxd-target");
    Path sock = dir.resolve("unix.socket");
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(sock));
    acceptor = Thread.ofVirtual().start(() -> {
      while (server.isOpen()) {
        try (SocketChannel ch = server.accept()) {
          answer(ch);
        } catch (IOException e) {
          return;
        }
      }
    });
  }

  /** Records the request line and answers with an empty LXD sync response, closing the connection. */
  void answer(SocketChannel ch) throws IOException {
    BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.ISO_8859_1));
    String line = in.readLine();
    requestLines.add(line);
    int length = 0;
    for (String h = in.readLine(); h != null && !h.isEmpty(); h = in.readLine()) {
      if (h.toLowerCase().startsWith("content-length:")) {
        length = Integer.parseInt(h.substring(15).trim());
      }
    }
    in.skip(length);
    String path = line.split(" ")[1];
    String metadata = path.contains("recursion=1") ? "[]" : "{}";
    byte[] body = ("{\"type\":\"sync\",\"status\":\"Success\",\"status_code\":200,\"metadata\":" + metadata + "}")
        .getBytes(StandardCharsets.UTF_8);
    OutputStream out = Channels.newOutputStream(ch);
    out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length
        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
    out.write(body);
    out.flush();
  }

  @AfterEach
  void stop() throws IOException {
    server.close();
    acceptor.interrupt();
    Files.deleteIfExists(dir.resolve("unix.socket"));
    Files.deleteIfExists(dir);
  }

  @Test
  void everyRequestOfATargetViewCarriesTargetAndProject() {
    try (LxdClient root = LxdClient.create(LxdEndpoint.unix(dir.resolve("unix.socket").toString()))) {
      LxdClient member = root.inProject("p1").onTarget("member-2");
      member.listInstances();
      member.getInstance("c1");
      member.listSnapshots("c1");
      member.getSnapshot("c1", "s1");
      member.listBackups("c1");
      member.deleteInstance("c1");
      member.listOperations();
      root.listInstances();
    }
    assertThat(requestLines).hasSize(8);
    for (String line : requestLines.subList(0, 7)) {
      HttpUrl u = HttpUrl.get("http://lxd" + line.split(" ")[1]);
      assertThat(u.queryParameter("target")).as(line).isEqualTo("member-2");
      assertThat(u.queryParameter("project")).as(line).isEqualTo("p1");
    }
    assertThat(requestLines.get(1)).startsWith("GET /1.0/instances/c1?");
    assertThat(requestLines.get(5)).startsWith("DELETE /1.0/instances/c1?");
    // the view does not change the client it came from
    assertThat(requestLines.get(7)).isEqualTo("GET /1.0/instances?recursion=1 HTTP/1.1");
  }

  @Test
  void targetAndProjectAreEncodedAsQueryParameters() {
    try (LxdClient c = LxdClient.create(LxdEndpoint.unix(dir.resolve("unix.socket").toString()))
        .onTarget("node a&b=c")) {
      HttpUrl u = c.url("1.0", "instances", "x y");
      assertThat(u.encodedPath()).isEqualTo("/1.0/instances/x%20y");
      assertThat(u.queryParameter("target")).isEqualTo("node a&b=c");
      assertThat(u.queryParameter("project")).isNull();
    }
  }
}
