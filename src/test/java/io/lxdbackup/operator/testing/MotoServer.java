package io.lxdbackup.operator.testing;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * moto's S3 server ({@code moto_server} from PyPI, installed by {@code hack/moto.sh} into
 * {@code .tools/moto}) as a separate process on a loopback port: a second, independent S3
 * implementation next to {@link S3Server}.
 *
 * <p>moto accepts any credentials by default. Here it checks them, as S3 does: after start an
 * IAM user with an access key and an allow-all policy is created through moto's own IAM API,
 * then authentication is switched on ({@code /moto-api/reset-auth}), so that requests need that
 * key and a valid SigV4 signature. moto keeps everything in memory: {@link #restart()} brings
 * back the same credentials (moto's random generator is seeded the same way before they are
 * made) and the buckets created through {@link #createBucket}, but no objects.
 *
 * <p>The executable is {@code $MOTO_SERVER}, else {@code .tools/moto/bin/moto_server} in the
 * project directory. Without it the calling test is reported SKIPPED with the reason, unless
 * {@code LXD_RIG_REQUIRED=true} (set by {@code hack/test.sh} and CI), where it is a failure.
 */
public final class MotoServer implements S3TestServer {
    /** Seeds moto's random generator before the access key is made, so a restart makes the same one. */
    private static final int SEED = 20_240_917;

    private static final String USER = "lxdbackup-test";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final Path executable;
    private final Path logFile;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Set<String> buckets = new LinkedHashSet<>();
    private Process process;
    private Thread reaper;
    private URI endpoint;
    private String identity;
    private String credential;

    private MotoServer(Path executable, Path logFile) {
        this.executable = executable;
        this.logFile = logFile;
    }

    /** A running, authenticating moto server; skips (or fails, see above) when moto is not installed. */
    public static MotoServer start() throws Exception {
        Path exe = require();
        MotoServer s = new MotoServer(exe, Files.createTempFile("moto-server", ".log"));
        s.startBelowEphemeralPorts();
        return s;
    }

    /** The moto_server executable, or an aborted (skipped) test / a failure under LXD_RIG_REQUIRED. */
    static Path require() {
        String configured = System.getenv("MOTO_SERVER");
        Path exe = configured != null && !configured.isBlank()
                ? Path.of(configured)
                : projectDir().resolve(".tools/moto/bin/moto_server");
        if (Files.isExecutable(exe)) {
            return exe;
        }
        String why = "moto is not installed: " + exe + " is missing (run 'hack/moto.sh', which installs the pinned"
                + " moto[server] into .tools/moto, or set MOTO_SERVER to a moto_server)";
        if ("true".equalsIgnoreCase(System.getenv("LXD_RIG_REQUIRED"))) {
            throw new IllegalStateException(why + " (LXD_RIG_REQUIRED=true, so this is a failure, not a skip)");
        }
        Assumptions.abort(why);
        return null;
    }

    /** The directory holding pom.xml, from the working directory up (surefire runs in the project directory). */
    private static Path projectDir() {
        Path cwd = Path.of("").toAbsolutePath();
        for (Path d = cwd; d != null; d = d.getParent()) {
            if (Files.exists(d.resolve("pom.xml")) && Files.isDirectory(d.resolve("hack"))) {
                return d;
            }
        }
        return cwd;
    }

    /** The installed moto version, from the virtualenv's metadata (e.g. "5.2.6"), or "unknown". */
    public String version() {
        Path lib = executable.toAbsolutePath().getParent().resolveSibling("lib");
        Pattern dist = Pattern.compile("moto-([0-9][^-]*)\\.dist-info");
        try (Stream<Path> pythons = Files.list(lib)) {
            for (Path py : pythons.toList()) {
                try (Stream<Path> pkgs = Files.list(py.resolve("site-packages"))) {
                    for (Path p : pkgs.toList()) {
                        Matcher m = dist.matcher(p.getFileName().toString());
                        if (m.matches()) {
                            return m.group(1);
                        }
                    }
                }
            }
        } catch (IOException e) {
            // not a virtualenv layout
        }
        return "unknown";
    }

    /** A free port below Linux's ephemeral range; see {@link S3Server} for why. */
    private void startBelowEphemeralPorts() throws Exception {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        Exception last = null;
        for (int attempt = 0; attempt < 20; attempt++) {
            int port = 20_000 + rnd.nextInt(12_000);
            try (ServerSocket probe = new ServerSocket()) {
                probe.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            } catch (IOException taken) {
                last = taken;
                continue;
            }
            try {
                listen(port);
                return;
            } catch (PortTakenException e) {
                last = e;
            }
        }
        throw new IllegalStateException("no free port for moto below 32000", last);
    }

    private static final class PortTakenException extends Exception {
        PortTakenException(String message) {
            super(message);
        }
    }

    private synchronized void listen(int port) throws Exception {
        URI uri = URI.create("http://127.0.0.1:" + port);
        ProcessBuilder pb = new ProcessBuilder(executable.toString(), "-H", "127.0.0.1", "-p", String.valueOf(port))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        // nothing of the caller's AWS set-up may change what the server does
        pb.environment()
                .keySet()
                .removeIf(k -> k.startsWith("AWS_")
                        || k.startsWith("MOTO_")
                        || k.equals("INITIAL_NO_AUTH_ACTION_COUNT")
                        || k.equals("TEST_SERVER_MODE"));
        pb.environment().put("PYTHONUNBUFFERED", "1");
        Process p = pb.start();
        Thread hook = new Thread(p::destroyForcibly, "moto-server-reaper");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            awaitAnswer(p, uri);
        } catch (Exception e) {
            destroy(p, hook);
            if (e instanceof PortTakenException) {
                throw e;
            }
            throw new IllegalStateException(e.getMessage() + "\n" + logTail(), e);
        }
        process = p;
        reaper = hook;
        endpoint = uri;
        try {
            authenticate();
        } catch (Exception e) {
            stop();
            throw e;
        }
    }

    /** Polls {@code /moto-api/} until it answers 200. */
    private void awaitAnswer(Process p, URI uri) throws Exception {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        HttpRequest ping = HttpRequest.newBuilder(uri.resolve("/moto-api/"))
                .timeout(Duration.ofSeconds(5))
                .GET()
                .build();
        while (true) {
            if (!p.isAlive()) {
                String log = logTail();
                if (log.contains("Address already in use")) {
                    throw new PortTakenException("port " + uri.getPort() + " was taken");
                }
                throw new IllegalStateException(executable + " exited with " + p.exitValue() + " before answering");
            }
            try {
                if (http.send(ping, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(executable + " did not answer at " + uri + " within " + START_TIMEOUT);
            }
            Thread.sleep(100);
        }
    }

    /**
     * Makes the access key the tests use (the same one on every start: the seed) and switches
     * authentication on. The IAM calls go before that, so their signature is not checked.
     */
    private void authenticate() throws Exception {
        moto("seed?a=" + SEED, "");
        iam("Action=CreateUser&UserName=" + USER);
        String key = iam("Action=CreateAccessKey&UserName=" + USER);
        String id = xml(key, "AccessKeyId");
        String secret = xml(key, "SecretAccessKey");
        if (identity != null && (!identity.equals(id) || !credential.equals(secret))) {
            throw new IllegalStateException("moto made another access key after the restart than before;"
                    + " seeding its random generator no longer makes it the same");
        }
        identity = id;
        credential = secret;
        String policy =
                "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}";
        iam("Action=PutUserPolicy&UserName=" + USER + "&PolicyName=all&PolicyDocument="
                + URLEncoder.encode(policy, StandardCharsets.UTF_8));
        // from now on every request needs a valid signature by that key
        moto("reset-auth", "0");
    }

    private void moto(String path, String body) throws Exception {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(endpoint.resolve("/moto-api/" + path))
                        .timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "text/plain")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("moto /moto-api/" + path + " answered " + r.statusCode());
        }
    }

    /** One IAM query-API call; the Authorization header only routes it to moto's IAM (not checked yet). */
    private String iam(String form) throws Exception {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(endpoint.resolve("/"))
                        .timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
                        .header(
                                "Authorization",
                                "AWS4-HMAC-SHA256 Credential=AKIAMOTOSETUP/20240101/us-east-1/iam/aws4_request,"
                                        + " SignedHeaders=host, Signature=unchecked")
                        .POST(HttpRequest.BodyPublishers.ofString(form + "&Version=2010-05-08"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            String action = form.substring(0, form.indexOf('&'));
            throw new IllegalStateException("moto IAM " + action + " answered " + r.statusCode());
        }
        return r.body();
    }

    private static String xml(String body, String element) {
        Matcher m =
                Pattern.compile("<" + element + ">([^<]+)</" + element + ">").matcher(body);
        if (!m.find()) {
            throw new IllegalStateException("moto's IAM answer has no " + element);
        }
        return m.group(1).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">");
    }

    private String logTail() {
        try {
            List<String> lines = Files.readAllLines(logFile);
            return "moto log (" + logFile + "):\n"
                    + String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no moto log: " + e.getMessage() + ")";
        }
    }

    @Override
    public synchronized void createBucket(String bucket) {
        S3TestServer.super.createBucket(bucket);
        buckets.add(bucket);
    }

    @Override
    public S3Implementation implementation() {
        return S3Implementation.MOTO;
    }

    @Override
    public synchronized URI endpoint() {
        return endpoint;
    }

    @Override
    public synchronized String identity() {
        return identity;
    }

    @Override
    public synchronized String credential() {
        return credential;
    }

    /**
     * moto checks the signature over the {@code x-amz-content-sha256} header as sent, never the
     * body against it: a body changed after signing is stored as it arrived.
     */
    @Override
    public boolean checksSignedPayload() {
        return false;
    }

    @Override
    public boolean keepsObjectsAcrossRestart() {
        return false;
    }

    /** Ends the process (connections refused); everything it held is gone. */
    @Override
    public synchronized void stop() throws Exception {
        if (process != null) {
            destroy(process, reaper);
            process = null;
            reaper = null;
        }
    }

    /** A new process on the same port, with the same credentials and the buckets made by {@link #createBucket}. */
    @Override
    public synchronized void restart() throws Exception {
        stop();
        listen(endpoint.getPort());
        for (String b : new ArrayList<>(buckets)) {
            S3TestServer.super.createBucket(b);
        }
    }

    @Override
    public synchronized boolean running() {
        return process != null && process.isAlive();
    }

    private static void destroy(Process p, Thread hook) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
    }

    @Override
    public void close() throws Exception {
        stop();
    }

    @Override
    public String toString() {
        return "moto " + version() + " at " + endpoint;
    }
}
