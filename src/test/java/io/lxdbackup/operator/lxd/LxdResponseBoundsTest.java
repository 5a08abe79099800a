package io.lxdbackup.operator.lxd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lxdbackup.operator.controller.Failure;
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
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A server that answers a small JSON request with an endless or huge body (what real LXD
 * cannot be made to do): the client refuses it after a bounded read with a clear reason,
 * instead of filling the heap every tenant shares.
 */
class LxdResponseBoundsTest {

    /** Answers every request with a chunked body of '{"a":"xxxx…' that never ends (until the client hangs up). */
    static final class EndlessServer implements AutoCloseable {
        final Path dir = Files.createTempDirectory("lxd-endless");
        final ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        final AtomicLong sent = new AtomicLong();
        final Thread acceptor;

        EndlessServer(boolean announceLength) throws IOException {
            server.bind(UnixDomainSocketAddress.of(dir.resolve("unix.socket")));
            acceptor = Thread.ofVirtual().start(() -> {
                while (server.isOpen()) {
                    try (SocketChannel ch = server.accept()) {
                        BufferedReader in = new BufferedReader(
                                new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.ISO_8859_1));
                        for (String h = in.readLine(); h != null && !h.isEmpty(); h = in.readLine()) {
                            // headers
                        }
                        OutputStream out = Channels.newOutputStream(ch);
                        if (announceLength) {
                            out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                                            + (1L << 40) + "\r\nConnection: close\r\n\r\n{\"a\":\"")
                                    .getBytes(StandardCharsets.ISO_8859_1));
                        } else {
                            out.write(
                                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                                            .getBytes(StandardCharsets.ISO_8859_1));
                        }
                        byte[] chunk = "x".repeat(64 * 1024).getBytes(StandardCharsets.ISO_8859_1);
                        byte[] head =
                                (Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
                        while (true) {
                            if (!announceLength) {
                                out.write(head);
                            }
                            out.write(chunk);
                            if (!announceLength) {
                                out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
                            }
                            sent.addAndGet(chunk.length);
                        }
                    } catch (IOException e) {
                        // the client hung up: next connection
                    }
                }
            });
        }

        LxdClient client() {
            return LxdClient.create(LxdEndpoint.unix(dir.resolve("unix.socket").toString()));
        }

        @Override
        public void close() throws IOException {
            server.close();
            acceptor.interrupt();
            Files.deleteIfExists(dir.resolve("unix.socket"));
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void anEndlessAnswerIsRefusedAfterABoundedRead() throws Exception {
        try (EndlessServer s = new EndlessServer(false);
                LxdClient c = s.client()) {
            assertThatThrownBy(c::server)
                    .isInstanceOfSatisfying(
                            LxdException.ResponseTooLarge.class,
                            e -> assertThat(e.getMessage())
                                    .contains("GET /1.0")
                                    .contains("larger than " + LxdClient.MAX_RESPONSE_BYTES + " bytes"));
            // read no further than the bound (plus what was in flight in socket buffers)
            assertThat(s.sent.get()).isLessThan(LxdClient.MAX_RESPONSE_BYTES + 16L * 1024 * 1024);
            Failure f = Failure.from((LxdException) catchThrowable(c::server), "probing lxd-a");
            assertThat(f.reason()).isEqualTo("ResponseTooLarge");
            assertThat(f.getMessage()).contains("check that the remote's URL points at an LXD server");
        }
    }

    @Test
    void aHugeAnnouncedAnswerIsRefusedWithoutReadingIt() throws Exception {
        try (EndlessServer s = new EndlessServer(true);
                LxdClient c = s.client()) {
            assertThatThrownBy(c::server)
                    .isInstanceOfSatisfying(
                            LxdException.ResponseTooLarge.class,
                            e -> assertThat(e.getMessage()).contains((1L << 40) + " bytes announced"));
        }
    }

    private static Throwable catchThrowable(Runnable r) {
        try {
            r.run();
            return null;
        } catch (Throwable t) {
            return t;
        }
    }
}
