package io.lxdbackup.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.LxdRemote;
import io.lxdbackup.operator.api.v1alpha1.LxdRemoteSpec;
import io.lxdbackup.operator.config.OperatorSettings;
import io.lxdbackup.operator.local.InMemoryApiServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
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

  private LocalMode() {}

  /** A running local mode: API server, the operator, and where its kubeconfig is. */
  record Session(InMemoryApiServer api, KubernetesClient client, OperatorRuntime runtime, Path kubeconfig, String socket)
      implements AutoCloseable {

    /** What the user does next, printed when local mode has started. */
    String banner() {
      List<String> next = socket != null
          ? List.of("kubectl get lxdremotes " + REMOTE + " -o jsonpath='{.status.phase}'   # Ready",
              "# set spec.instance to one of your instances (lxc list), then:",
              "kubectl apply --validate=false -f " + EXAMPLE)
          : List.of("# no local LXD socket: connect to a server first (README, \"Your first snapshot\")",
              "kubectl apply --validate=false -f examples/lxdremote.yaml",
              "kubectl apply --validate=false -f examples/instancesnapshot.yaml");
      return """

          ==================================================================
           lxd-backup-operator LOCAL MODE: in-memory Kubernetes API
           (for trying and testing; nothing is persisted, Ctrl-C ends it)

             export KUBECONFIG=%s
          %s

           API server  %s
           LxdRemote   %s
           metrics     http://127.0.0.1:%d/metrics
          ==================================================================
          """.formatted(kubeconfig, String.join("\n", next.stream().map(l -> "   " + l).toList()), api.url(),
          socket == null ? "none (no local LXD socket found; create one with kubectl apply)" : "'" + REMOTE + "' -> unix://" + socket,
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
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      session.close();
      stop.countDown();
    }, "shutdown"));
    stop.await();
  }

  /** Starts the API server, writes the kubeconfig, creates the {@code local} remote and starts the operator. */
  static Session start(String[] args, OperatorSettings settings) throws Exception {
    int port = Integer.parseInt(OperatorSettings.option(args, Map.of(), "api-port", "6443"));
    Path kubeconfig = Path.of(OperatorSettings.option(args, Map.of(), "kubeconfig", "local-data/kubeconfig")).toAbsolutePath();
    InMemoryApiServer api = new InMemoryApiServer(port);
    KubernetesClient client = null;
    try {
      Files.createDirectories(kubeconfig.getParent());
      Files.writeString(kubeconfig, api.kubeconfig());
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
      OperatorSettings local = new OperatorSettings(settings.namespaces(), false, null, settings.httpPort(), settings.logLevel());
      OperatorRuntime runtime = new OperatorRuntime(client, local, Clock.systemUTC()).start();
      return new Session(api, client, runtime, kubeconfig, socket);
    } catch (Exception | Error e) {
      if (client != null) {
        client.close();
      }
      api.close();
      throw e;
    }
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
    return SOCKETS.stream().filter(s -> Files.exists(Path.of(s))).findFirst().orElse(null);
  }
}
