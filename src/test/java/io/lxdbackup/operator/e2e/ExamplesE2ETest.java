package io.lxdbackup.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.testing.ExampleFiles;
import io.lxdbackup.operator.testing.LxdRig;
import io.lxdbackup.operator.testing.S3Server;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.model.CreateBucketRequest;

/**
 * Every file in {@code examples/} applied with kubectl to a real API server (its OpenAPI and CEL
 * validation on), reconciled by the packaged operator under the chart's RBAC, against the LXD rig
 * and s3proxy, reaches its successful state; {@code kubectl describe} shows the operator's Events.
 */
class ExamplesE2ETest {
    static final Duration T = Duration.ofMinutes(3);
    static final String NS = "e2e-examples";
    static E2eCluster cluster;
    static LxdRig rig;
    static S3Server s3;
    static LxdClient a;
    static LxdClient b;
    static final List<String> applied = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        cluster = E2eCluster.get();
        rig = LxdRig.require();
        a = rig.clientA();
        b = rig.clientB();
        cleanLxd();
        for (String name : List.of("web1", "db1")) {
            a.waitFor(a.createInstanceFromImage(name, rig.image(), Map.of("security.privileged", "true")), T);
            a.writeFile(name, "/root/data.txt", ("data of " + name).getBytes(StandardCharsets.UTF_8), 0644);
        }
        a.createVolume(rig.get("storage.pool"), "data", Map.of());
        // instance-export-with-volumes.yaml: app1 with the custom volume app-data attached
        a.waitFor(a.createInstanceFromImage("app1", rig.image(), Map.of("security.privileged", "true")), T);
        a.createVolume(rig.get("storage.pool"), "app-data", Map.of());
        Files.writeString(
                rig.volumeDir("a", rig.get("storage.pool"), "app-data").resolve("data.txt"), "data of app1");
        rig.lxc(
                "a",
                "storage",
                "volume",
                "attach",
                rig.get("storage.pool"),
                "app-data",
                "app1",
                "appdata",
                "/srv/data");
        java.nio.file.Files.writeString(
                rig.volumeDir("a", rig.get("storage.pool"), "data").resolve("data.txt"), "data of the volume");
        s3 = S3Server.start();
        try (var raw = s3.rawClient()) {
            raw.createBucket(CreateBucketRequest.builder().bucket("lxd-backups").build());
        }
        cluster.createNamespace(NS);
        cluster.kubectl(
                "create",
                "secret",
                "tls",
                "lxd-a-client",
                "-n",
                NS,
                "--cert=" + rig.get("client.crt"),
                "--key=" + rig.get("client.key"));
        cluster.kubectl(
                "create",
                "secret",
                "tls",
                "lxd-backup-client",
                "-n",
                NS,
                "--cert=" + rig.get("client.crt"),
                "--key=" + rig.get("client.key"));
        cluster.kubectl(
                "create",
                "secret",
                "generic",
                "s3-creds",
                "-n",
                NS,
                "--type=lxdbackup.io/s3-credentials",
                "--from-literal=AWS_ACCESS_KEY_ID=" + S3Server.IDENTITY,
                "--from-literal=AWS_SECRET_ACCESS_KEY=" + S3Server.CREDENTIAL);
        cluster.mainOperator();
    }

    @AfterAll
    static void stop() throws Exception {
        if (cluster != null) {
            cluster.kubectl("delete", "namespace", NS, "--wait=true", "--timeout=180s");
        }
        if (a != null) {
            cleanLxd();
            a.close();
            b.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    static void cleanLxd() {
        LxdRig.deleteQuietly(a, "web1", "db1", "web1-restored", "app1");
        LxdRig.deleteQuietly(b, "db1", "app1");
        rig.deleteVolumesQuietly(a, "data", "app-data");
        rig.deleteVolumesQuietly(b, "data", "data-restored", "app-data");
    }

    static void apply(String file, String... flags) throws Exception {
        applied.add(file);
        List<String> args = new ArrayList<>(List.of("apply", "-f", "-"));
        args.addAll(List.of(flags));
        String out = cluster.kubectlIn(
                E2eObjects.example(file, NS, rig, s3.endpoint().toString()), args.toArray(String[]::new));
        assertThat(out).contains("lxdbackup.io");
    }

    Map<String, Object> await(String plural, String name, String field, String value) {
        return E2eObjects.awaitStatus(cluster, NS, plural, name, field, value, T);
    }

    @Test
    void everyExampleReachesItsSuccessfulStateUnderTheChartsRbac() throws Exception {
        // one with server-side apply, as GitOps tools do: the operator's status writes never conflict with it
        apply("lxdremote.yaml", "--server-side", "--field-manager=gitops");
        apply("lxdremote-backup.yaml");
        await("lxdremotes", "lxd-a", "phase", "Ready");
        await("lxdremotes", "lxd-backup", "phase", "Ready");
        apply("lxdremote.yaml", "--server-side", "--field-manager=gitops");

        apply("backupstore.yaml");
        await("backupstores", "s3-main", "phase", "Available");

        // kubectl get -w, as a user follows a backup: the row appears and changes to Ready
        Path watched = Files.createTempFile("get-w", ".txt");
        Process watch = new ProcessBuilder(
                        cluster.kubectl,
                        "--kubeconfig",
                        cluster.rig.adminKubeconfig().toString(),
                        "get",
                        "isnap",
                        "-n",
                        NS,
                        "-w")
                .redirectErrorStream(true)
                .redirectOutput(watched.toFile())
                .start();
        apply("instancesnapshot.yaml");
        await("instancesnapshots", "web1-before-upgrade", "phase", "Ready");
        try {
            org.awaitility.Awaitility.await()
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> Files.readString(watched)
                            .lines()
                            .anyMatch(l -> l.startsWith("web1-before-upgrade") && l.contains("Ready")));
        } finally {
            watch.destroy();
        }
        assertThat(Files.readString(watched)
                        .lines()
                        .filter(l -> l.startsWith("web1-before-upgrade"))
                        .count())
                .as("kubectl get -w printed the row and its changes")
                .isGreaterThan(1);
        assertThat(a.snapshotExists("web1", "before-upgrade")).isTrue();

        apply("snapshotschedule.yaml");
        assertThat(await("snapshotschedules", "daily", "phase", "Active").get("nextScheduleTime"))
                .isNotNull();

        apply("snapshotschedule-numbered.yaml");
        await("snapshotschedules", "hourly-numbered", "phase", "Active");

        apply("instanceexport.yaml");
        Map<String, Object> export = await("instanceexports", "web1-export", "phase", "Completed");
        assertThat(((Map<?, ?>) export.get("object")).get("sha256").toString()).hasSize(64);

        apply("instancerestore.yaml");
        await("instancerestores", "web1-restore", "phase", "Completed");
        assertThat(new String(a.readFile("web1-restored", "/root/data.txt"), StandardCharsets.UTF_8))
                .isEqualTo("data of web1");

        apply("exportschedule.yaml");
        await("exportschedules", "weekly-offsite", "phase", "Active");

        apply("backupverification.yaml");
        await("backupverifications", "web1-nightly-drill", "phase", "Passed");
        // the export's own status shows the verification (printer column Verified)
        assertThat(cluster.kubectl("get", "iexp", "web1-export", "-n", NS))
                .contains("VERIFIED")
                .contains("True");

        apply("instancecopy.yaml");
        await("instancecopies", "db1-to-backup", "phase", "Synced");
        assertThat(new String(b.readFile("db1", "/root/data.txt"), StandardCharsets.UTF_8))
                .isEqualTo("data of db1");
        // takeover: the same copy promoted runs on the backup server
        apply("copy-promote.yaml");
        await("instancecopies", "db1-to-backup", "phase", "Promoted");
        assertThat(b.getInstance("db1").isRunning()).isTrue();
        assertThat(b.getInstance("db1").config()).doesNotContainKey("user.lxdbackup.copy-of");

        // custom volumes: the same kinds with spec.volume
        apply("volume-snapshot.yaml");
        await("instancesnapshots", "data-before-upgrade", "phase", "Ready");
        apply("volume-export.yaml");
        await("instanceexports", "data-export", "phase", "Completed");
        apply("volume-restore.yaml");
        await("instancerestores", "data-import", "phase", "Completed");
        await("instancerestores", "data-rollback", "phase", "Completed");
        assertThat(java.nio.file.Files.readString(
                        rig.volumeDir("b", "default", "data-restored").resolve("data.txt")))
                .isEqualTo("data of the volume");
        apply("volume-snapshotschedule.yaml");
        await("snapshotschedules", "volumes-hourly", "phase", "Active");
        apply("volume-exportschedule.yaml");
        await("exportschedules", "data-daily-offsite", "phase", "Active");
        apply("volume-copy.yaml");
        await("instancecopies", "data-to-backup", "phase", "Synced");
        assertThat(java.nio.file.Files.readString(
                        rig.volumeDir("b", "default", "data").resolve("data.txt")))
                .isEqualTo("data of the volume");
        // an instance exported and restored with its attached volume
        apply("instance-export-with-volumes.yaml");
        await("instanceexports", "app1-full", "phase", "Completed");
        await("instancerestores", "app1-restore", "phase", "Completed");
        assertThat(b.getInstance("app1").devices().get("appdata")).containsEntry("source", "app-data");
        assertThat(java.nio.file.Files.readString(
                        rig.volumeDir("b", "default", "app-data").resolve("data.txt")))
                .isEqualTo("data of app1");
        assertThat(cluster.kubectl("get", "iexp", "data-export", "-n", NS)).contains("VOLUME", "data");

        // what a user sees: the printer columns filled in, and the operator's Events in describe
        assertThat(cluster.kubectl("get", "iexp", "-n", NS)).contains("web1-export", "Completed");
        String described = cluster.kubectl("describe", "instanceexport", "web1-export", "-n", NS);
        assertThat(described).contains("Events:");
        assertThat(described.substring(described.indexOf("Events:"))).contains("lxd-backup-operator");
        assertThat(cluster.kubectl("describe", "instancesnapshot", "web1-before-upgrade", "-n", NS))
                .contains("Events:")
                .doesNotContain("Events:  <none>");

        // every example but the local-mode ones (LocalModeLxdTest) was applied here
        assertThat(new TreeSet<>(applied)).as("examples applied by this test").isEqualTo(ExampleFiles.forRealServers());
        cluster.assertNothingForbidden(E2eCluster.serviceAccountUser(E2eCluster.SYSTEM_NS, E2eCluster.SERVICE_ACCOUNT));
    }
}
