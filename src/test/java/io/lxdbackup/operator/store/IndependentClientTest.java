package io.lxdbackup.operator.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.lxdbackup.operator.testing.IndependentS3Client;
import io.lxdbackup.operator.testing.S3Server;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads what the store wrote with a client that shares none of its code: the {@code aws} CLI
 * (botocore) or, failing that, {@code rclone}. Skipped when neither is installed.
 */
class IndependentClientTest {
  private static final long SIZE = 23L * 1024 * 1024 + 4321;
  private static final String BUCKET = "independent";
  private static final String KEY = "exports/ns/lxd-a/default/web1/web1-1.tar.zst";

  private static S3Server server;

  @TempDir
  Path tmp;

  @BeforeAll
  static void start() throws Exception {
    server = S3Server.start();
    try (var raw = server.rawClient()) {
      raw.createBucket(b -> b.bucket(BUCKET));
    }
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  @Test
  void objectWrittenByTheStoreReadsBackWithTheSameSizeAndChecksum() throws Exception {
    IndependentS3Client client = IndependentS3Client.require(server.endpoint(), tmp);
    UploadResult r;
    try (S3ObjectStore store = S3ObjectStore.open(server.config(BUCKET).build())) {
      r = store.upload(KEY, new TestData(42, SIZE), -1,
          UploadOptions.defaults().withPartSize(5L * 1024 * 1024));
    }
    String expected = TestData.sha256(42, SIZE);
    assertThat(r.sha256()).isEqualTo(expected);

    System.out.println("independent client: " + client.name());
    IndependentS3Client.Head head = client.head(BUCKET, KEY).orElseThrow();
    assertThat(head.size()).isEqualTo(SIZE);
    // a multipart upload: the SHA-256 is not metadata (the caller's manifest records it); the
    // ETag the upload verified is what others see
    assertThat(head.sha256()).isNull();
    if (client.name().contains("aws")) {
      assertThat(head.etag()).isEqualTo(r.etag());
    }
    String[] streamed = new String[1];
    client.read(BUCKET, KEY, in -> streamed[0] = TestData.sha256(in));
    assertThat(streamed[0]).isEqualTo(expected);
  }
}
