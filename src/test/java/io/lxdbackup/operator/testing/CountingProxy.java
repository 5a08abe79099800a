package io.lxdbackup.operator.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP forwarder on 127.0.0.1 that counts the bytes it carries, both ways. TLS passes through
 * untouched (LXD pins certificates, not host names), so an {@code LxdRemote} whose URL points
 * here reaches the real daemon, and every byte of a migration that dials this URL is counted:
 * an independent measure of what a copy moved over the network.
 */
public final class CountingProxy implements AutoCloseable {
    private final ServerSocket server;
    private final InetSocketAddress upstream;
    private final AtomicLong toUpstream = new AtomicLong();
    private final AtomicLong fromUpstream = new AtomicLong();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile boolean closed;
    private volatile long upstreamBytesPerSecond;

    public CountingProxy(String upstreamHost, int upstreamPort) throws IOException {
        this.upstream = new InetSocketAddress(upstreamHost, upstreamPort);
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accept = new Thread(this::accept, "counting-proxy-" + port());
        accept.setDaemon(true);
        accept.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    /**
     * Slows what goes upstream to about {@code bytesPerSecond} (0: no limit), so a transfer through
     * the proxy lasts long enough to be interrupted on purpose.
     */
    public CountingProxy throttleUpstream(long bytesPerSecond) {
        this.upstreamBytesPerSecond = bytesPerSecond;
        return this;
    }

    /** Bytes carried in both directions since the start. */
    public long bytes() {
        return toUpstream.get() + fromUpstream.get();
    }

    private void accept() {
        while (!closed) {
            try {
                Socket in = server.accept();
                Socket out = new Socket();
                out.connect(upstream, 5000);
                sockets.add(in);
                sockets.add(out);
                pump(in, out, toUpstream, true);
                pump(out, in, fromUpstream, false);
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private void pump(Socket from, Socket to, AtomicLong counter, boolean upstream) {
        Thread t = new Thread(
                () -> {
                    byte[] buf = new byte[1 << 16];
                    try (InputStream in = from.getInputStream();
                            OutputStream out = to.getOutputStream()) {
                        int n;
                        while ((n = in.read(buf, 0, upstream && upstreamBytesPerSecond > 0 ? 1 << 14 : buf.length))
                                > 0) {
                            out.write(buf, 0, n);
                            counter.addAndGet(n);
                            long rate = upstream ? upstreamBytesPerSecond : 0;
                            if (rate > 0) {
                                Thread.sleep(Math.max(1, n * 1000L / rate));
                            }
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } catch (IOException e) {
                        // the other side closed
                    } finally {
                        closeQuietly(from);
                        closeQuietly(to);
                    }
                },
                "counting-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        sockets.forEach(CountingProxy::closeQuietly);
    }
}
