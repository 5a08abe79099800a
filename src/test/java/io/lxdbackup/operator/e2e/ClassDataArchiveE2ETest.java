package io.lxdbackup.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image's class-data archive, made as the Dockerfile makes it: the packaged jar's {@code train}
 * start under {@code -XX:ArchiveClassesAtExit} reconciles its training objects and exits by itself,
 * and a JVM started with that archive ({@code -Xshare:on}: it refuses to start when it cannot map
 * it) loads the operator's own classes from the archive instead of the jar.
 */
class ClassDataArchiveE2ETest {

    @TempDir
    Path dir;

    @Test
    void theTrainingStartWritesAnArchiveThatTheOperatorsClassesAreLoadedFrom() throws Exception {
        Path jar = Path.of(System.getProperty("operator.jar", "target/lxd-backup-operator.jar"));
        assertThat(jar).as("the packaged jar (./mvnw verify builds it)").isRegularFile();
        Path archive = dir.resolve("lxd-backup-operator.jsa");

        Run train = run(
                dir.resolve("train.log"),
                "-XX:ArchiveClassesAtExit=" + archive,
                "-Xlog:cds=off",
                "-jar",
                jar.toString(),
                "train",
                "--http-port=0");
        assertThat(train.exit)
                .as("the training start exits by itself, with 0\n" + train.output)
                .isZero();
        assertThat(train.output).contains("training start done:");
        assertThat(train.output).doesNotContain("done: 0 of the training objects reconciled");
        assertThat(archive).isRegularFile();
        assertThat(Files.size(archive)).as("archive size").isGreaterThan(10L << 20);

        Path classes = dir.resolve("classes.log");
        Run start = run(
                dir.resolve("help.log"),
                "-Xshare:on",
                "-XX:SharedArchiveFile=" + archive,
                "-Xlog:class+load=info:file=" + classes,
                "-jar",
                jar.toString(),
                "--help");
        assertThat(start.exit)
                .as("a start that maps the archive\n" + start.output)
                .isZero();
        assertThat(start.output).contains("usage: java -jar lxd-backup-operator.jar");
        List<String> fromArchive = Files.readAllLines(classes).stream()
                .filter(l -> l.contains("[class,load] io.lxdbackup.operator."))
                .toList();
        assertThat(fromArchive).as("operator classes loaded").isNotEmpty();
        assertThat(fromArchive)
                .as("operator classes come from the archive, not the jar")
                .allMatch(l -> l.contains("source: shared objects file"));
    }

    private record Run(int exit, String output) {}

    private static Run run(Path log, String... jvmArgs) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(jvmArgs));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("LXDBACKUP_") || k.startsWith("KUBERNETES_"));
        Process p = pb.start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("did not exit within 5 minutes: " + String.join(" ", cmd));
        }
        return new Run(p.exitValue(), Files.readString(log));
    }
}
