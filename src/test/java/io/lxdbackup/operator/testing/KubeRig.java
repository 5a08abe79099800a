package io.lxdbackup.operator.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Assumptions;

/**
 * The real control plane started by {@code hack/kube-test-env.sh up} (etcd, kube-apiserver,
 * kube-controller-manager), as the end-to-end tests see it. Without it the calling test is
 * reported SKIPPED with the reason, unless {@code KUBE_RIG_REQUIRED=true} (set by
 * {@code hack/test.sh}), where a missing control plane is a failure.
 */
public final class KubeRig {
    private static volatile KubeRig instance;

    private final Properties props;

    private KubeRig(Properties props) {
        this.props = props;
    }

    public static KubeRig require() {
        KubeRig r = instance;
        if (r != null) {
            return r;
        }
        synchronized (KubeRig.class) {
            if (instance == null) {
                instance = load();
            }
            return instance;
        }
    }

    private static KubeRig load() {
        Path file = dir().resolve("kube.properties");
        String why = null;
        Properties p = new Properties();
        if (!Files.isReadable(file)) {
            why = "no Kubernetes control plane: " + file + " is missing (run 'hack/kube-test-env.sh up')";
        } else {
            try (Reader r = Files.newBufferedReader(file)) {
                p.load(r);
            } catch (IOException e) {
                why = "cannot read " + file + ": " + e.getMessage();
            }
        }
        if (why == null) {
            KubeRig rig = new KubeRig(p);
            try (KubernetesClient c = rig.adminClient()) {
                c.getKubernetesVersion();
                return rig;
            } catch (RuntimeException e) {
                why = "the control plane does not answer at " + p.getProperty("server") + " (" + e.getMessage()
                        + "); run 'hack/kube-test-env.sh up'";
            }
        }
        if ("true".equalsIgnoreCase(System.getenv("KUBE_RIG_REQUIRED"))) {
            throw new IllegalStateException(why + " (KUBE_RIG_REQUIRED=true, so this is a failure, not a skip)");
        }
        Assumptions.abort(why);
        return null;
    }

    private static Path dir() {
        return Path.of(System.getenv().getOrDefault("KUBE_RIG_DIR", "/var/tmp/kube-rig"));
    }

    public String get(String key) {
        String v = props.getProperty(key);
        if (v == null) {
            throw new IllegalStateException("kube.properties has no " + key);
        }
        return v;
    }

    public Path adminKubeconfig() {
        return Path.of(get("kubeconfig"));
    }

    public String server() {
        return get("server");
    }

    public String caCertificate() {
        try {
            return Files.readString(Path.of(get("ca.crt")));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A cluster-admin client (system:masters), as the person who installs the chart. */
    public KubernetesClient adminClient() {
        try {
            Config config = Config.fromKubeconfig(Files.readString(adminKubeconfig()));
            return new KubernetesClientBuilder().withConfig(config).build();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A kubeconfig that authenticates with a bearer token (a service account's). */
    public String tokenKubeconfig(String user, String token, String namespace) {
        return """
        apiVersion: v1
        kind: Config
        clusters:
        - name: rig
          cluster:
            server: %s
            certificate-authority: %s
        users:
        - name: %s
          user:
            token: %s
        contexts:
        - name: %s@rig
          context: {cluster: rig, user: %s, namespace: %s}
        current-context: %s@rig
        """.formatted(server(), get("ca.crt"), user, token, user, user, namespace, user);
    }

    private final List<java.time.Instant[]> restarts = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Stops kube-apiserver and starts it again; etcd keeps every object. */
    public void restartApiServer() throws Exception {
        java.time.Instant from = java.time.Instant.now();
        Commands.run(List.of("bash", "hack/kube-test-env.sh", "restart-apiserver"), null, true);
        // a restarted API server answers before its RBAC cache has synced: for a moment it refuses
        // what the roles allow
        restarts.add(new java.time.Instant[] {from, java.time.Instant.now().plusSeconds(15)});
    }

    /** Whether {@code t} falls in or just after an API server restart this test run made. */
    public boolean duringRestart(java.time.Instant t) {
        return restarts.stream().anyMatch(w -> !t.isBefore(w[0]) && !t.isAfter(w[1]));
    }

    /**
     * One line of the API server's audit log: who asked for what, the answer's code, and whether
     * the authorizer refused it (a 403 for other reasons, such as creating an Event in a
     * namespace being deleted, is not a refusal by RBAC).
     */
    public record AuditEntry(
            String user,
            String verb,
            String uri,
            int code,
            boolean forbiddenByAuthorizer,
            java.time.Instant received) {}

    /** Every request the audit log records for {@code user} (service accounts only are recorded). */
    public List<AuditEntry> audit(String user) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<AuditEntry> out = new ArrayList<>();
        Path log = Path.of(get("audit.log"));
        if (!Files.exists(log)) {
            return out;
        }
        try (BufferedReader r = Files.newBufferedReader(log)) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode e = json.readTree(line);
                if (!user.equals(e.path("user").path("username").asText())) {
                    continue;
                }
                out.add(new AuditEntry(
                        user,
                        e.path("verb").asText(),
                        e.path("requestURI").asText(),
                        e.path("responseStatus").path("code").asInt(),
                        "forbid"
                                .equals(e.path("annotations")
                                        .path("authorization.k8s.io/decision")
                                        .asText()),
                        java.time.Instant.parse(
                                e.path("requestReceivedTimestamp").asText("1970-01-01T00:00:00Z"))));
            }
        }
        return out;
    }
}
