package io.lxdbackup.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.lxdbackup.operator.testing.LxdRig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The chart against a real API server: {@code helm install} creates every CRD (the server's
 * structural-schema and CEL cost checks pass), each becomes Established, {@code kubectl explain}
 * describes every kind, {@code kubectl get} shows the printer columns, and a namespaced install
 * ({@code watchNamespaces}) grants exactly the listed namespaces and nothing cluster-wide.
 */
class ChartE2ETest {
    static E2eCluster cluster;

    @BeforeAll
    static void install() throws Exception {
        cluster = E2eCluster.get();
    }

    static List<CustomResourceDefinition> ourCrds() {
        return cluster.admin.apiextensions().v1().customResourceDefinitions().list().getItems().stream()
                .filter(c -> c.getSpec().getGroup().equals("lxdbackup.io"))
                .toList();
    }

    @Test
    void everyCrdIsEstablishedAndExplained() throws Exception {
        long committed;
        try (Stream<Path> files = Files.list(Path.of("crds"))) {
            committed = files.filter(p -> p.toString().endsWith(".yml")).count();
        }
        await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> {
            List<CustomResourceDefinition> crds = ourCrds();
            assertThat(crds).hasSize((int) committed);
            for (CustomResourceDefinition crd : crds) {
                assertThat(crd.getStatus().getConditions())
                        .as(crd.getMetadata().getName())
                        .anySatisfy(c -> {
                            assertThat(c.getType()).isEqualTo("Established");
                            assertThat(c.getStatus()).isEqualTo("True");
                        });
            }
        });
        for (CustomResourceDefinition crd : ourCrds()) {
            String kind = crd.getSpec().getNames().getKind();
            String explained = cluster.kubectl("explain", kind.toLowerCase(Locale.ROOT));
            assertThat(explained)
                    .as("kubectl explain " + kind)
                    .contains("KIND:", kind, "DESCRIPTION:", "spec", "status");
            String spec = cluster.kubectl("explain", kind.toLowerCase(Locale.ROOT) + ".spec");
            assertThat(spec).as("kubectl explain " + kind + ".spec").contains("FIELDS:");
            // every field the user writes is described, not just listed
            assertThat(spec.lines().filter(l -> l.matches("^  [a-zA-Z]+\\t.*")).count())
                    .isPositive();
        }
        // the short names of the README answer
        assertThat(cluster.kubectl("api-resources", "--api-group=lxdbackup.io"))
                .contains("lxdr", "isnap", "ssched", "bstore", "iexp", "esched", "irestore", "icopy", "bver");
    }

    @Test
    void kubectlGetShowsThePrinterColumnsOfEveryKind() throws Exception {
        String ns = "e2e-columns";
        cluster.createNamespace(ns);
        try {
            // every example, as written (no operator needs to act on them for the columns to show);
            // copy-promote.yaml is a later stage of instancecopy.yaml's InstanceCopy (promote: true
            // cannot be set back), so it goes last
            try (Stream<Path> files = Files.list(Path.of("examples"))) {
                for (Path f : files.sorted(java.util.Comparator.comparing(
                                        (Path p) -> p.getFileName().toString().equals("copy-promote.yaml"))
                                .thenComparing(java.util.Comparator.naturalOrder()))
                        .toList()) {
                    cluster.kubectlIn(
                            Files.readString(f).replace("namespace: default", "namespace: " + ns), "apply", "-f", "-");
                }
            }
            for (CustomResourceDefinition crd : ourCrds()) {
                String plural = crd.getSpec().getNames().getPlural();
                List<CustomResourceColumnDefinition> columns =
                        crd.getSpec().getVersions().get(0).getAdditionalPrinterColumns();
                String header = cluster.kubectl("get", plural, "-n", ns)
                        .lines()
                        .findFirst()
                        .orElse("");
                assertThat(header).as("kubectl get " + plural).startsWith("NAME");
                for (CustomResourceColumnDefinition c : columns) {
                    if (c.getPriority() == null || c.getPriority() == 0) {
                        assertThat(header)
                                .as("kubectl get " + plural + " header")
                                .contains(c.getName().toUpperCase(Locale.ROOT));
                    }
                }
                String wide = cluster.kubectl("get", plural, "-n", ns, "-o", "wide")
                        .lines()
                        .findFirst()
                        .orElse("");
                for (CustomResourceColumnDefinition c : columns) {
                    assertThat(wide)
                            .as("kubectl get " + plural + " -o wide header")
                            .contains(c.getName().toUpperCase(Locale.ROOT));
                }
            }
        } finally {
            cluster.kubectl("delete", "namespace", ns, "--wait=false");
        }
    }

    @Test
    void aNamespacedInstallGrantsOnlyTheListedNamespaces() throws Exception {
        String release = "scoped";
        String releaseNs = "lxdbackup-scoped";
        String teamA = "e2e-team-a";
        String teamB = "e2e-team-b";
        cluster.createNamespace(teamA);
        cluster.createNamespace(teamB);
        cluster.helm(
                "install",
                release,
                "helm/lxd-backup-operator",
                "-n",
                releaseNs,
                "--create-namespace",
                "--skip-crds",
                "--set",
                "watchNamespaces={" + teamA + "}");
        String sa = release + "-lxd-backup-operator";
        String user = E2eCluster.serviceAccountUser(releaseNs, sa);
        try {
            Role role =
                    cluster.admin.rbac().roles().inNamespace(teamA).withName(sa).get();
            assertThat(role).as("Role in the watched namespace").isNotNull();
            assertThat(cluster.admin.rbac().clusterRoles().withName(sa).get())
                    .as("no ClusterRole for a namespaced install")
                    .isNull();
            assertThat(canI(user, "list", "instancesnapshots.lxdbackup.io", teamA))
                    .isTrue();
            assertThat(canI(user, "patch", "instancesnapshots.lxdbackup.io/status", teamA))
                    .isTrue();
            assertThat(canI(user, "get", "secrets", teamA)).isTrue();
            assertThat(canI(user, "list", "instancesnapshots.lxdbackup.io", teamB))
                    .isFalse();
            assertThat(canI(user, "get", "secrets", teamB)).isFalse();
            assertThat(canI(user, "get", "secrets", "kube-system")).isFalse();

            // the operator under that account, told to watch the namespace, works and is never refused
            LxdRig lxd = LxdRig.require();
            cluster.stopMainOperator();
            try (OperatorProcess op = OperatorProcess.start(
                    "operator-scoped",
                    cluster.serviceAccountKubeconfig(releaseNs, sa),
                    List.of("--namespaces=" + teamA, "--leader-election=true", "--lease-namespace=" + releaseNs))) {
                E2eObjects.remote(cluster, teamA, "lxd-a", lxd, "a");
                E2eObjects.awaitStatus(cluster, teamA, "lxdremotes", "lxd-a", "phase", "Ready", Duration.ofMinutes(2));
                cluster.assertNothingForbidden(user);
                // cluster mode runs without local mode's in-memory API server: none of its classes, nor
                // those of the mock server library it is built on, is ever loaded
                assertThat(op.loadedClasses())
                        .as("classes loaded by the operator in cluster mode")
                        .hasSizeGreaterThan(1000)
                        .noneMatch(c -> c.startsWith("io.fabric8.mockwebserver.")
                                || c.startsWith("io.fabric8.kubernetes.client.server.mock.")
                                || c.startsWith("io.lxdbackup.operator.local.")
                                || c.equals("io.lxdbackup.operator.LocalMode"));
            }
        } finally {
            cluster.helm("uninstall", release, "-n", releaseNs);
            cluster.kubectl("delete", "namespace", teamA, teamB, releaseNs, "--wait=false");
        }
    }

    static boolean canI(String user, String verb, String resource, String ns) throws Exception {
        try {
            return cluster.kubectl("auth", "can-i", verb, resource, "-n", ns, "--as", user)
                    .trim()
                    .equals("yes");
        } catch (IllegalStateException e) {
            // kubectl auth can-i exits 1 for "no"
            if (e.getMessage().contains("no")) {
                return false;
            }
            throw e;
        }
    }
}
