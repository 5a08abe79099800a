package io.lxdbackup.operator.lxd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Deadlines against servers a real LXD cannot imitate on demand: one that trickles an answer
 * without end, one that sends the headers and then nothing, and a download that stalls. Each
 * ends as {@link LxdException.Unresponsive} after its deadline, not a hung thread.
 */
class LxdClientDeadlinesTest {
    static HttpsServer server;
    static final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    static String fingerprint;
    static Certificates.ClientIdentity client;

    @BeforeAll
    static void start() throws Exception {
        Certificates.GeneratedIdentity id = Certificates.generate("deadline-lxd");
        Certificates.ClientIdentity parsed = Certificates.parseIdentity(id.certificatePem(), id.privateKeyPem());
        fingerprint = parsed.fingerprint();
        Certificates.GeneratedIdentity c = Certificates.generate("deadline-client");
        client = Certificates.parseIdentity(c.certificatePem(), c.privateKeyPem());
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("server", parsed.key(), new char[0], parsed.chain().toArray(new Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(kmf.getKeyManagers(), null, new SecureRandom());
        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.setHttpsConfigurator(new HttpsConfigurator(ssl));
        server.setExecutor(executor);
        server.createContext("/trickle", x -> answer(x, 100));
        server.createContext("/silent", x -> answer(x, 0));
        server.createContext("/stall", x -> answer(x, 0));
        server.start();
    }

    @AfterAll
    static void stop() {
        server.stop(0);
        executor.shutdownNow();
    }

    /** Headers, then one byte every {@code everyMs} for ever (0: nothing at all). */
    static void answer(HttpExchange x, long everyMs) throws IOException {
        x.getResponseHeaders().add("Content-Type", "application/json");
        x.sendResponseHeaders(200, 0);
        try (OutputStream out = x.getResponseBody()) {
            out.flush();
            while (true) {
                Thread.sleep(everyMs > 0 ? everyMs : 1000);
                if (everyMs > 0) {
                    out.write(' ');
                    out.flush();
                }
            }
        } catch (InterruptedException | IOException e) {
            // the client gave up
        } finally {
            x.close();
        }
    }

    static LxdClient client(String path) {
        return client(path, Duration.ofSeconds(1));
    }

    static LxdClient client(String path, Duration requestTimeout) {
        LxdEndpoint e = LxdEndpoint.https(
                        "https://127.0.0.1:" + server.getAddress().getPort() + path, client, fingerprint)
                .withRequestTimeout(requestTimeout);
        return LxdClient.create(e, Duration.ofSeconds(1));
    }

    @Test
    void anAnswerTrickledWithoutEndEndsAtTheCallDeadline() {
        try (LxdClient c = client("/trickle/", Duration.ofSeconds(2))) {
            long t0 = System.nanoTime();
            assertThatThrownBy(c::refreshServer)
                    .isInstanceOf(LxdException.Unresponsive.class)
                    .hasMessageContaining("did not answer in time")
                    .hasMessageContaining("--lxd-request-timeout 2 s");
            long ms = (System.nanoTime() - t0) / 1_000_000;
            // a byte every 100 ms keeps the read deadline from firing; the whole call ends 5 s after it
            // (bounded either way; the lower bound allows a read deadline on a machine that stalls 2 s)
            assertThat(ms).isBetween(2_000L, 20_000L);
        }
    }

    @Test
    void headersThenSilenceEndAtTheReadDeadline() {
        try (LxdClient c = client("/silent/")) {
            long t0 = System.nanoTime();
            assertThatThrownBy(c::refreshServer)
                    .isInstanceOf(LxdException.Unresponsive.class)
                    .hasMessageContaining("did not answer in time")
                    .hasMessageContaining("--lxd-request-timeout 1 s");
            assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(5_000L);
        }
    }

    @Test
    void aStalledDownloadEndsAtTheStreamIdleTimeout() throws Exception {
        try (LxdClient c = client("/stall/")) {
            LxdClient.Download d = c.downloadBackup("c1", "b1");
            long t0 = System.nanoTime();
            try (InputStream in = d.stream()) {
                assertThatThrownBy(() -> in.readNBytes(1024)).satisfies(ex -> {
                    assertThat(LxdClient.unresponsive(ex)).isPresent();
                    assertThat(LxdClient.unresponsive(ex).get().getMessage())
                            .contains("sent no data for 1 s while streaming a download")
                            .contains("--lxd-stream-idle-timeout");
                });
            }
            assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(5_000L);
        }
    }
}
