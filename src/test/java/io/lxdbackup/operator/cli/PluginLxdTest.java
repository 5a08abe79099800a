package io.lxdbackup.operator.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.AccessMode;
import io.lxdbackup.operator.api.v1alpha1.BackupStore;
import io.lxdbackup.operator.api.v1alpha1.BackupStorePhase;
import io.lxdbackup.operator.api.v1alpha1.LxdRemote;
import io.lxdbackup.operator.api.v1alpha1.LxdRemotePhase;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.testing.Fixtures;
import io.lxdbackup.operator.testing.LxdRig;
import io.lxdbackup.operator.testing.OperatorHarness;
import io.lxdbackup.operator.testing.S3Server;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import software.amazon.awssdk.services.s3.model.CreateBucketRequest;

/**
 * {@code kubectl lxdbackup} end to end: the plugin runs as its own process, as a user runs it
 * (KUBECONFIG set, {@code Main plugin ...}), against the operator in local mode's in-memory API,
 * the real LXD rig and s3proxy. The process runs from the test classpath rather than the shaded
 * jar because surefire runs before {@code package}: the jar would be missing or stale in
 * {@code ./mvnw verify}; the launcher script only adds finding java and the jar.
 */
@Tag("lxd")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PluginLxdTest {
    static final Duration T = Duration.ofMinutes(3);
    static final Pattern CREATED = Pattern.compile("^([a-z]+)\\.lxdbackup\\.io/(\\S+) created$", Pattern.MULTILINE);
    static final String DATA = "data for the plugin test";
    static LxdRig rig;
    static OperatorHarness op;
    static KubernetesClient kube;
    static S3Server s3;
    static LxdClient a;
    static LxdClient b;
    static Path kubeconfig;
    static String instance;
    static final List<String> restored = new ArrayList<>();
    static String snapshotName;
    static String exportName;
    static String exportKey;

    record Result(int code, String out, String err) {}

    @BeforeAll
    static void start() throws Exception {
        rig = LxdRig.require();
        a = rig.clientA();
        b = rig.clientB();
        instance = rig.createInstance(a, "plug");
        a.writeFile(instance, "/root/data.txt", DATA.getBytes(StandardCharsets.UTF_8), 0644);
        s3 = S3Server.start();
        try (var raw = s3.rawClient()) {
            raw.createBucket(
                    CreateBucketRequest.builder().bucket("plugin-backups").build());
        }
        op = new OperatorHarness().start();
        kube = op.kube();
        kubeconfig = Files.createTempFile("plugin", ".kubeconfig");
        Files.writeString(kubeconfig, op.api().kubeconfig());
        Fixtures.remote(kube, rig, "lxd-a", "a", "5m");
        Fixtures.remote(kube, rig, "lxd-b", "b", "5m");
        Fixtures.backupStore(
                kube,
                "s3",
                s3.endpoint(),
                "plugin-backups",
                "site1",
                S3Server.IDENTITY,
                S3Server.CREDENTIAL,
                AccessMode.READ_WRITE);
        await().atMost(T).until(() -> {
            LxdRemote ra = kube.resources(LxdRemote.class)
                    .inNamespace(Fixtures.NS)
                    .withName("lxd-a")
                    .get();
            LxdRemote rb = kube.resources(LxdRemote.class)
                    .inNamespace(Fixtures.NS)
                    .withName("lxd-b")
                    .get();
            BackupStore bs = kube.resources(BackupStore.class)
                    .inNamespace(Fixtures.NS)
                    .withName("s3")
                    .get();
            return ra.getStatus() != null
                    && ra.getStatus().getPhase() == LxdRemotePhase.READY
                    && rb.getStatus() != null
                    && rb.getStatus().getPhase() == LxdRemotePhase.READY
                    && bs.getStatus() != null
                    && bs.getStatus().getPhase() == BackupStorePhase.AVAILABLE;
        });
    }

    @AfterAll
    static void stop() throws Exception {
        if (op != null) {
            op.close();
        }
        if (a != null) {
            LxdRig.deleteQuietly(a, restored.toArray(String[]::new));
            LxdRig.deleteQuietly(a, instance);
            LxdRig.deleteQuietly(b, instance);
            a.close();
            b.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    /** {@code kubectl lxdbackup ARGS} as its own process with KUBECONFIG set. */
    static Result plugin(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                "io.lxdbackup.operator.Main",
                "plugin"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("KUBECONFIG", kubeconfig.toString());
        Path err = Files.createTempFile("plugin", ".err");
        pb.redirectError(err.toFile());
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(5, TimeUnit.MINUTES))
                .as("plugin %s finished", List.of(args))
                .isTrue();
        Result r = new Result(p.exitValue(), out, Files.readString(err));
        Files.delete(err);
        return r;
    }

    static Result ok(String... args) throws Exception {
        Result r = plugin(args);
        assertThat(r.code())
                .as("exit code of %s; stdout:%n%s%nstderr:%n%s", List.of(args), r.out(), r.err())
                .isZero();
        assertThat(r.err()).as("stderr of %s", List.of(args)).isEmpty();
        return r;
    }

    static Result fails(int code, String message, String... args) throws Exception {
        Result r = plugin(args);
        assertThat(r.code())
                .as("exit code of %s; stderr: %s", List.of(args), r.err())
                .isEqualTo(code);
        assertThat(r.err()).startsWith("error: ").contains(message).doesNotContain("\tat ", "Exception in thread");
        if (code == 2) {
            assertThat(r.out()).as("nothing created for a bad argument").isEmpty();
        }
        return r;
    }

    static String created(Result r, String kind) {
        Matcher m = CREATED.matcher(r.out());
        assertThat(m.find()).as("created line in %s", r.out()).isTrue();
        assertThat(m.group(1)).isEqualTo(kind);
        return m.group(2);
    }

    @Test
    @Order(1)
    void snapshotWaitsUntilReady() throws Exception {
        fails(2, "has 2 LxdRemotes (lxd-a, lxd-b); choose one with --remote", "snapshot", instance);
        Result r = ok("snapshot", instance, "--remote", "lxd-a", "--ttl", "24h", "--wait");
        String name = created(r, "instancesnapshot");
        assertThat(name).startsWith(instance + "-").matches("[a-z0-9-]{1,63}");
        Matcher m =
                Pattern.compile("Ready: LXD snapshot " + instance + "/(\\S+)").matcher(r.out());
        assertThat(m.find()).as(r.out()).isTrue();
        assertThat(a.snapshotExists(instance, m.group(1))).isTrue();
        snapshotName = name;
        String d = ok("describe", "isnap/" + name).out();
        assertThat(d)
                .contains(
                        "Phase:        Ready",
                        "Conditions:",
                        "TYPE",
                        "Ready",
                        "lxd snapshot",
                        instance + "/" + m.group(1),
                        "Events:");
    }

    @Test
    @Order(2)
    void exportWaitsWithProgressAndIsListed() throws Exception {
        fails(
                1,
                "BackupStore nope not found in namespace default; BackupStores here: s3",
                "export",
                instance,
                "--store",
                "nope",
                "--remote",
                "lxd-a");
        Result r = ok("export", instance, "--store", "s3", "--remote", "lxd-a", "--wait");
        exportName = created(r, "instanceexport");
        assertThat(r.out()).contains("instanceexport.lxdbackup.io/" + exportName + " Completed: site1/");
        JsonNode desc = new ObjectMapper()
                .readTree(ok("describe", "export/" + exportName, "-o", "json").out());
        assertThat(desc.at("/status/phase").asText()).isEqualTo("Completed");
        exportKey = desc.at("/status/object/key").asText();
        String sha = desc.at("/status/object/sha256").asText();
        assertThat(sha).hasSize(64);
        assertThat(ok("describe", "iexp/" + exportName).out())
                .contains("Phase:        Completed", "Progress:", "100%", "backupstore/s3", exportKey, sha);

        String table = ok("backups").out();
        assertThat(table.lines().findFirst().orElseThrow())
                .matches("CREATED +INSTANCE +REMOTE +STORE +SIZE +EXPORT +KEY");
        assertThat(table).contains(instance, exportName, exportKey);
        JsonNode items = new ObjectMapper()
                .readTree(ok("backups", "--instance", instance, "-o", "json").out())
                .get("items");
        assertThat(items).hasSize(1);
        assertThat(items.get(0).get("key").asText()).isEqualTo(exportKey);
        assertThat(items.get(0).get("export").asText()).isEqualTo(exportName);
        // the bucket's manifests read directly, with the store's Secret as this user may read it
        String all =
                ok("backups", "--all", "--store", "s3", "--instance", instance).out();
        assertThat(all).contains(exportKey);
        Result none = plugin("backups", "--instance", "no-such-instance");
        assertThat(none.code()).isZero();
        assertThat(none.out()).isEmpty();
        assertThat(none.err()).isEqualTo("No backups found in default namespace.\n");
    }

    @Test
    @Order(3)
    void restoreFromExport() throws Exception {
        fails(1, "InstanceExport nope not found", "restore", "--from-export", "nope", "--to", "x1");
        String target = LxdRig.uniqueName("plugr");
        restored.add(target);
        Result r = ok("restore", "--from-export", exportName, "--to", target, "--wait");
        String name = created(r, "instancerestore");
        assertThat(r.out()).contains("Completed: instance " + target + " restored on lxd-a");
        assertThat(new String(a.readFile(target, "/root/data.txt"), StandardCharsets.UTF_8))
                .isEqualTo(DATA);
        assertThat(ok("describe", "irestore/" + name).out())
                .contains("Phase:        Completed", "instanceexport/" + exportName);
    }

    /** The README's three-command session: what can be restored, restore it, look at it. */
    @Test
    @Order(4)
    void threeCommandRestoreFromTheBucket() throws Exception {
        String target = LxdRig.uniqueName("plugk");
        restored.add(target);
        String table = ok("backups", "--store", "s3", "--instance", instance).out();
        String row = table.lines().skip(1).findFirst().orElseThrow();
        String key = row.substring(row.lastIndexOf(' ') + 1);
        assertThat(key).isEqualTo(exportKey);
        Result r = ok("restore", "--from-key", key, "--store", "s3", "--to", target, "--remote", "lxd-a", "--wait");
        String name = created(r, "instancerestore");
        String d = ok("describe", "instancerestore/" + name).out();
        // the session as the README shows it
        System.out.println("$ kubectl lxdbackup backups --store s3 --instance " + instance + "\n" + table
                + "$ kubectl lxdbackup restore --from-key " + key + " --store s3 --to " + target
                + " --remote lxd-a --wait\n"
                + r.out() + "$ kubectl lxdbackup describe instancerestore/" + name + "\n" + d);
        assertThat(d).contains("Phase:        Completed", "backupstore/s3 key " + key, "sha256");
        assertThat(new String(a.readFile(target, "/root/data.txt"), StandardCharsets.UTF_8))
                .isEqualTo(DATA);
        // an existing instance is not overwritten without --replace
        Result again = fails(
                1,
                "-restore-",
                "restore",
                "--from-key",
                key,
                "--store",
                "s3",
                "--to",
                target,
                "--remote",
                "lxd-a",
                "--wait",
                "--timeout",
                "3m");
        assertThat(again.out()).contains("instancerestore.lxdbackup.io/" + target + "-restore-");
        assertThat(again.err()).matches("(?s)error: InstanceRestore \\S+ Failed: \\w+: .*" + target + ".*");
    }

    @Test
    @Order(5)
    void copyToAnotherRemote() throws Exception {
        fails(
                1,
                "LxdRemote nope not found in namespace default; LxdRemotes here: lxd-a, lxd-b",
                "copy",
                instance,
                "--to",
                "nope",
                "--remote",
                "lxd-a");
        fails(2, "is the source remote", "copy", instance, "--to", "lxd-a", "--remote", "lxd-a");
        Result r = ok("copy", instance, "--to", "lxd-b", "--remote", "lxd-a", "--wait");
        String name = created(r, "instancecopy");
        assertThat(new String(b.readFile(instance, "/root/data.txt"), StandardCharsets.UTF_8))
                .isEqualTo(DATA);
        assertThat(ok("describe", "icopy/" + name).out())
                .contains("Phase:        Synced", "lxdremote/lxd-b instance " + instance);
        JsonNode json = new ObjectMapper()
                .readTree(ok("describe", "copy/" + name, "-o", "json").out());
        assertThat(json.at("/spec/targetRemoteRef/name").asText()).isEqualTo("lxd-b");
    }

    @Test
    @Order(6)
    void errorsOfAWorkingCluster() throws Exception {
        fails(1, "InstanceSnapshot nope not found in namespace default", "describe", "isnap/nope");
        fails(2, "unknown kind pod", "describe", "pod/x");
        fails(2, "unknown flag --bogus", "backups", "--bogus");
        fails(2, "give exactly one of --from-export NAME and --from-key KEY", "restore", "--to", "x");
        fails(1, "BackupStore nope not found", "backups", "--store", "nope");
        assertThat(ok("describe", "bstore/s3").out()).contains("Phase:        Available", "plugin-backups");
        assertThat(ok("describe", "isnap/" + snapshotName, "-o", "yaml").out())
                .containsPattern("kind: \"?InstanceSnapshot\"?");
    }
}
