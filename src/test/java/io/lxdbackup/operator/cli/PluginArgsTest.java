package io.lxdbackup.operator.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lxdbackup.operator.api.v1alpha1.InstanceExport;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshot;
import io.lxdbackup.operator.api.v1alpha1.Progress;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The plugin's argument parsing, naming and tables, without a cluster. */
class PluginArgsTest {
    static final Instant NOW = Instant.parse("2026-12-07T14:05:09Z");

    static Args parse(String command, String... argv) {
        return Args.parse(Plugin.COMMANDS.get(command), List.of(argv));
    }

    @Test
    void parsesValuesFlagsAndPositionals() {
        Args a = parse("snapshot", "web1", "--remote", "lxd-a", "--ttl=24h", "--wait", "-n", "team", "-ojson");
        assertThat(a.positional()).containsExactly("web1");
        assertThat(a.value("remote")).isEqualTo("lxd-a");
        assertThat(a.value("ttl")).isEqualTo("24h");
        assertThat(a.value("namespace")).isEqualTo("team");
        assertThat(a.value("output")).isEqualTo("json");
        assertThat(a.flag("wait")).isTrue();
        assertThat(parse("restore", "--from-key", "a/b.tar.gz", "--store", "s3", "--to", "web1", "--replace")
                        .flag("replace"))
                .isTrue();
    }

    @Test
    void refusesBadArguments() {
        assertThatThrownBy(() -> parse("snapshot", "web1", "--bogus"))
                .isInstanceOf(UsageException.class)
                .hasMessageContaining("unknown flag --bogus");
        assertThatThrownBy(() -> parse("snapshot"))
                .isInstanceOf(UsageException.class)
                .hasMessageContaining("missing argument");
        assertThatThrownBy(() -> parse("snapshot", "a", "b"))
                .isInstanceOf(UsageException.class)
                .hasMessageContaining("unexpected argument b");
        assertThatThrownBy(() -> parse("export", "web1", "--store"))
                .isInstanceOf(UsageException.class)
                .hasMessageContaining("--store needs a value");
        assertThatThrownBy(() -> parse("export", "web1", "--store", "a", "--store", "b"))
                .isInstanceOf(UsageException.class)
                .hasMessageContaining("given twice");
        assertThatThrownBy(() -> parse("copy", "web1", "--wait=yes"))
                .isInstanceOf(UsageException.class)
                .hasMessageContaining("takes no value");
        assertThatThrownBy(() -> parse("backups", "-o", "wide"))
                .isInstanceOf(UsageException.class)
                .hasMessageContaining("yaml or json");
        assertThatThrownBy(() -> parse("backups", "-x"))
                .isInstanceOf(UsageException.class)
                .hasMessageContaining("unknown flag -x");
        assertThatThrownBy(() -> parse("export", "web1").required("store"))
                .isInstanceOf(UsageException.class)
                .hasMessage("export: --store is required");
    }

    @Test
    void everyBadCommandLineExitsTwoWithAMessageAndNoStackTrace() {
        List<List<String>> bad = List.of(
                List.of(),
                List.of("nope"),
                List.of("snapshot"),
                List.of("snapshot", "web_1"),
                List.of("snapshot", "web1", "--ttl", "3days"),
                List.of("export", "web1"),
                List.of("restore", "--to", "x"),
                List.of("restore", "--from-export", "a", "--from-key", "k", "--to", "x"),
                List.of("restore", "--from-key", "k", "--to", "x"),
                List.of("restore", "--from-export", "a", "--store", "s", "--to", "x"),
                List.of("restore", "--from-export", "a"),
                List.of("copy", "web1"),
                List.of("describe", "web1"),
                List.of("describe", "pod/web1"),
                List.of("snapshot", "web1", "--kubeconfig", "/does/not/exist"),
                List.of("snapshot", "web1", "--timeout", "soon"));
        for (List<String> argv : bad) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int rc = new Plugin(new PrintStream(out), new PrintStream(err), Clock.fixed(NOW, ZoneOffset.UTC), false)
                    .execute(argv);
            assertThat(rc).as("exit code of %s", argv).isEqualTo(2);
            String e = err.toString(StandardCharsets.UTF_8);
            assertThat(e + out.toString(StandardCharsets.UTF_8))
                    .as("message of %s", argv)
                    .isNotBlank()
                    .doesNotContain("\tat ");
            if (!argv.isEmpty()) {
                assertThat(e).as("stderr of %s", argv).startsWith("error: ");
            }
        }
    }

    @Test
    void helpExitsZero() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int rc = new Plugin(new PrintStream(out), System.err, Clock.systemUTC(), false)
                .execute(List.of("restore", "--help"));
        assertThat(rc).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("--from-export NAME | --from-key KEY");
    }

    @Test
    void generatedNamesAreValidAndShort() {
        assertThat(Names.generate("web1", NOW)).isEqualTo("web1-20261207-140509");
        assertThat(Names.generate("Web_1--x", NOW)).isEqualTo("web-1-x-20261207-140509");
        String longName = Names.generate("a".repeat(80) + "-restore", NOW);
        assertThat(longName).hasSize(63).endsWith("-20261207-140509").matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
        assertThat(Names.generate("abc" + "-".repeat(60), NOW)).isEqualTo("abc-20261207-140509");
    }

    @Test
    void kindsByEveryName() {
        assertThat(Plugin.kindAndName("export/x").type()).isEqualTo(InstanceExport.class);
        assertThat(Plugin.kindAndName("iexp/x").type()).isEqualTo(InstanceExport.class);
        assertThat(Plugin.kindAndName("InstanceExport/x").type()).isEqualTo(InstanceExport.class);
        assertThat(Plugin.kindAndName("instanceexports.lxdbackup.io/x").type()).isEqualTo(InstanceExport.class);
        assertThat(Plugin.kindAndName("isnap/x").type()).isEqualTo(InstanceSnapshot.class);
        assertThatThrownBy(() -> Plugin.kindAndName("pod/x"))
                .isInstanceOf(UsageException.class)
                .hasMessageContaining("unknown kind pod");
        assertThatThrownBy(() -> Plugin.kindAndName("export/")).isInstanceOf(UsageException.class);
    }

    @Test
    void tablesInKubectlStyle() {
        String t = new Table("name", "phase", "age")
                .row("web1-20261207", "Ready", "5s")
                .row("db", null, "12m")
                .render();
        assertThat(t).isEqualTo("""
        NAME            PHASE    AGE
        web1-20261207   Ready    5s
        db              <none>   12m
        """);
        assertThat(Table.bytes(512L)).isEqualTo("512B");
        assertThat(Table.bytes(1536L)).isEqualTo("1.5KiB");
        assertThat(Plugin.age(Duration.ofSeconds(45))).isEqualTo("45s");
        assertThat(Plugin.age(Duration.ofMinutes(30))).isEqualTo("30m");
        assertThat(Plugin.age(Duration.ofHours(5))).isEqualTo("5h");
        assertThat(Plugin.age(Duration.ofDays(3))).isEqualTo("3d");
    }

    @Test
    void progressBar() {
        Progress p = new Progress();
        p.setBytesDone(512L * 1024 * 1024);
        p.setTotalBytes(1024L * 1024 * 1024);
        p.setPercent(50);
        assertThat(ProgressBar.bar(p)).isEqualTo("[###############---------------]  50% (512.0MiB of 1.0GiB)");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ProgressBar plain = new ProgressBar(new PrintStream(out), false);
        plain.update("CreatingBackup", null);
        plain.update("Uploading", p);
        plain.update("Uploading", p);
        plain.update("Completed", p);
        plain.end();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("""
        CreatingBackup
        Uploading  50% (512.0MiB of 1.0GiB)
        Completed  50% (512.0MiB of 1.0GiB)
        """);
    }
}
