package io.lxdbackup.operator.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.lxd.LxdTarget;
import io.lxdbackup.operator.testing.Commands;
import io.lxdbackup.operator.testing.ExampleFiles;
import io.lxdbackup.operator.testing.Fixtures;
import io.lxdbackup.operator.testing.LxdRig;
import io.lxdbackup.operator.testing.OperatorHarness;
import io.lxdbackup.operator.testing.S3Server;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.model.CreateBucketRequest;

/**
 * Every file in {@code examples/} applied with kubectl to the operator as in production (the
 * in-memory API server of local mode), against the real LXD rig and s3proxy. Only the
 * connection details the examples tell the user to replace (server URLs, fingerprints, the S3
 * endpoint) are substituted; everything else is applied as written, and each object must reach
 * its success state.
 */
@Tag("lxd")
class ExamplesLxdTest {
    static final Duration T = Duration.ofMinutes(3);
    static LxdRig rig;
    static OperatorHarness op;
    static KubernetesClient kube;
    static S3Server s3;
    static LxdClient a;
    static LxdClient b;
    static Path kubeconfig;
    static String kubectl;

    @BeforeAll
    static void start() throws Exception {
        rig = LxdRig.require();
        kubectl = tool("KUBECTL");
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
        Files.writeString(
                rig.volumeDir("a", rig.get("storage.pool"), "data").resolve("data.txt"), "data of the volume");
        s3 = S3Server.start();
        try (var raw = s3.rawClient()) {
            raw.createBucket(CreateBucketRequest.builder().bucket("lxd-backups").build());
        }
        op = new OperatorHarness().start();
        kube = op.kube();
        kubeconfig = Files.createTempFile("examples", ".kubeconfig");
        Files.writeString(kubeconfig, op.api().kubeconfig());
        kube.secrets()
                .inNamespace(Fixtures.NS)
                .resource(Fixtures.tlsSecret("lxd-a-client", rig.read("client.crt"), rig.read("client.key")))
                .create();
        kube.secrets()
                .inNamespace(Fixtures.NS)
                .resource(Fixtures.tlsSecret("lxd-backup-client", rig.read("client.crt"), rig.read("client.key")))
                .create();
        kube.secrets()
                .inNamespace(Fixtures.NS)
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName("s3-creds")
                        .withNamespace(Fixtures.NS)
                        .endMetadata()
                        .withType("lxdbackup.io/s3-credentials")
                        .withStringData(Map.of(
                                "AWS_ACCESS_KEY_ID", S3Server.IDENTITY, "AWS_SECRET_ACCESS_KEY", S3Server.CREDENTIAL))
                        .build())
                .create();
    }

    @AfterAll
    static void stop() throws Exception {
        if (op != null) {
            op.close();
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

    @Test
    void everyExampleWorksAsWritten() throws Exception {
        apply("lxdremote.yaml");
        apply("lxdremote-backup.yaml");
        awaitField("lxdremotes", "lxd-a", "phase", "Ready");
        awaitField("lxdremotes", "lxd-backup", "phase", "Ready");

        apply("backupstore.yaml");
        awaitField("backupstores", "s3-main", "phase", "Available");

        apply("instancesnapshot.yaml");
        awaitField("instancesnapshots", "web1-before-upgrade", "phase", "Ready");
        assertThat(a.snapshotExists("web1", "before-upgrade")).isTrue();

        apply("snapshotschedule.yaml");
        Map<String, Object> sched = awaitField("snapshotschedules", "daily", "phase", "Active");
        assertThat(sched.get("nextScheduleTime")).isNotNull();

        apply("snapshotschedule-numbered.yaml");
        awaitField("snapshotschedules", "hourly-numbered", "phase", "Active");

        apply("instanceexport.yaml");
        Map<String, Object> export = awaitField("instanceexports", "web1-export", "phase", "Completed");
        assertThat(((Map<?, ?>) export.get("object")).get("sha256").toString()).hasSize(64);

        apply("instancerestore.yaml");
        awaitField("instancerestores", "web1-restore", "phase", "Completed");
        assertThat(new String(a.readFile("web1-restored", "/root/data.txt"), StandardCharsets.UTF_8))
                .isEqualTo("data of web1");

        apply("exportschedule.yaml");
        awaitField("exportschedules", "weekly-offsite", "phase", "Active");

        apply("backupverification.yaml");
        Map<String, Object> verified = awaitField("backupverifications", "web1-nightly-drill", "phase", "Passed");
        assertThat(((Map<?, ?>) verified.get("summary")).get("drillsPassed")).isEqualTo(1);
        assertThat(b.listInstances().stream().map(i -> i.name()).filter(n -> n.startsWith("lxdbackup-drill-")))
                .isEmpty();

        apply("instancecopy.yaml");
        awaitField("instancecopies", "db1-to-backup", "phase", "Synced");
        assertThat(new String(b.readFile("db1", "/root/data.txt"), StandardCharsets.UTF_8))
                .isEqualTo("data of db1");
        // takeover: the same copy promoted runs on the backup server
        apply("copy-promote.yaml");
        awaitField("instancecopies", "db1-to-backup", "phase", "Promoted");
        assertThat(b.getInstance("db1").isRunning()).isTrue();
        assertThat(b.getInstance("db1").config()).doesNotContainKey("user.lxdbackup.copy-of");

        // custom volumes: the same kinds with spec.volume
        apply("volume-snapshot.yaml");
        awaitField("instancesnapshots", "data-before-upgrade", "phase", "Ready");
        assertThat(a.snapshotExists(LxdTarget.volume("default", "data"), "before-upgrade"))
                .isTrue();
        apply("volume-export.yaml");
        awaitField("instanceexports", "data-export", "phase", "Completed");
        Files.writeString(rig.volumeDir("a", "default", "data").resolve("data.txt"), "changed");
        apply("volume-restore.yaml");
        awaitField("instancerestores", "data-import", "phase", "Completed");
        awaitField("instancerestores", "data-rollback", "phase", "Completed");
        assertThat(Files.readString(
                        rig.volumeDir("b", "default", "data-restored").resolve("data.txt")))
                .isEqualTo("data of the volume");
        assertThat(Files.readString(rig.volumeDir("a", "default", "data").resolve("data.txt")))
                .isEqualTo("data of the volume");
        apply("volume-snapshotschedule.yaml");
        awaitField("snapshotschedules", "volumes-hourly", "phase", "Active");
        apply("volume-exportschedule.yaml");
        awaitField("exportschedules", "data-daily-offsite", "phase", "Active");
        apply("volume-copy.yaml");
        awaitField("instancecopies", "data-to-backup", "phase", "Synced");
        assertThat(Files.readString(rig.volumeDir("b", "default", "data").resolve("data.txt")))
                .isEqualTo("data of the volume");
        // an instance exported and restored with its attached volume
        apply("instance-export-with-volumes.yaml");
        awaitField("instanceexports", "app1-full", "phase", "Completed");
        awaitField("instancerestores", "app1-restore", "phase", "Completed");
        assertThat(b.getInstance("app1").devices().get("appdata")).containsEntry("source", "app-data");
        assertThat(java.nio.file.Files.readString(
                        rig.volumeDir("b", "default", "app-data").resolve("data.txt")))
                .isEqualTo("data of app1");

        // kubectl reads them back through the same API (what a user sees)
        String out = run(
                List.of(kubectl, "--kubeconfig", kubeconfig.toString(), "get", "isnap,iexp,irestore", "-o", "name"),
                null);
        assertThat(out)
                .contains(
                        "instancesnapshot.lxdbackup.io/web1-before-upgrade",
                        "instanceexport.lxdbackup.io/web1-export",
                        "instancerestore.lxdbackup.io/web1-restore");

        // no example goes untested: every file in examples/ was applied here, but the local-mode
        // ones, which LocalModeLxdTest applies to local mode's ready-made remote
        assertThat(new TreeSet<>(APPLIED)).as("examples applied by this test").isEqualTo(ExampleFiles.forRealServers());
        assertThat(Path.of("examples", "local-instancesnapshot.yaml"))
                .as("applied by LocalModeLxdTest")
                .exists();
    }

    static final List<String> APPLIED = new CopyOnWriteArrayList<>();

    /** kubectl apply of one example, with only the documented connection details replaced. */
    static void apply(String file) throws Exception {
        APPLIED.add(file);
        String yaml = ExampleFiles.read(file, rig, s3.endpoint().toString());
        String out = run(
                List.of(kubectl, "--kubeconfig", kubeconfig.toString(), "apply", "--validate=false", "-f", "-"), yaml);
        // copy-promote.yaml changes the InstanceCopy that instancecopy.yaml created
        assertThat(out).containsAnyOf("created", "configured");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> awaitField(String plural, String name, String field, String value) {
        ResourceDefinitionContext ctx = new ResourceDefinitionContext.Builder()
                .withGroup("lxdbackup.io")
                .withVersion("v1alpha1")
                .withPlural(plural)
                .withNamespaced(true)
                .build();
        await().atMost(T).pollInterval(Duration.ofMillis(500)).until(() -> {
            GenericKubernetesResource r = kube.genericKubernetesResources(ctx)
                    .inNamespace(Fixtures.NS)
                    .withName(name)
                    .get();
            Object status = r == null ? null : r.getAdditionalProperties().get("status");
            return status instanceof Map<?, ?> m && value.equals(m.get(field));
        });
        return (Map<String, Object>) kube.genericKubernetesResources(ctx)
                .inNamespace(Fixtures.NS)
                .withName(name)
                .get()
                .getAdditionalProperties()
                .get("status");
    }

    static String tool(String name) throws Exception {
        return Commands.tool(name);
    }

    static String run(List<String> cmd, String stdin) throws IOException, InterruptedException {
        return Commands.run(cmd, stdin, true);
    }
}
