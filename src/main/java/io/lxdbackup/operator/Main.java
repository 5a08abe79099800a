package io.lxdbackup.operator;

import ch.qos.logback.classic.Level;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.lxdbackup.operator.config.OperatorSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point. {@code java -jar lxd-backup-operator.jar} runs the operator against the ambient
 * Kubernetes configuration (KUBECONFIG or ~/.kube/config outside a cluster, the service
 * account inside); {@code ... local} starts an in-memory API server first (see {@link LocalMode}).
 */
public final class Main {
    /** Not a static field: the plugin configures logging before anything touches it. */
    private static Logger log() {
        return LoggerFactory.getLogger(Main.class);
    }

    private Main() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && (args[0].equals("plugin") || args[0].equals("kubectl"))) {
            // kubectl lxdbackup (hack/kubectl-lxdbackup): a short-lived command, its output is its
            // tables: no logback status lines, no logs
            System.setProperty("logback.statusListenerClass", "ch.qos.logback.core.status.NopStatusListener");
            setLogLevel("off");
            System.exit(io.lxdbackup.operator.cli.Plugin.run(Arrays.copyOfRange(args, 1, args.length)));
        }
        if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
            System.out.println(usage());
            return;
        }
        boolean inCluster = Files.exists(Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token"));
        OperatorSettings settings = OperatorSettings.from(args, System.getenv(), inCluster);
        setLogLevel(settings.logLevel());
        if (args.length > 0 && args[0].equals("train")) {
            int reconciled =
                    LocalMode.train(Arrays.copyOfRange(args, 1, args.length), settings, Duration.ofSeconds(90));
            log().info("training start done: {} of the training objects reconciled", reconciled);
            // System.exit, not return: the JVM writes a class-data archive (-XX:ArchiveClassesAtExit) at exit
            System.exit(0);
        }
        if (args.length > 0 && args[0].equals("local")) {
            LocalMode.run(Arrays.copyOfRange(args, 1, args.length), settings);
            return;
        }
        KubernetesClient client = new KubernetesClientBuilder()
                .withConfig(Config.autoConfigure(null))
                .build();
        OperatorRuntime runtime = new OperatorRuntime(client, settings, Clock.systemUTC());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            log().info("shutting down: letting running reconciles finish");
                            runtime.close();
                            client.close();
                            stopped.countDown();
                        },
                        "shutdown"));
        try {
            runtime.start();
        } catch (RuntimeException e) {
            // A failed start (e.g. the account may not take the Lease) must end the process: a pod
            // that stays up with /healthz answering would hide the error instead of restarting.
            log().error("the operator could not start: {}", e.getMessage(), e);
            System.exit(1);
        }
        stopped.await();
    }

    /** The root log level; the loggers of {@link SafeLogging} stay where they are pinned. */
    public static void setLogLevel(String level) {
        org.slf4j.Logger root = LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        if (root instanceof ch.qos.logback.classic.Logger l) {
            l.setLevel(Level.toLevel(level, Level.INFO));
        }
        SafeLogging.pin();
    }

    static String usage() {
        return """
        lxd-backup-operator: back up LXD instances declaratively

        usage: java -jar lxd-backup-operator.jar [local] [options]
               java -jar lxd-backup-operator.jar plugin COMMAND ...   (kubectl lxdbackup, see plugin --help)

          (no command)   run against the cluster of KUBECONFIG / ~/.kube/config / the service account
          local          start an in-memory Kubernetes API (for trying it out; nothing persists),
                         write a kubeconfig, install the CRDs and run the operator against it
          train          start local mode with no LXD, reconcile one object of each kind once and
                         exit: run with -XX:ArchiveClassesAtExit=FILE to write a class-data archive
                         (the image's build does; the image starts with -XX:SharedArchiveFile=FILE)
          plugin         the kubectl plugin (hack/kubectl-lxdbackup): snapshot, export, restore,
                         backups, describe and copy with the current kubeconfig and namespace

        options (or environment variables LXDBACKUP_<NAME>):
          --namespaces=a,b        namespaces to watch (default: all)
          --leader-election=true  take a Lease before reconciling (default: true in a cluster)
          --lease-namespace=ns    namespace of the Lease (default: $POD_NAMESPACE)
          --http-port=8080        /healthz, /readyz and /metrics
          --http-address=ADDR     listen for those on ADDR only (default: every address;
                                  local mode: always 127.0.0.1)
          --allow-ambient-credentials=false
                                  let a BackupStore without credentialsSecretRef use the
                                  operator's own cloud identity (default AWS credentials chain)
          --log-level=info        trace, debug, info, warn, error

        local mode options:
          --api-port=6443         HTTPS port of the in-memory Kubernetes API (127.0.0.1 only;
                                  it needs the token in the written kubeconfig)
          --log-api-requests=false  one log line per request to the in-memory API
          --kubeconfig=PATH       where to write the kubeconfig (default: local-data/kubeconfig)
          --lxd-socket=PATH       LXD unix socket for the ready-made LxdRemote "local"
                                  (default: $LXD_DIR/unix.socket or the usual snap/deb paths)
          --demo-instance=NAME    the banner says the example snapshots NAME (hack/run-local.sh)
          --tools-path=DIR        the banner puts DIR (kubectl) on the PATH (hack/run-local.sh)
        """;
    }
}
