package io.lxdbackup.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.lxdbackup.operator.config.OperatorSettings;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.testing.LxdRig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The README's quick start as a new user runs it, on the rig: {@code hack/run-local.sh} set up
 * against daemon A (its install steps find LXD answering and initialised, a JDK and kubectl), the
 * demo instance it creates, local mode started with the options the script would start it
 * with, then the banner's commands run verbatim in a shell (export, apply, wait for Ready,
 * delete), and {@code --clean} removing the demo instance and image, and nothing else.
 */
@Tag("lxd")
class RunLocalScriptLxdTest {
    static final String DEMO = "lxdbackup-demo";

    @Test
    void quickStartFromTheScript() throws Exception {
        LxdRig rig = LxdRig.require();
        String lxdDir = Path.of(rig.get("a.socket")).getParent().toString();
        Path data = Files.createTempDirectory("run-local");
        Map<String, String> env = Map.of("LXD_DIR", lxdDir, "LXDBACKUP_LOCAL_DATA", data.toString());
        LxdClient a = rig.clientA();
        String keep = rig.createInstance(a, "keep");
        try {
            assertThat(a.listInstances()).extracting(i -> i.name()).doesNotContain(DEMO);

            // set-up: --demo since the rig's daemon has instances (of this and other tests)
            String out = script(env, "--setup-only", "--no-build", "--demo", "--api-port=0", "--http-port=0");
            assertThat(out)
                    .contains(
                            "LXD: lxd " + rig.get("lxd.version") + " answers on " + rig.get("a.socket"),
                            "importing the demo image",
                            "creating and starting the demo instance '" + DEMO + "'",
                            "kubectl: ",
                            "JDK: ");
            assertThat(out)
                    .as("install steps found done")
                    .doesNotContain("installing", "starting the LXD daemon", "storage pool");
            assertThat(rig.lxc("a", "config", "get", DEMO, "user.lxdbackup.demo")
                            .strip())
                    .isEqualTo("true");
            assertThat(Files.readString(data.resolve("run-local.state")))
                    .contains("instance=" + DEMO, "image=", "lxd_dir=" + lxdDir)
                    .doesNotContain("pool=", "daemon_started=", "packages=");

            // a second set-up changes nothing
            String again = script(env, "--setup-only", "--no-build", "--demo", "--api-port=0", "--http-port=0");
            assertThat(again).contains("demo instance '" + DEMO + "': present").doesNotContain("importing", "creating");

            // local mode, with the options the script starts it with
            String command = again.lines()
                    .filter(l -> l.startsWith("local mode: "))
                    .findFirst()
                    .orElseThrow();
            List<String> words = Arrays.asList(command.split(" "));
            String[] args =
                    words.subList(words.indexOf("local") + 1, words.size()).toArray(String[]::new);
            assertThat(args)
                    .contains(
                            "--lxd-socket=" + rig.get("a.socket"),
                            "--demo-instance=" + DEMO,
                            "--kubeconfig=" + data.resolve("kubeconfig"));
            try (LocalMode.Session session = LocalMode.start(args, OperatorSettings.from(args, Map.of(), false))) {
                List<String> shell = bannerCommands(session.banner());
                assertThat(shell.getFirst()).startsWith("export KUBECONFIG=" + data.resolve("kubeconfig") + " PATH=");
                assertThat(shell).contains(LocalMode.WAIT);

                String applied = bash(String.join("\n", shell.subList(0, 3)));
                assertThat(applied).contains("instancesnapshot.lxdbackup.io/demo-first created", "condition met");
                assertThat(a.snapshotExists(DEMO, "first"))
                        .as("the LXD snapshot")
                        .isTrue();

                // after more than 10 s (a unix-socket connection idle that long once hung the delete)
                Thread.sleep(11_000);
                String deleted = bash(shell.getFirst() + "\n" + shell.get(3).replaceAll("\\s+#.*", ""));
                assertThat(deleted).contains("demo-first\" deleted");
                assertThat(a.snapshotExists(DEMO, "first")).isFalse();
            }

            String cleaned = script(env, "--clean");
            assertThat(cleaned)
                    .contains("deleting the demo instance '" + DEMO + "'", "deleting the demo image", "clean: done");
            assertThat(a.listInstances())
                    .extracting(i -> i.name())
                    .doesNotContain(DEMO)
                    .contains(keep);
            assertThat(rig.lxc("a", "image", "list", "--format", "csv", "-c", "l"))
                    .contains(rig.image())
                    .doesNotContain("lxdbackup-demo-busybox");
            assertThat(rig.lxc("a", "storage", "list", "--format", "csv")).contains(rig.get("storage.pool") + ",");
            assertThat(data.resolve("run-local.state")).doesNotExist();
            assertThat(script(env, "--clean")).contains("nothing to clean");
        } finally {
            if (Files.exists(data.resolve("run-local.state"))) {
                script(env, "--clean");
            }
            LxdRig.deleteQuietly(a, keep);
            a.close();
        }
    }

    /** The commands of the banner's "In another shell" block, comment lines left out. */
    static List<String> bannerCommands(String banner) {
        List<String> lines = new ArrayList<>();
        boolean in = false;
        for (String l : banner.lines().map(String::strip).toList()) {
            if (l.equals("In another shell:")) {
                in = true;
            } else if (in && l.isEmpty()) {
                break;
            } else if (in && !l.startsWith("#")) {
                lines.add(l);
            }
        }
        return lines;
    }

    static String script(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("bash", "hack/run-local.sh"));
        cmd.addAll(List.of(args));
        return exec(cmd, env);
    }

    static String bash(String script) throws IOException, InterruptedException {
        return exec(List.of("bash", "-euo", "pipefail", "-c", script), Map.of());
    }

    static String exec(List<String> cmd, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
        }
        return out;
    }
}
