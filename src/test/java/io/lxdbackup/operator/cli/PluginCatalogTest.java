package io.lxdbackup.operator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.lxdbackup.operator.api.v1alpha1.BackupStore;
import io.lxdbackup.operator.api.v1alpha1.BackupStoreSpec;
import io.lxdbackup.operator.api.v1alpha1.BackupStoreStatus;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.api.v1alpha1.S3Store;
import io.lxdbackup.operator.api.v1alpha1.StoredExport;
import io.lxdbackup.operator.controller.BackupStoreReconciler;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code backups} beyond the store's 500 listed exports when the user may not read the store's
 * credentials Secret (RBAC answers 403): {@code --all} fails saying so, the plain listing warns
 * and falls back to the status list. The in-memory API of the LXD tests has no RBAC, hence a
 * mock API server here.
 */
class PluginCatalogTest {
    static final String BASE = "/apis/lxdbackup.io/v1alpha1/namespaces/default/";
    KubernetesMockServer server;
    KubernetesClient client;

    @BeforeEach
    void start() {
        server = new KubernetesMockServer(false);
        server.init();
        client = server.createClient();
        BackupStore bs = new BackupStore();
        bs.getMetadata().setName("s3");
        bs.getMetadata().setNamespace("default");
        S3Store s3 = new S3Store();
        s3.setBucket("b");
        s3.setEndpoint("http://127.0.0.1:1");
        s3.setCredentialsSecretRef(new ObjectRef("s3-creds"));
        BackupStoreSpec spec = new BackupStoreSpec();
        spec.setS3(s3);
        bs.setSpec(spec);
        List<StoredExport> listed = new ArrayList<>();
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        for (int i = 0; i < BackupStoreReconciler.MAX_LISTED; i++) {
            StoredExport e = new StoredExport();
            e.setKey("ns/r/p/web1/web1-" + i + ".tar.zst");
            e.setInstance("web1");
            e.setRemote("r");
            e.setSize(1024L);
            e.setCreatedAt(t0.plusSeconds(3600L * i).toString());
            listed.add(e);
        }
        BackupStoreStatus status = new BackupStoreStatus();
        status.setExports(listed);
        bs.setStatus(status);
        server.expect()
                .get()
                .withPath(BASE + "backupstores/s3")
                .andReturn(200, bs)
                .always();
        server.expect()
                .get()
                .withPath(BASE + "instanceexports")
                .andReturn(
                        200,
                        "{\"apiVersion\":\"lxdbackup.io/v1alpha1\",\"kind\":\"InstanceExportList\",\"metadata\":{},\"items\":[]}")
                .always();
        server.expect()
                .get()
                .withPath("/api/v1/namespaces/default/secrets/s3-creds")
                .andReturn(
                        403,
                        new StatusBuilder()
                                .withCode(403)
                                .withReason("Forbidden")
                                .withMessage("secrets \"s3-creds\" is forbidden")
                                .build())
                .always();
    }

    @AfterEach
    void stop() {
        client.close();
        server.destroy();
    }

    record Run(int code, String out, String err) {}

    Run run(String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = new Plugin(new PrintStream(out), new PrintStream(err), Clock.systemUTC(), false)
                .withClient(client)
                .execute(List.of(argv));
        return new Run(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void allFailsClearlyWhenTheSecretMayNotBeRead() {
        Run r = run("backups", "--store", "s3", "--all");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err())
                .startsWith("error: you may not read Secret s3-creds (the credentials of BackupStore s3) in "
                        + "namespace default")
                .contains("without --all")
                .doesNotContain("\tat ");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void aFullStatusListFallsBackWithAWarningNewestFirst() {
        Run r = run("backups", "--store", "s3");
        assertThat(r.code()).isZero();
        assertThat(r.err())
                .startsWith("warning: BackupStore s3 lists only its newest 500 exports and its bucket could not"
                        + " be read: you may not read Secret s3-creds");
        List<String> lines = r.out().lines().toList();
        assertThat(lines).hasSize(1 + BackupStoreReconciler.MAX_LISTED);
        assertThat(lines.get(1)).contains("web1-499.tar.zst");
        assertThat(lines.get(lines.size() - 1)).contains("web1-0.tar.zst");
    }
}
