package io.lxdbackup.operator.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Reads a bucket with a client that shares none of the operator's code: the {@code aws} CLI
 * (botocore) or, failing that, {@code rclone}. {@link #require} skips the calling test when
 * neither is installed.
 */
public final class IndependentS3Client {
    private final Path aws;
    private final Path rclone;
    private final URI endpoint;
    private final Path tmp;
    private final String identity;
    private final String credential;

    /**
     * What the client sees of one object; {@code sha256} from the object's user metadata,
     * {@code etag} unquoted.
     */
    public record Head(long size, String sha256, String etag) {}

    private IndependentS3Client(Path aws, Path rclone, URI endpoint, Path tmp, String identity, String credential) {
        this.aws = aws;
        this.rclone = rclone;
        this.endpoint = endpoint;
        this.tmp = tmp;
        this.identity = identity;
        this.credential = credential;
    }

    public static IndependentS3Client require(URI endpoint, Path tmp) {
        return require(endpoint, tmp, S3Server.IDENTITY, S3Server.CREDENTIAL);
    }

    public static IndependentS3Client require(URI endpoint, Path tmp, String identity, String credential) {
        Optional<Path> aws = onPath("aws");
        Optional<Path> rclone = onPath("rclone");
        Assumptions.assumeTrue(
                aws.isPresent() || rclone.isPresent(),
                "neither 'aws' nor 'rclone' is on PATH: install awscli or rclone (apt) to check uploads with an independent client");
        return new IndependentS3Client(aws.orElse(null), rclone.orElse(null), endpoint, tmp, identity, credential);
    }

    public String name() {
        return aws != null ? aws.toString() : rclone.toString();
    }

    /** Size and sha256 metadata of an object, or empty when it does not exist. */
    public Optional<Head> head(String bucket, String key) throws Exception {
        if (aws != null) {
            Result r = run(
                    awsEnv(),
                    null,
                    aws.toString(),
                    "--endpoint-url",
                    endpoint.toString(),
                    "s3api",
                    "head-object",
                    "--bucket",
                    bucket,
                    "--key",
                    key,
                    "--output",
                    "json");
            if (r.exit != 0) {
                if (r.stderr.contains("404") || r.stderr.contains("Not Found") || r.stderr.contains("NoSuchKey")) {
                    return Optional.empty();
                }
                throw new AssertionError("aws head-object exited " + r.exit + ": " + r.stderr);
            }
            JsonNode head = new ObjectMapper().readTree(r.stdout);
            return Optional.of(new Head(
                    head.path("ContentLength").asLong(),
                    head.path("Metadata").path("sha256").asText(null),
                    head.path("ETag").asText("").replace("\"", "")));
        }
        Result r = run(rcloneEnv(), null, rclone.toString(), "lsjson", "--metadata", ":s3:" + bucket + "/" + key);
        JsonNode list = new ObjectMapper().readTree(r.stdout.isBlank() ? "[]" : r.stdout);
        if (r.exit != 0 || list.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Head(
                list.get(0).path("Size").asLong(),
                list.get(0).path("Metadata").path("sha256").asText(null),
                list.get(0).path("Hashes").path("md5").asText(null)));
    }

    /** Every key under {@code prefix}. */
    public List<String> list(String bucket, String prefix) throws Exception {
        List<String> keys = new ArrayList<>();
        if (aws != null) {
            Result r = run(
                    awsEnv(),
                    null,
                    aws.toString(),
                    "--endpoint-url",
                    endpoint.toString(),
                    "s3api",
                    "list-objects-v2",
                    "--bucket",
                    bucket,
                    "--prefix",
                    prefix,
                    "--output",
                    "json");
            check(r, "aws list-objects-v2");
            if (!r.stdout.isBlank()) {
                new ObjectMapper()
                        .readTree(r.stdout)
                        .path("Contents")
                        .forEach(n -> keys.add(n.path("Key").asText()));
            }
            return keys;
        }
        Result r = run(
                rcloneEnv(), null, rclone.toString(), "lsjson", "-R", "--files-only", ":s3:" + bucket + "/" + prefix);
        check(r, "rclone lsjson");
        new ObjectMapper()
                .readTree(r.stdout)
                .forEach(n -> keys.add(prefix + n.path("Path").asText()));
        return keys;
    }

    /** Multipart uploads in progress under {@code prefix} (aws only; rclone cannot list them). */
    public Optional<Integer> multipartUploads(String bucket, String prefix) throws Exception {
        if (aws == null) {
            return Optional.empty();
        }
        Result r = run(
                awsEnv(),
                null,
                aws.toString(),
                "--endpoint-url",
                endpoint.toString(),
                "s3api",
                "list-multipart-uploads",
                "--bucket",
                bucket,
                "--prefix",
                prefix,
                "--output",
                "json");
        check(r, "aws list-multipart-uploads");
        return Optional.of(
                r.stdout.isBlank()
                        ? 0
                        : new ObjectMapper().readTree(r.stdout).path("Uploads").size());
    }

    /** Streams the object's bytes to {@code consumer}. */
    public void read(String bucket, String key, StdoutConsumer consumer) throws Exception {
        Result r = aws != null
                ? run(
                        awsEnv(),
                        consumer,
                        aws.toString(),
                        "--endpoint-url",
                        endpoint.toString(),
                        "s3",
                        "cp",
                        "s3://" + bucket + "/" + key,
                        "-")
                : run(rcloneEnv(), consumer, rclone.toString(), "cat", ":s3:" + bucket + "/" + key);
        check(r, "reading " + key);
    }

    public byte[] readAll(String bucket, String key) throws Exception {
        byte[][] out = new byte[1][];
        read(bucket, key, in -> out[0] = in.readAllBytes());
        return out[0];
    }

    /** Writes {@code data} to {@code key}, replacing what is there (a corruption the operator did not make). */
    public void write(String bucket, String key, byte[] data) throws Exception {
        Path file = Files.createTempFile(tmp, "put", ".bin");
        try {
            Files.write(file, data);
            Result r = aws != null
                    ? run(
                            awsEnv(),
                            null,
                            aws.toString(),
                            "--endpoint-url",
                            endpoint.toString(),
                            "s3api",
                            "put-object",
                            "--bucket",
                            bucket,
                            "--key",
                            key,
                            "--body",
                            file.toString())
                    : run(rcloneEnv(), null, rclone.toString(), "copyto", file.toString(), ":s3:" + bucket + "/" + key);
            check(r, "writing " + key);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** Deletes {@code key}. */
    public void delete(String bucket, String key) throws Exception {
        Result r = aws != null
                ? run(
                        awsEnv(),
                        null,
                        aws.toString(),
                        "--endpoint-url",
                        endpoint.toString(),
                        "s3api",
                        "delete-object",
                        "--bucket",
                        bucket,
                        "--key",
                        key)
                : run(rcloneEnv(), null, rclone.toString(), "deletefile", ":s3:" + bucket + "/" + key);
        check(r, "deleting " + key);
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
                "AWS_ACCESS_KEY_ID",
                identity,
                "AWS_SECRET_ACCESS_KEY",
                credential,
                "AWS_DEFAULT_REGION",
                "us-east-1",
                "AWS_CONFIG_FILE",
                config.toString(),
                "AWS_SHARED_CREDENTIALS_FILE",
                tmp.resolve("no-credentials").toString(),
                "AWS_EC2_METADATA_DISABLED",
                "true");
    }

    private Map<String, String> rcloneEnv() {
        return Map.of(
                "RCLONE_CONFIG",
                tmp.resolve("rclone.conf").toString(),
                "RCLONE_S3_PROVIDER",
                "Other",
                "RCLONE_S3_ACCESS_KEY_ID",
                identity,
                "RCLONE_S3_SECRET_ACCESS_KEY",
                credential,
                "RCLONE_S3_ENDPOINT",
                endpoint.toString(),
                "RCLONE_S3_REGION",
                "us-east-1",
                "RCLONE_S3_FORCE_PATH_STYLE",
                "true");
    }

    public interface StdoutConsumer {
        void accept(InputStream stdout) throws IOException;
    }

    private record Result(int exit, String stdout, String stderr) {}

    private static void check(Result r, String what) {
        if (r.exit != 0) {
            throw new AssertionError(what + " exited " + r.exit + ": " + r.stderr);
        }
    }

    /** Runs a command; streams stdout to {@code consumer}, or returns it as text when null. */
    private static Result run(Map<String, String> env, StdoutConsumer consumer, String... command) throws Exception {
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
        String out = "";
        try (InputStream stdout = p.getInputStream()) {
            if (consumer == null) {
                out = new String(stdout.readAllBytes(), StandardCharsets.UTF_8);
            } else {
                consumer.accept(stdout);
                stdout.transferTo(java.io.OutputStream.nullOutputStream());
            }
        }
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " timed out");
        }
        return new Result(p.exitValue(), out, stderr.get());
    }

    private static Optional<Path> onPath(String name) {
        List<Path> dirs = new ArrayList<>();
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!d.isEmpty()) {
                dirs.add(Path.of(d));
            }
        }
        return dirs.stream()
                .map(d -> d.resolve(name))
                .filter(Files::isExecutable)
                .findFirst();
    }
}
