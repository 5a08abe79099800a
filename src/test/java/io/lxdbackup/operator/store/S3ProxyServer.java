package io.lxdbackup.operator.store;

import java.net.URI;
import java.nio.file.Path;
import java.util.Properties;
import java.util.function.Consumer;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * s3proxy in-process on a random loopback port with an in-memory ("transient") blob store and
 * AWS v2/v4 authentication, i.e. a real S3 wire protocol without any network.
 */
public final class S3ProxyServer implements AutoCloseable {
  public static final String IDENTITY = "lxdbackup-test";
  public static final String CREDENTIAL = "s3cr3t-Credential-9f2c1e";

  private final S3Proxy proxy;
  private final URI endpoint;

  private S3ProxyServer(S3Proxy proxy, URI endpoint) {
    this.proxy = proxy;
    this.endpoint = endpoint;
  }

  public static S3ProxyServer start() throws Exception {
    return start(null, null);
  }

  /** Serves HTTPS only, with the key pair in {@code keyStore} (JKS or PKCS#12). */
  static S3ProxyServer startTls(Path keyStore, String password) throws Exception {
    return start(keyStore, password);
  }

  private static S3ProxyServer start(Path keyStore, String password) throws Exception {
    quietLogs();
    Properties props = new Properties();
    props.setProperty("jclouds.identity", IDENTITY);
    props.setProperty("jclouds.credential", CREDENTIAL);
    BlobStore blobs = BlobStores.create("transient", props);
    S3Proxy.Builder builder = S3Proxy.builder()
        .blobStore(blobs)
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, IDENTITY, CREDENTIAL);
    if (keyStore == null) {
      builder.endpoint(URI.create("http://127.0.0.1:0"));
    } else {
      builder.secureEndpoint(URI.create("https://127.0.0.1:0")).keyStore(keyStore.toString(), password);
    }
    S3Proxy proxy = builder.build();
    proxy.start();
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!"STARTED".equals(proxy.getState())) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("s3proxy did not start: " + proxy.getState());
      }
      Thread.sleep(10);
    }
    return new S3ProxyServer(proxy, keyStore == null
        ? URI.create("http://127.0.0.1:" + proxy.getPort())
        : URI.create("https://127.0.0.1:" + proxy.getSecurePort()));
  }

  /**
   * Without a logback config everything logs at DEBUG, and the SDK's and s3proxy's wire logs of
   * multi-MiB uploads swamp surefire's channel to the point that the fork misses its exit ack.
   */
  static void quietLogs() {
    for (String name : new String[] {"software.amazon.awssdk", "org.apache.hc", "org.gaul",
        "io.opentelemetry"}) {
      org.slf4j.Logger l = org.slf4j.LoggerFactory.getLogger(name);
      if (l instanceof ch.qos.logback.classic.Logger lb) {
        lb.setLevel(ch.qos.logback.classic.Level.WARN);
      }
    }
  }

  public URI endpoint() {
    return endpoint;
  }

  public StoreConfig.Builder config(String bucket) {
    return StoreConfig.builder(bucket)
        .endpoint(endpoint)
        .region("us-east-1")
        .forcePathStyle(true)
        .credentials(IDENTITY, CREDENTIAL, null);
  }

  /** A plain client of the same kind the store uses, for checks independent of the store's code paths. */
  public S3Client rawClient() {
    return S3ObjectStore.buildClient(config("unused").build(), o -> {});
  }

  S3Client client(StoreConfig config, Consumer<ClientOverrideConfiguration.Builder> overrides) {
    return S3ObjectStore.buildClient(config, overrides);
  }

  @Override
  public void close() throws Exception {
    proxy.stop();
  }
}
