package io.lxdbackup.operator.testing;

import java.net.URI;
import java.nio.file.Path;
import java.util.Properties;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;

/**
 * s3proxy in-process on a random loopback port with an in-memory ("transient") blob store and
 * AWS v2/v4 authentication, i.e. a real S3 wire protocol without any network. {@link #stop()}
 * and {@link #restart()} take the endpoint away and bring it back on the same port with the same
 * objects, to test what clients do while the store is unreachable.
 */
public final class S3Server implements S3TestServer {
    public static final String IDENTITY = "lxdbackup-test";
    public static final String CREDENTIAL = "s3cr3t-Credential-9f2c1e";

    private final BlobStore blobs;
    private final Path keyStore;
    private final String password;
    private S3Proxy proxy;
    private URI endpoint;

    private S3Server(BlobStore blobs, Path keyStore, String password) {
        this.blobs = blobs;
        this.keyStore = keyStore;
        this.password = password;
    }

    public static S3Server start() throws Exception {
        return start(null, null);
    }

    /** Serves HTTPS only, with the key pair in {@code keyStore} (JKS or PKCS#12). */
    public static S3Server startTls(Path keyStore, String password) throws Exception {
        return start(keyStore, password);
    }

    private static S3Server start(Path keyStore, String password) throws Exception {
        quietLogs();
        S3Server s = new S3Server(BlobStores.create("transient", credentials()), keyStore, password);
        s.listenBelowEphemeralPorts();
        return s;
    }

    /**
     * Listens on a free port below Linux's ephemeral range (32768–60999). While the server is
     * stopped, a client connecting to a free port inside that range can be given the same number
     * as its own source port and connect to itself; the call then hangs until its socket timeout
     * instead of being refused.
     */
    private void listenBelowEphemeralPorts() throws Exception {
        java.util.concurrent.ThreadLocalRandom rnd = java.util.concurrent.ThreadLocalRandom.current();
        Exception last = null;
        for (int attempt = 0; attempt < 50; attempt++) {
            int port = 20_000 + rnd.nextInt(12_000);
            try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
                probe.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port));
            } catch (java.io.IOException taken) {
                last = taken;
                continue;
            }
            try {
                listen(port);
                return;
            } catch (Exception e) {
                last = e;
            }
        }
        throw new IllegalStateException("no free port for s3proxy below 32000", last);
    }

    /** Keeps objects as files under {@code dir} (for GiB-sized objects) and listens on {@code port} (0 = any). */
    public static S3Server startOnDisk(Path dir, int port) throws Exception {
        quietLogs();
        Properties props = credentials();
        props.setProperty("jclouds.filesystem.basedir", dir.toString());
        S3Server s = new S3Server(BlobStores.create("filesystem", props), null, null);
        s.listen(port);
        return s;
    }

    private static Properties credentials() {
        Properties props = new Properties();
        props.setProperty("jclouds.identity", IDENTITY);
        props.setProperty("jclouds.credential", CREDENTIAL);
        return props;
    }

    private synchronized void listen(int port) throws Exception {
        S3Proxy.Builder builder = S3Proxy.builder()
                .blobStore(blobs)
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, IDENTITY, CREDENTIAL);
        if (keyStore == null) {
            builder.endpoint(URI.create("http://127.0.0.1:" + port));
        } else {
            builder.secureEndpoint(URI.create("https://127.0.0.1:" + port)).keyStore(keyStore.toString(), password);
        }
        S3Proxy p = builder.build();
        p.start();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!"STARTED".equals(p.getState())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("s3proxy did not start: " + p.getState());
            }
            Thread.sleep(10);
        }
        proxy = p;
        endpoint = keyStore == null
                ? URI.create("http://127.0.0.1:" + p.getPort())
                : URI.create("https://127.0.0.1:" + p.getSecurePort());
    }

    /** Takes the endpoint away (connections refused); the objects stay for {@link #restart()}. */
    @Override
    public synchronized void stop() throws Exception {
        if (proxy != null) {
            proxy.stop();
            proxy = null;
        }
    }

    /** Serves again on the same port with the same objects. */
    @Override
    public synchronized void restart() throws Exception {
        stop();
        listen(endpoint.getPort());
    }

    @Override
    public synchronized boolean running() {
        return proxy != null;
    }

    /**
     * Without a logback config everything logs at DEBUG, and the SDK's and s3proxy's wire logs of
     * multi-MiB uploads swamp surefire's channel to the point that the fork misses its exit ack.
     */
    public static void quietLogs() {
        for (String name : new String[] {"software.amazon.awssdk", "org.apache.hc", "org.gaul", "io.opentelemetry"}) {
            org.slf4j.Logger l = org.slf4j.LoggerFactory.getLogger(name);
            if (l instanceof ch.qos.logback.classic.Logger lb) {
                lb.setLevel(ch.qos.logback.classic.Level.WARN);
            }
        }
    }

    @Override
    public S3Implementation implementation() {
        return S3Implementation.S3PROXY;
    }

    @Override
    public URI endpoint() {
        return endpoint;
    }

    @Override
    public String identity() {
        return IDENTITY;
    }

    @Override
    public String credential() {
        return CREDENTIAL;
    }

    @Override
    public boolean checksSignedPayload() {
        return true;
    }

    @Override
    public boolean keepsObjectsAcrossRestart() {
        return true;
    }

    @Override
    public void close() throws Exception {
        stop();
    }
}
