package io.lxdbackup.operator.lxd;

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
import java.util.function.Function;

/**
 * A stand-in for LXD on a unix socket that records each request line and answers from a
 * function of it, one request per connection. For what real LXD cannot be made to do (be a
 * cluster member, lack an endpoint); everything else is tested against the rig.
 */
final class RecordingLxdServer implements AutoCloseable {
    /** One answer: HTTP status and JSON body. */
    record Answer(int status, String json) {
        static Answer sync(String metadata) {
            return new Answer(
                    200,
                    "{\"type\":\"sync\",\"status\":\"Success\",\"status_code\":200,\"metadata\":" + metadata + "}");
        }

        static Answer error(int code, String message) {
            return new Answer(code, "{\"type\":\"error\",\"error_code\":" + code + ",\"error\":\"" + message + "\"}");
        }
    }

    final List<String> requestLines = new CopyOnWriteArrayList<>();
    /** The body of each request, in the order of {@link #requestLines} (empty when none). */
    final List<String> requestBodies = new CopyOnWriteArrayList<>();

    private final Path dir;
    private final ServerSocketChannel server;
    private final Thread acceptor;

    RecordingLxdServer(Function<String, Answer> answers) throws IOException {
        dir = Files.createTempDirectory("lxd-stand-in");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket()));
        acceptor = Thread.ofVirtual().start(() -> {
            while (server.isOpen()) {
                try (SocketChannel ch = server.accept()) {
                    answer(ch, answers);
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    Path socket() {
        return dir.resolve("unix.socket");
    }

    LxdClient client() {
        return LxdClient.create(LxdEndpoint.unix(socket().toString()));
    }

    private void answer(SocketChannel ch, Function<String, Answer> answers) throws IOException {
        BufferedReader in =
                new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.ISO_8859_1));
        String line = in.readLine();
        if (line == null) {
            return;
        }
        requestLines.add(line);
        int length = 0;
        for (String h = in.readLine(); h != null && !h.isEmpty(); h = in.readLine()) {
            if (h.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(h.substring(15).trim());
            }
        }
        char[] body0 = new char[length];
        for (int off = 0; off < length; ) {
            int r = in.read(body0, off, length - off);
            if (r < 0) {
                break;
            }
            off += r;
        }
        requestBodies.add(new String(body0));
        Answer a = answers.apply(line);
        byte[] body = a.json().getBytes(StandardCharsets.UTF_8);
        OutputStream out = Channels.newOutputStream(ch);
        out.write(("HTTP/1.1 " + a.status() + " X\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                        + "\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
    }

    @Override
    public void close() throws IOException {
        server.close();
        acceptor.interrupt();
        Files.deleteIfExists(socket());
        Files.deleteIfExists(dir);
    }
}
