package io.lxdbackup.operator;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.LxdRemote;
import io.lxdbackup.operator.api.v1alpha1.LxdRemoteSpec;
import io.lxdbackup.operator.config.OperatorSettings;
import io.lxdbackup.operator.local.InMemoryApiServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * {@code java -jar lxd-backup-operator.jar local}: an in-memory Kubernetes API, a kubeconfig
 * for kubectl, the CRDs, and the operator running against it, with a ready-made
 * {@code LxdRemote local} when a local LXD unix socket exists. For trying the operator and
 * testing; nothing survives a restart.
 */
final class LocalMode {
    static final List<String> SOCKETS = List.of("/var/snap/lxd/common/lxd/unix.socket", "/var/lib/lxd/unix.socket");
    /** The ready-made remote's name, and the example that uses it. */
    static final String REMOTE = "local";

    static final String EXAMPLE = "examples/local-instancesnapshot.yaml";
    static final String LOOPBACK = "127.0.0.1";
    /** The object {@link #EXAMPLE} creates. */
    static final String EXAMPLE_OBJECT = "demo-first";
    /** Waits for the example's snapshot to be Ready (kubectl wait polls here: see the README). */
    static final String WAIT =
            "kubectl wait isnap/" + EXAMPLE_OBJECT + " --for=jsonpath='{.status.phase}'=Ready --timeout=2m";

    /**
     * What {@code hack/run-local.sh} set up, for the banner: the demo instance the example
     * snapshots ({@code --demo-instance}), and the directory of the kubectl it installed
     * ({@code --tools-path}). Either may be null.
     */
    record Hints(String demoInstance, String toolsPath) {
        static Hints from(String[] args) {
            return new Hints(
                    blankToNull(OperatorSettings.option(args, Map.of(), "demo-instance", null)),
                    blankToNull(OperatorSettings.option(args, Map.of(), "tools-path", null)));
        }

        private static String blankToNull(String s) {
            return s == null || s.isBlank() ? null : s;
        }
    }

    private LocalMode() {}

    /** A running local mode: API server, the operator, and where its kubeconfig is. */
    record Session(
            InMemoryApiServer api,
            KubernetesClient client,
            OperatorRuntime runtime,
            Path kubeconfig,
            String socket,
            Hints hints)
            implements AutoCloseable {

        /** What the user does next, printed when local mode has started. */
        String banner() {
            String export = "export KUBECONFIG=" + kubeconfig
                    + (hints.toolsPath() == null ? "" : " PATH=" + hints.toolsPath() + ":$PATH");
            String example = Files.exists(Path.of(EXAMPLE))
                    ? Path.of(EXAMPLE).toAbsolutePath().toString()
                    : EXAMPLE;
            List<String> next;
            if (socket == null) {
                next = List.of(
                        "# no local LXD socket: connect to a server first (README, \"Your first snapshot\")",
                        "kubectl apply --validate=false -f examples/lxdremote.yaml",
                        "kubectl apply --validate=false -f examples/instancesnapshot.yaml");
            } else {
                String apply = "kubectl apply --validate=false -f " + example;
                next = List.of(
                        hints.demoInstance() != null
                                ? "# snapshot the demo instance " + hints.demoInstance() + " through the remote '"
                                        + REMOTE + "':"
                                : "# set spec.instance in " + EXAMPLE + " to one of your instances (lxc list), then:",
                        apply,
                        WAIT,
                        "kubectl delete isnap " + EXAMPLE_OBJECT + "   # deletes the LXD snapshot too");
            }
            return """

          ==================================================================
           lxd-backup-operator LOCAL MODE: in-memory Kubernetes API
           (for trying and testing; nothing is persisted, Ctrl-C ends it)

           In another shell:
             %s
          %s

           API server  %s (its token: in the kubeconfig, 0600)
           LxdRemote   %s
           metrics     http://127.0.0.1:%d/metrics
          ==================================================================
          """.formatted(
                            export,
                            String.join("\n", next.stream().map(l -> "   " + l).toList()),
                            api.url(),
                            socket == null
                                    ? "none (no local LXD socket found; create one with kubectl apply)"
                                    : "'" + REMOTE + "' -> unix://" + socket,
                            runtime.httpPort());
        }

        @Override
        public void close() {
            runtime.close();
            client.close();
            api.close();
        }
    }

    static void run(String[] args, OperatorSettings settings) throws Exception {
        Session session = start(args, settings);
        System.out.println(session.banner());
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            session.close();
                            stop.countDown();
                        },
                        "shutdown"));
        stop.await();
    }

    /**
     * What a training start applies: a Secret, a store and a remote that answer nothing (port 9 on
     * the loopback refuses connections), and one resource of each backup kind on them, so that every
     * controller's first reconcile, the TLS and S3 clients and the failure path run once.
     */
    static final String TRAINING_OBJECTS = """
            apiVersion: v1
            kind: Secret
            metadata: {name: train-s3, namespace: default}
            type: lxdbackup.io/s3-credentials
            stringData: {AWS_ACCESS_KEY_ID: train, AWS_SECRET_ACCESS_KEY: train-secret}
            ---
            apiVersion: lxdbackup.io/v1alpha1
            kind: BackupStore
            metadata: {name: train, namespace: default}
            spec:
              s3: {endpoint: "http://127.0.0.1:9", region: us-east-1, bucket: train, forcePathStyle: true,
                   credentialsSecretRef: {name: train-s3}}
            ---
            apiVersion: lxdbackup.io/v1alpha1
            kind: LxdRemote
            metadata: {name: train, namespace: default}
            spec: {url: "https://127.0.0.1:9"}
            ---
            apiVersion: lxdbackup.io/v1alpha1
            kind: InstanceSnapshot
            metadata: {name: train, namespace: default}
            spec: {remoteRef: {name: train}, instance: c1}
            ---
            apiVersion: lxdbackup.io/v1alpha1
            kind: InstanceExport
            metadata: {name: train, namespace: default}
            spec: {remoteRef: {name: train}, instance: c1, storeRef: {name: train}}
            ---
            apiVersion: lxdbackup.io/v1alpha1
            kind: SnapshotSchedule
            metadata: {name: train, namespace: default}
            spec: {remoteRef: {name: train}, instances: [c1], schedule: "0 0 1 1 *", retention: {keepLast: 1}}
            ---
            apiVersion: lxdbackup.io/v1alpha1
            kind: InstanceCopy
            metadata: {name: train, namespace: default}
            spec: {sourceRemoteRef: {name: train}, targetRemoteRef: {name: train}, instance: c1, targetInstance: c2}
            """;

    /**
     * {@code java -XX:ArchiveClassesAtExit=app.jsa -jar lxd-backup-operator.jar train}: a local-mode
     * start (no LXD socket, nothing written outside a temporary directory) that applies
     * {@link #TRAINING_OBJECTS}, waits until every one of them has a status (at most {@code
     * maxWait}), and stops. The image's build runs it to write the class-data archive the image
     * starts with: the classes a start and the first reconciles load are then mapped from the
     * archive instead of being read, parsed and verified from the jar.
     *
     * @return how many of the training objects had a status when it stopped
     */
    static int train(String[] args, OperatorSettings settings, Duration maxWait) throws Exception {
        Path dir = Files.createTempDirectory("lxdbackup-train");
        String[] local = java.util.stream.Stream.concat(
                        Arrays.stream(args),
                        java.util.stream.Stream.of(
                                "--lxd-socket=", "--kubeconfig=" + dir.resolve("kubeconfig"), "--api-port=0"))
                .toArray(String[]::new);
        try (Session session = start(local, settings)) {
            List<HasMetadata> objects = session.client
                    .load(new java.io.ByteArrayInputStream(
                            TRAINING_OBJECTS.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                    .items();
            for (HasMetadata o : objects) {
                session.client.resource(o).create();
            }
            long deadline = System.nanoTime() + maxWait.toNanos();
            int withStatus = 0;
            while (System.nanoTime() < deadline) {
                withStatus = 0;
                for (HasMetadata o : objects) {
                    var now = session.client
                            .genericKubernetesResources(o.getApiVersion(), o.getKind())
                            .inNamespace(o.getMetadata().getNamespace())
                            .withName(o.getMetadata().getName())
                            .get();
                    if (o instanceof io.fabric8.kubernetes.api.model.Secret
                            || (now != null && now.get("status") != null)) {
                        withStatus++;
                    }
                }
                if (withStatus == objects.size()) {
                    break;
                }
                Thread.sleep(200);
            }
            return withStatus - 1;
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder())
                        .forEach(f -> f.toFile().delete());
            }
        }
    }

    /** Starts the API server, writes the kubeconfig, creates the {@code local} remote and starts the operator. */
    static Session start(String[] args, OperatorSettings settings) throws Exception {
        int port = Integer.parseInt(OperatorSettings.option(args, Map.of(), "api-port", "6443"));
        Path kubeconfig = Path.of(OperatorSettings.option(args, Map.of(), "kubeconfig", "local-data/kubeconfig"))
                .toAbsolutePath();
        InMemoryApiServer api = new InMemoryApiServer(port);
        KubernetesClient client = null;
        try {
            Files.createDirectories(kubeconfig.getParent());
            writePrivate(kubeconfig, api.kubeconfig());
            InMemoryApiServer.logRequests(
                    Boolean.parseBoolean(OperatorSettings.option(args, Map.of(), "log-api-requests", "false")));
            client = api.newClient();
            String socket = localSocket(args);
            if (socket != null) {
                LxdRemote r = new LxdRemote();
                r.getMetadata().setName(REMOTE);
                r.getMetadata().setNamespace("default");
                LxdRemoteSpec spec = new LxdRemoteSpec();
                spec.setUrl("unix://" + socket);
                r.setSpec(spec);
                client.resource(r).create();
            }
            // health and metrics on the loopback address only, as the banner says
            OperatorSettings local = new OperatorSettings(
                            settings.namespaces(), false, null, settings.httpPort(), settings.logLevel())
                    .withTransfers(settings.transfers())
                    .withAllowAmbientCredentials(settings.allowAmbientCredentials())
                    .withHttpAddress(LOOPBACK)
                    .withLxdTimeouts(settings.lxdTimeouts())
                    .withReconcileThreads(settings.reconcileThreads());
            OperatorRuntime runtime = new OperatorRuntime(client, local, Clock.systemUTC()).start();
            return new Session(api, client, runtime, kubeconfig, socket, Hints.from(args));
        } catch (Exception | Error e) {
            if (client != null) {
                client.close();
            }
            api.close();
            throw e;
        }
    }

    /** Writes the kubeconfig readable by its owner only. */
    static void writePrivate(Path file, String content) throws java.io.IOException {
        Files.deleteIfExists(file);
        try {
            Files.createFile(
                    file,
                    java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                            java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(file);
        }
        Files.writeString(file, content);
    }

    static String localSocket(String[] args) {
        String given = OperatorSettings.option(args, Map.of(), "lxd-socket", null);
        if (given != null) {
            return given.isEmpty() ? null : given;
        }
        String lxdDir = System.getenv("LXD_DIR");
        if (lxdDir != null && Files.exists(Path.of(lxdDir, "unix.socket"))) {
            return Path.of(lxdDir, "unix.socket").toString();
        }
        return SOCKETS.stream()
                .filter(s -> Files.exists(Path.of(s)))
                .findFirst()
                .orElse(null);
    }
}
