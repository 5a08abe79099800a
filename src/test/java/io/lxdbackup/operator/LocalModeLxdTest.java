package io.lxdbackup.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lxdbackup.operator.config.OperatorSettings;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.testing.Commands;
import io.lxdbackup.operator.testing.LxdRig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Local mode as the README's quick start uses it: the entry point started in-process with a
 * kubeconfig path and daemon A's unix socket, then kubectl with the written kubeconfig sees the
 * ready-made {@code local} remote Ready, and the example the banner points at (with only the
 * instance name replaced) takes a real snapshot and removes it again.
 */
@Tag("lxd")
class LocalModeLxdTest {
    static final Duration T = Duration.ofMinutes(2);

    @Test
    void quickStartWorksWithKubectl() throws Exception {
        LxdRig rig = LxdRig.require();
        String kubectl = tool("KUBECTL");
        Path kubeconfig = Files.createTempDirectory("local-mode").resolve("kubeconfig");
        String[] args = {
            "--api-port=0", "--http-port=0", "--kubeconfig=" + kubeconfig, "--lxd-socket=" + rig.get("a.socket")
        };
        LxdClient a = rig.clientA();
        String instance = rig.createInstance(a, "local");
        try (LocalMode.Session session = LocalMode.start(args, OperatorSettings.from(args, Map.of(), false))) {
            String banner = session.banner();
            assertThat(banner)
                    .contains(
                            "export KUBECONFIG=" + kubeconfig,
                            "kubectl apply --validate=false -f "
                                    + Path.of(LocalMode.EXAMPLE).toAbsolutePath(),
                            "'local' -> unix://" + rig.get("a.socket"));
            assertThat(Path.of(LocalMode.EXAMPLE))
                    .as("the example the banner points at")
                    .exists();
            assertThat(kubeconfig).exists();

            List<String> k = List.of(kubectl, "--kubeconfig", kubeconfig.toString());
            assertThat(run(with(k, "get", "lxdremotes"), null)).contains("local");
            await().atMost(T)
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> run(
                                    with(
                                            k,
                                            "get",
                                            "lxdremotes",
                                            "-o",
                                            "jsonpath={range .items[*]}{.metadata.name}={.status.phase}{\"\\n\"}{end}"),
                                    null)
                            .contains("local=Ready"));

            String example = Files.readString(Path.of(LocalMode.EXAMPLE));
            assertThat(example).contains("remoteRef:\n    name: local", "instance: lxdbackup-demo");
            String out = run(
                    with(k, "apply", "--validate=false", "-f", "-"),
                    example.replace("instance: lxdbackup-demo", "instance: " + instance));
            assertThat(out).contains("instancesnapshot.lxdbackup.io/demo-first created");
            await().atMost(T)
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> run(with(k, "get", "isnap", "demo-first", "-o", "jsonpath={.status.phase}"), null)
                            .equals("Ready"));
            assertThat(a.snapshotExists(instance, "first"))
                    .as("the LXD snapshot")
                    .isTrue();

            run(with(k, "delete", "isnap", "demo-first", "--wait=false"), null);
            await().atMost(T).pollInterval(Duration.ofMillis(500)).until(() -> !a.snapshotExists(instance, "first"));
            await().atMost(T)
                    .pollInterval(Duration.ofMillis(500))
                    .until(() ->
                            run(with(k, "get", "isnap", "-o", "name"), null).isBlank());
        } finally {
            LxdRig.deleteQuietly(a, instance);
            a.close();
        }
    }

    /**
     * kubectl sends the written kubeconfig's bearer token to the plain-http loopback API (client-go
     * does not keep it back for http), so get and apply work; the same kubeconfig without the
     * token, or with another one, is refused as Unauthorized. Needs kubectl only, no LXD.
     */
    @Test
    void kubectlSendsTheKubeconfigsToken() throws Exception {
        String kubectl = tool("KUBECTL");
        Path dir = Files.createTempDirectory("local-token");
        Path kubeconfig = dir.resolve("kubeconfig");
        String[] args = {"--api-port=0", "--http-port=0", "--kubeconfig=" + kubeconfig, "--lxd-socket="};
        try (LocalMode.Session session = LocalMode.start(args, OperatorSettings.from(args, Map.of(), false))) {
            String token = session.api().token();
            String written = Files.readString(kubeconfig);
            assertThat(written)
                    .contains("server: https://127.0.0.1:", "certificate-authority-data: ", "token: " + token);
            assertThat(Files.getPosixFilePermissions(kubeconfig))
                    .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

            List<String> k = List.of(kubectl, "--kubeconfig", kubeconfig.toString());
            String remote = """
                    apiVersion: lxdbackup.io/v1alpha1
                    kind: LxdRemote
                    metadata:
                      name: by-kubectl
                    spec:
                      url: unix:///nonexistent/lxd.socket
                    """;
            assertThat(Commands.run(with(k, "apply", "--validate=false", "-f", "-"), remote, true))
                    .contains("lxdremote.lxdbackup.io/by-kubectl created");
            assertThat(session.client()
                            .resources(io.lxdbackup.operator.api.v1alpha1.LxdRemote.class)
                            .inNamespace("default")
                            .withName("by-kubectl")
                            .get())
                    .as("what kubectl applied")
                    .isNotNull();
            assertThat(run(with(k, "get", "lxdremotes", "-o", "name"), null))
                    .contains("lxdremote.lxdbackup.io/by-kubectl");
            // the operator (its own client) reconciled it: kubectl sees a phase
            await().atMost(T)
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> !run(with(k, "get", "lxdremote", "by-kubectl", "-o", "jsonpath={.status.phase}"), null)
                            .isBlank());

            // the same kubeconfig without the token, or with another, is refused
            for (String other : List.of("", "not-the-token")) {
                Path changed = dir.resolve("kubeconfig-" + (other.isEmpty() ? "none" : other));
                Files.writeString(
                        changed,
                        other.isEmpty()
                                ? written.replace("    token: " + token + "\n", "    {}\n")
                                        .replace("  user:\n    {}", "  user: {}")
                                : written.replace(token, other));
                assertThat(Files.readString(changed)).doesNotContain(token);
                ProcessResult r = runStatus(
                        List.of(kubectl, "--kubeconfig", changed.toString(), "get", "lxdremotes", "-o", "name"));
                assertThat(r.exit()).as(r.output()).isNotZero();
                assertThat(r.output()).doesNotContain("by-kubectl");
                if (!other.isEmpty()) {
                    // (with no credentials at all kubectl asks for a user name before it asks the server)
                    assertThat(r.output()).containsAnyOf("Unauthorized", "must be logged in");
                }
            }
        }
    }

    record ProcessResult(int exit, String output) {}

    static ProcessResult runStatus(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (!p.waitFor(2, java.util.concurrent.TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", cmd) + " did not finish: " + out);
        }
        return new ProcessResult(p.exitValue(), out);
    }

    static List<String> with(List<String> base, String... more) {
        List<String> cmd = new ArrayList<>(base);
        cmd.addAll(List.of(more));
        return cmd;
    }

    static String tool(String name) throws Exception {
        return Commands.tool(name);
    }

    static String run(List<String> cmd, String stdin) throws IOException, InterruptedException {
        return Commands.run(cmd, stdin, false);
    }
}
