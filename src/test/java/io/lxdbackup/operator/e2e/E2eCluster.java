package io.lxdbackup.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.testing.Commands;
import io.lxdbackup.operator.testing.KubeRig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What every end-to-end test shares: the real control plane, the chart installed once with its
 * default values by {@code helm install} (release {@value #RELEASE} in {@value #SYSTEM_NS}),
 * and the operator jar running outside the cluster with a token of the chart's service account,
 * so every request it makes is decided by the API server's RBAC authorizer against the chart's
 * own ClusterRole.
 */
final class E2eCluster {
    static final String RELEASE = "lxdbo";
    static final String SYSTEM_NS = "lxdbackup-system";
    /** The service account the chart creates (its fullname). */
    static final String SERVICE_ACCOUNT = RELEASE + "-lxd-backup-operator";

    private static E2eCluster instance;

    final KubeRig rig;
    final KubernetesClient admin;
    final String kubectl;
    final String helm;
    private OperatorProcess main;
    private Path operatorKubeconfig;

    private E2eCluster(KubeRig rig) throws Exception {
        this.rig = rig;
        this.admin = rig.adminClient();
        this.kubectl = Commands.tool("KUBECTL");
        this.helm = Commands.tool("HELM");
    }

    /** The control plane with the chart installed (once per test run). */
    static synchronized E2eCluster get() throws Exception {
        if (instance == null) {
            E2eCluster c = new E2eCluster(KubeRig.require());
            c.installChart();
            instance = c;
        }
        return instance;
    }

    private void installChart() throws Exception {
        // install, or bring a release kept from an earlier run (KEEP_RIG=1) up to the chart as it is;
        // Helm installs crds/ only with a new release, never on upgrade, so a kept release gets a new
        // kind's CRD (and changed ones) from an apply of the chart's crds/ first
        boolean kept;
        try {
            helm("status", RELEASE, "-n", SYSTEM_NS);
            kept = true;
        } catch (IllegalStateException e) {
            kept = false; // a new release installs crds/ itself (and owns them)
        }
        if (kept) {
            kubectl("apply", "--server-side", "--force-conflicts", "-f", "helm/lxd-backup-operator/crds/");
        }
        helm("upgrade", "--install", RELEASE, "helm/lxd-backup-operator", "-n", SYSTEM_NS, "--create-namespace");
        operatorKubeconfig = serviceAccountKubeconfig(SYSTEM_NS, SERVICE_ACCOUNT);
    }

    /**
     * The operator as the default release runs it: all namespaces, leader election in the release
     * namespace, started again whenever it exits (the pod's restartPolicy: Always).
     */
    synchronized OperatorProcess mainOperator() throws Exception {
        if (main == null) {
            main = OperatorProcess.start(
                    "operator-main",
                    operatorKubeconfig,
                    List.of("--leader-election=true", "--lease-namespace=" + SYSTEM_NS, "--log-level=info"),
                    true);
        }
        return main;
    }

    /** Stops the shared operator (SIGTERM) so a test can run its own processes. */
    synchronized void stopMainOperator() throws Exception {
        if (main != null) {
            main.close();
            main = null;
        }
    }

    Path operatorKubeconfig() {
        return operatorKubeconfig;
    }

    /** The user name the API server knows the chart's service account by. */
    static String serviceAccountUser(String namespace, String name) {
        return "system:serviceaccount:" + namespace + ":" + name;
    }

    /** A kubeconfig with a fresh token of {@code namespace/name} (TokenRequest, as a pod gets one). */
    Path serviceAccountKubeconfig(String namespace, String name) throws Exception {
        String token = kubectl("create", "token", name, "-n", namespace, "--duration=12h")
                .trim();
        Path file = Files.createTempFile("sa-" + name, ".kubeconfig");
        Files.writeString(file, rig.tokenKubeconfig(name, token, namespace));
        file.toFile().deleteOnExit();
        return file;
    }

    /** A namespace for one test, deleted by the test when done. */
    void createNamespace(String name) {
        admin.namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(name)
                        .endMetadata()
                        .build())
                .createOr(r -> r.update());
    }

    String kubectl(String... args) throws Exception {
        return kubectlIn(null, args);
    }

    /** kubectl as the cluster admin; {@code stdin} may be null. Fails unless it exits 0. */
    String kubectlIn(String stdin, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(
                List.of(kubectl, "--kubeconfig", rig.adminKubeconfig().toString()));
        cmd.addAll(List.of(args));
        return Commands.run(cmd, stdin, true);
    }

    /** kubectl expected to fail: returns its output. */
    String kubectlFails(String stdin, String... args) throws Exception {
        try {
            String out = kubectlIn(stdin, args);
            throw new AssertionError("kubectl " + String.join(" ", args) + " succeeded but should have failed: " + out);
        } catch (IllegalStateException e) {
            return e.getMessage();
        }
    }

    String helm(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(
                List.of(helm, "--kubeconfig", rig.adminKubeconfig().toString()));
        cmd.addAll(List.of(args));
        return Commands.run(cmd, null, true);
    }

    /**
     * Asserts that the API server's authorizer refused none of {@code user}'s requests so far (its
     * audit log), but in the seconds after an API server restart, when its RBAC cache is empty.
     */
    void assertNothingForbidden(String user) throws Exception {
        List<KubeRig.AuditEntry> all = rig.audit(user);
        assertThat(all).as("requests by " + user + " in the audit log").isNotEmpty();
        List<String> refused = all.stream()
                .filter(e -> e.forbiddenByAuthorizer() && !rig.duringRestart(e.received()))
                .map(e -> e.verb() + " " + e.uri())
                .distinct()
                .collect(Collectors.toList());
        assertThat(refused)
                .as("requests of " + user + " the RBAC authorizer refused")
                .isEmpty();
    }
}
