package io.lxdbackup.operator.lxd;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import javax.net.SocketFactory;

/**
 * Lets OkHttp speak HTTP over LXD's local unix socket, using the JDK's own unix-domain
 * channels. OkHttp still resolves a host name, so requests go to a placeholder host and every
 * "TCP" connection is opened on the socket path instead.
 */
final class UnixSocketFactory extends SocketFactory {
    private final Path path;

    UnixSocketFactory(Path path) {
        this.path = path;
    }

    @Override
    public Socket createSocket() {
        return new UnixSocket(path);
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        Socket s = createSocket();
        s.connect(new InetSocketAddress(host, port));
        return s;
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        return createSocket(host, port);
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return createSocket(host.getHostAddress(), port);
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
            throws IOException {
        return createSocket(address, port);
    }

    private static final class UnixSocket extends Socket {
        private final Path path;
        private SocketChannel channel;
        private InputStream in;
        private OutputStream out;
        private volatile boolean closed;

        UnixSocket(Path path) {
            this.path = path;
        }

        @Override
        public void connect(SocketAddress endpoint) throws IOException {
            connect(endpoint, 0);
        }

        @Override
        public synchronized void connect(SocketAddress endpoint, int timeout) throws IOException {
            channel = SocketChannel.open(UnixDomainSocketAddress.of(path));
            in = Channels.newInputStream(channel);
            out = Channels.newOutputStream(channel);
        }

        @Override
        public boolean isConnected() {
            return channel != null && channel.isConnected();
        }

        @Override
        public InputStream getInputStream() throws IOException {
            if (in == null) {
                throw new IOException("not connected");
            }
            return in;
        }

        @Override
        public OutputStream getOutputStream() throws IOException {
            if (out == null) {
                throw new IOException("not connected");
            }
            return out;
        }

        @Override
        public boolean isClosed() {
            return closed;
        }

        @Override
        public synchronized void close() throws IOException {
            closed = true;
            if (channel != null) {
                channel.close();
            }
        }

        @Override
        public void shutdownInput() throws IOException {
            if (channel != null) {
                channel.shutdownInput();
            }
        }

        @Override
        public void shutdownOutput() throws IOException {
            if (channel != null) {
                channel.shutdownOutput();
            }
        }

        @Override
        public boolean isInputShutdown() {
            return closed;
        }

        @Override
        public boolean isOutputShutdown() {
            return closed;
        }

        @Override
        public InetAddress getInetAddress() {
            return InetAddress.getLoopbackAddress();
        }

        @Override
        public SocketAddress getRemoteSocketAddress() {
            return new InetSocketAddress(InetAddress.getLoopbackAddress(), 80);
        }

        @Override
        public SocketAddress getLocalSocketAddress() {
            return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        }

        @Override
        public int getLocalPort() {
            return 0;
        }

        @Override
        public int getPort() {
            return 80;
        }

        // Timeouts are enforced by OkHttp's own watchdog (it closes the socket); the channel
        // streams cannot honour SO_TIMEOUT, so the setter only records the value (which is why
        // LxdClient keeps no idle unix-socket connections: OkHttp's health check of one relies on it).
        private int soTimeout;

        @Override
        public void setSoTimeout(int timeout) {
            soTimeout = timeout;
        }

        @Override
        public int getSoTimeout() {
            return soTimeout;
        }

        @Override
        public void setTcpNoDelay(boolean on) {}

        @Override
        public void setKeepAlive(boolean on) {}
    }
}
