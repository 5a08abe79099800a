package io.lxdbackup.operator.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
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

  private static S3ProxyServer server;

  @TempDir
  Path tmp;

  @BeforeAll
  static void start() throws Exception {
    server = S3ProxyServer.start();
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
    Optional<Path> aws = onPath("aws");
    Optional<Path> rclone = onPath("rclone");
    Assumptions.assumeTrue(aws.isPresent() || rclone.isPresent(),
        "neither 'aws' nor 'rclone' is on PATH: install awscli or rclone (apt) to check uploads with an independent client");

    UploadResult r;
    try (S3ObjectStore store = S3ObjectStore.open(server.config(BUCKET).build())) {
      r = store.upload(KEY, new TestData(42, SIZE), -1,
          UploadOptions.defaults().withPartSize(5L * 1024 * 1024));
    }
    String expected = TestData.sha256(42, SIZE);
    assertThat(r.sha256()).isEqualTo(expected);

    System.out.println("independent client: " + aws.orElseGet(rclone::get));
    if (aws.isPresent()) {
      Map<String, String> env = awsEnv();
      JsonNode head = new ObjectMapper().readTree(run(env, null, aws.get().toString(),
          "--endpoint-url", server.endpoint().toString(), "s3api", "head-object",
          "--bucket", BUCKET, "--key", KEY, "--output", "json"));
      assertThat(head.path("ContentLength").asLong()).isEqualTo(SIZE);
      assertThat(head.path("Metadata").path("sha256").asText()).isEqualTo(expected);
      String[] streamed = new String[1];
      run(env, in -> streamed[0] = TestData.sha256(in), aws.get().toString(),
          "--endpoint-url", server.endpoint().toString(), "s3", "cp", "s3://" + BUCKET + "/" + KEY, "-");
      assertThat(streamed[0]).isEqualTo(expected);
    } else {
      Map<String, String> env = rcloneEnv();
      JsonNode list = new ObjectMapper().readTree(run(env, null, rclone.get().toString(),
          "lsjson", "--metadata", ":s3:" + BUCKET + "/" + KEY));
      assertThat(list.get(0).path("Size").asLong()).isEqualTo(SIZE);
      assertThat(list.get(0).path("Metadata").path("sha256").asText()).isEqualTo(expected);
      String[] streamed = new String[1];
      run(env, in -> streamed[0] = TestData.sha256(in), rclone.get().toString(),
          "cat", ":s3:" + BUCKET + "/" + KEY);
      assertThat(streamed[0]).isEqualTo(expected);
    }
  }

  private Map<String, String> awsEnv() throws IOException {
    Path config = tmp.resolve("aws-config");
    // path style for s3proxy; checksums only where required, as the store itself does
    Files.writeString(config, """
        [default]
        region = us-east-1
        request_checksum_calculation = when_required
        response_checksum_validation = when_required
        s3 =
            addressing_style = path
        """);
    return Map.of(
        "AWS_ACCESS_KEY_ID", S3ProxyServer.IDENTITY,
        "AWS_SECRET_ACCESS_KEY", S3ProxyServer.CREDENTIAL,
        "AWS_DEFAULT_REGION", "us-east-1",
        "AWS_CONFIG_FILE", config.toString(),
        "AWS_SHARED_CREDENTIALS_FILE", tmp.resolve("no-credentials").toString(),
        "AWS_EC2_METADATA_DISABLED", "true");
  }

  private Map<String, String> rcloneEnv() {
    return Map.of(
        "RCLONE_CONFIG", tmp.resolve("rclone.conf").toString(),
        "RCLONE_S3_PROVIDER", "Other",
        "RCLONE_S3_ACCESS_KEY_ID", S3ProxyServer.IDENTITY,
        "RCLONE_S3_SECRET_ACCESS_KEY", S3ProxyServer.CREDENTIAL,
        "RCLONE_S3_ENDPOINT", server.endpoint().toString(),
        "RCLONE_S3_REGION", "us-east-1",
        "RCLONE_S3_FORCE_PATH_STYLE", "true");
  }

  interface StdoutConsumer {
    void accept(InputStream stdout) throws IOException;
  }

  /** Runs a command; streams stdout to {@code consumer}, or returns it as text when null. */
  private static String run(Map<String, String> env, StdoutConsumer consumer, String... command)
      throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().keySet().removeIf(k -> k.startsWith("AWS_") || k.startsWith("RCLONE_"));
    pb.environment().putAll(env);
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    Process p = pb.start();
    CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> {
      try {
        return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return e.toString();
      }
    });
    String out = null;
    try (InputStream stdout = p.getInputStream()) {
      if (consumer == null) {
        out = new String(stdout.readAllBytes(), StandardCharsets.UTF_8);
      } else {
        consumer.accept(stdout);
      }
    }
    if (!p.waitFor(2, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " timed out");
    }
    if (p.exitValue() != 0) {
      throw new AssertionError(List.of(command).subList(0, 1) + " exited " + p.exitValue() + ": "
          + stderr.get());
    }
    return out;
  }

  private static Optional<Path> onPath(String name) {
    List<Path> dirs = new ArrayList<>();
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (!d.isEmpty()) {
        dirs.add(Path.of(d));
      }
    }
    return dirs.stream().map(d -> d.resolve(name)).filter(Files::isExecutable).findFirst();
  }
}
