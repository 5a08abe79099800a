package io.lxdbackup.operator.e2e;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The packaged operator jar ({@code java -jar target/lxd-backup-operator.jar}) in its own
 * process, as a pod would run it, with a kubeconfig of the chart's service account. Its output
 * goes to {@code target/e2e-logs/<name>.log}. {@link #kill()} is {@code kill -9}.
 */
final class OperatorProcess implements AutoCloseable {
    /** Every process started, so none outlives the test JVM (a leftover replica would keep the Lease). */
    private static final List<Process> STARTED = new java.util.concurrent.CopyOnWriteArrayList<>();

    static {
        Runtime.getRuntime()
                .addShutdownHook(new Thread(() -> STARTED.forEach(Process::destroyForcibly), "kill-operators"));
    }

    private final String name;
    private final String identity;
    private final ProcessBuilder builder;
    private final Path log;
    private final int httpPort;
    private final boolean restartOnExit;
    private final java.util.concurrent.atomic.AtomicInteger restarts = new java.util.concurrent.atomic.AtomicInteger();
    private volatile Process process;
    private volatile boolean closing;

    private OperatorProcess(
            String name, String identity, ProcessBuilder builder, Path log, int httpPort, boolean restartOnExit) {
        this.name = name;
        this.identity = identity;
        this.builder = builder;
        this.log = log;
        this.httpPort = httpPort;
        this.restartOnExit = restartOnExit;
    }

    /**
     * @param name     names the log; the process's HOSTNAME, its leader-election identity, is the name
     *                 with a random suffix, as a pod's name is (see {@link #identity()})
     * @param args     operator flags besides the HTTP port
     */
    static OperatorProcess start(String name, Path kubeconfig, List<String> args) throws IOException {
        return start(name, kubeconfig, args, false);
    }

    /**
     * Like {@link #start(String, Path, List)}; with {@code restartOnExit} the process is started
     * again a second after it exits, as the kubelet restarts a pod's container (restartPolicy
     * Always), with the same identity and port.
     */
    static OperatorProcess start(String name, Path kubeconfig, List<String> args, boolean restartOnExit)
            throws IOException {
        Path jar = Path.of(System.getProperty("operator.jar", "target/lxd-backup-operator.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(
                    jar + " is missing: the end-to-end tests run the packaged jar (./mvnw verify builds it)");
        }
        int port = freePort();
        Path logs = Path.of("target", "e2e-logs");
        Files.createDirectories(logs);
        Path log = logs.resolve(name + ".log");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx384m");
        // every class the JVM loads, to show what cluster mode never needs (see loadedClasses)
        cmd.add("-Xlog:class+load=info:file=" + logs.resolve(name + ".classes"));
        cmd.add("-jar");
        cmd.add(jar.toString());
        cmd.add("--http-port=" + port);
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().keySet().removeIf(k -> k.startsWith("LXDBACKUP_") || k.startsWith("KUBERNETES_"));
        pb.environment().put("KUBECONFIG", kubeconfig.toString());
        String identity = name + "-"
                + Long.toString(java.util.concurrent.ThreadLocalRandom.current().nextLong(1L << 40), 36);
        pb.environment().put("HOSTNAME", identity);
        OperatorProcess p = new OperatorProcess(name, identity, pb, log, port, restartOnExit);
        p.launch();
        p.awaitHealthy(Duration.ofSeconds(90));
        return p;
    }

    private synchronized void launch() throws IOException {
        Files.writeString(
                log,
                "=== start " + String.join(" ", builder.command()) + "\n",
                java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
        Process started = builder.start();
        STARTED.add(started);
        process = started;
        if (restartOnExit) {
            started.onExit().thenRun(this::restartUnlessClosing);
        }
    }

    private void restartUnlessClosing() {
        if (closing) {
            return;
        }
        try {
            Thread.sleep(1_000);
            synchronized (this) {
                if (!closing) {
                    restarts.incrementAndGet();
                    launch();
                }
            }
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException("could not restart operator " + name, e);
        }
    }

    /**
     * The names of the classes the process has loaded so far (from its {@code -Xlog:class+load}
     * file; across restarts, the last start's).
     */
    List<String> loadedClasses() throws IOException {
        Path file = log.resolveSibling(name + ".classes");
        List<String> names = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            // [0.012s][info][class,load] java.lang.Object source: shared objects file
            int i = line.indexOf("[class,load] ");
            if (i >= 0) {
                String rest = line.substring(i + "[class,load] ".length());
                int space = rest.indexOf(' ');
                names.add(space < 0 ? rest : rest.substring(0, space));
            }
        }
        return names;
    }

    /** How often the supervisor started the process again after it exited. */
    int restarts() {
        return restarts.get();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private void awaitHealthy(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        HttpClient http = HttpClient.newHttpClient();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(
                        "operator " + name + " exited with " + process.exitValue() + ":\n" + tail(40));
            }
            try {
                HttpResponse<String> r = http.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/healthz"))
                                .timeout(Duration.ofSeconds(2))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
        }
        throw new IllegalStateException(
                "operator " + name + " did not answer /healthz within " + timeout + ":\n" + tail(40));
    }

    String name() {
        return name;
    }

    /** Its leader-election identity (the Lease's holder while it leads). */
    String identity() {
        return identity;
    }

    boolean alive() {
        return process.isAlive();
    }

    /** The /metrics page (Prometheus text format). */
    String metrics() throws IOException, InterruptedException {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/metrics"))
                                .timeout(Duration.ofSeconds(5))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }

    /** {@code kill -9}: no shutdown hook runs, nothing is released. */
    void kill() throws InterruptedException {
        Process process = this.process;
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    String log() throws IOException {
        return Files.readString(log);
    }

    String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** SIGTERM, as Kubernetes stops a pod; the operator lets running reconciles finish. */
    @Override
    public void close() throws InterruptedException {
        closing = true;
        Process process;
        synchronized (this) {
            process = this.process;
        }
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }
}
