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

  private LocalMode() {}

  static void run(String[] args, OperatorSettings settings) throws Exception {
    int port = Integer.parseInt(OperatorSettings.option(args, Map.of(), "api-port", "6443"));
    Path kubeconfig = Path.of(OperatorSettings.option(args, Map.of(), "kubeconfig", "local-data/kubeconfig")).toAbsolutePath();
    InMemoryApiServer api = new InMemoryApiServer(port);
    Files.createDirectories(kubeconfig.getParent());
    Files.writeString(kubeconfig, api.kubeconfig());
    KubernetesClient client = api.newClient();
    String socket = localSocket(args);
    if (socket != null) {
      LxdRemote r = new LxdRemote();
      r.getMetadata().setName("local");
      r.getMetadata().setNamespace("default");
      LxdRemoteSpec spec = new LxdRemoteSpec();
      spec.setUrl("unix://" + socket);
      r.setSpec(spec);
      client.resource(r).create();
    }
    OperatorSettings local = new OperatorSettings(settings.namespaces(), false, null, settings.httpPort(), settings.logLevel());
    OperatorRuntime runtime = new OperatorRuntime(client, local, Clock.systemUTC()).start();
    System.out.println("""

        ==================================================================
         lxd-backup-operator LOCAL MODE: in-memory Kubernetes API
         (for trying and testing; nothing is persisted, Ctrl-C ends it)

           export KUBECONFIG=%s
           kubectl get lxdremotes
           kubectl apply --validate=false -f examples/instancesnapshot.yaml

         API server  %s
         LxdRemote   %s
         metrics     http://127.0.0.1:%d/metrics
        ==================================================================
        """.formatted(kubeconfig, api.url(),
        socket == null ? "none (no local LXD socket found; create one with kubectl apply)" : "'local' -> unix://" + socket,
        runtime.httpPort()));
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      runtime.close();
      client.close();
      api.close();
      stop.countDown();
    }, "shutdown"));
    stop.await();
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
