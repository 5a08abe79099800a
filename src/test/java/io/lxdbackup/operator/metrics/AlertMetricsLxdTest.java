package io.lxdbackup.operator.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.AccessMode;
import io.lxdbackup.operator.api.v1alpha1.InstanceExport;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportSpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestore;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestorePhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestoreSpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshot;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotSpec;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.api.v1alpha1.RestoreSource;
import io.lxdbackup.operator.api.v1alpha1.SnapshotSchedule;
import io.lxdbackup.operator.api.v1alpha1.SnapshotScheduleSpec;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.testing.Fixtures;
import io.lxdbackup.operator.testing.LxdRig;
import io.lxdbackup.operator.testing.OperatorHarness;
import io.lxdbackup.operator.testing.S3Server;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * The chart's PrometheusRule and Grafana dashboard only use series the operator really exports:
 * a snapshot, an export, a restore of it, a snapshot that fails (its remote does not exist) and
 * a schedule that runs once, on the real LXD rig; then {@code /metrics} is scraped over HTTP and
 * every {@code lxdbackup_*} and {@code operator_sdk_*} name in the rendered rules' expressions
 * and the dashboard's queries must be in it ({@code up} comes from Prometheus itself).
 */
@Tag("lxd")
class AlertMetricsLxdTest {
    static final Duration T = Duration.ofMinutes(3);
    static final String BUCKET = "alert-metrics";
    static final Pattern NAME = Pattern.compile("\\b(?:lxdbackup|operator_sdk)_[a-z_]+\\b");
    static final Pattern SUFFIX = Pattern.compile("_(bucket|count|sum|max)$");

    @Test
    void everySeriesOfTheRulesAndTheDashboardIsExported() throws Exception {
        LxdRig rig = LxdRig.require();
        Set<String> used = usedNames();
        assertThat(used)
                .as("names found in the rules and the dashboard")
                .contains(
                        "lxdbackup_last_success_timestamp",
                        "lxdbackup_remote_ready",
                        "lxdbackup_reconcile_queue_depth");

        List<String> instances = new ArrayList<>();
        try (S3Server s3 = S3Server.start();
                LxdClient a = rig.clientA();
                OperatorHarness op = new OperatorHarness().start()) {
            s3.createBucket(BUCKET);
            KubernetesClient kube = op.kube();
            Fixtures.remote(kube, rig, "lxd-a", "a", "5m");
            Fixtures.backupStore(
                    kube, "store", s3.endpoint(), BUCKET, "", s3.identity(), s3.credential(), AccessMode.READ_WRITE);
            String inst = rig.createInstance(a, "am");
            instances.add(inst);
            try {
                // a schedule due every minute: its run gives the start-delay histogram its first observation
                SnapshotSchedule sched = new SnapshotSchedule();
                sched.getMetadata().setName("am-every-minute");
                sched.getMetadata().setNamespace(Fixtures.NS);
                SnapshotScheduleSpec ss = new SnapshotScheduleSpec();
                ss.setRemoteRef(new ObjectRef("lxd-a"));
                ss.setInstances(List.of(inst));
                ss.setSchedule("* * * * *");
                ss.setIncludeStopped(true);
                sched.setSpec(ss);
                kube.resource(sched).create();

                kube.resource(snapshot("am-snap", "lxd-a", inst)).create();
                awaitPhase(
                        kube,
                        InstanceSnapshot.class,
                        "am-snap",
                        s -> s.getStatus() != null && s.getStatus().getPhase() == InstanceSnapshotPhase.READY);

                InstanceExport e = new InstanceExport();
                e.getMetadata().setName("am-export");
                e.getMetadata().setNamespace(Fixtures.NS);
                InstanceExportSpec es = new InstanceExportSpec();
                es.setRemoteRef(new ObjectRef("lxd-a"));
                es.setInstance(inst);
                es.setStoreRef(new ObjectRef("store"));
                e.setSpec(es);
                kube.resource(e).create();
                awaitPhase(
                        kube,
                        InstanceExport.class,
                        "am-export",
                        x -> x.getStatus() != null && x.getStatus().getPhase() == InstanceExportPhase.COMPLETED);

                String restored = inst + "-r";
                instances.add(restored);
                InstanceRestore r = new InstanceRestore();
                r.getMetadata().setName("am-restore");
                r.getMetadata().setNamespace(Fixtures.NS);
                InstanceRestoreSpec rs = new InstanceRestoreSpec();
                rs.setRemoteRef(new ObjectRef("lxd-a"));
                rs.setInstance(restored);
                RestoreSource src = new RestoreSource();
                src.setExportRef(new ObjectRef("am-export"));
                rs.setSource(src);
                r.setSpec(rs);
                kube.resource(r).create();
                awaitPhase(
                        kube,
                        InstanceRestore.class,
                        "am-restore",
                        x -> x.getStatus() != null && x.getStatus().getPhase() == InstanceRestorePhase.COMPLETED);

                // a failure: the remote does not exist
                kube.resource(snapshot("am-no-remote", "no-such-remote", inst)).create();
                awaitPhase(
                        kube,
                        InstanceSnapshot.class,
                        "am-no-remote",
                        s -> s.getStatus() != null && s.getStatus().getPhase() == InstanceSnapshotPhase.FAILED);

                await().atMost(Duration.ofSeconds(150))
                        .pollInterval(Duration.ofSeconds(1))
                        .until(() -> {
                            SnapshotSchedule s = kube.resources(SnapshotSchedule.class)
                                    .inNamespace(Fixtures.NS)
                                    .withName("am-every-minute")
                                    .get();
                            return s.getStatus() != null && s.getStatus().getLastScheduleTime() != null;
                        });

                String text = await().atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofSeconds(1))
                        .until(
                                () -> scrape(op.runtime().httpPort()),
                                t -> t.contains("lxdbackup_schedule_run_start_delay_seconds_bucket"));
                Files.createDirectories(Path.of("target"));
                Files.writeString(Path.of("target/alert-metrics-scrape.txt"), text);
                Set<String> exported = exportedNames(text);
                Set<String> bases = new TreeSet<>();
                exported.forEach(n -> bases.add(SUFFIX.matcher(n).replaceFirst("")));
                List<String> missing = used.stream()
                        .filter(n -> !exported.contains(n)
                                && !bases.contains(SUFFIX.matcher(n).replaceFirst("")))
                        .toList();
                assertThat(missing)
                        .as(
                                "series used by the rules or the dashboard but not in /metrics (see target/alert-metrics-scrape.txt)")
                        .isEmpty();

                // and the new series carry what the alerts read
                assertThat(text)
                        .containsPattern(
                                "lxdbackup_remote_ready\\{namespace=\"default\",reason=\"Connected\",remote=\"lxd-a\"} 1");
                assertThat(text)
                        .containsPattern(
                                "lxdbackup_store_available\\{namespace=\"default\",reason=\"StoreAvailable\",store=\"store\"} 1");
                assertThat(text)
                        .containsPattern(
                                "lxdbackup_consecutive_failures\\{[^}]*kind=\"InstanceSnapshot\"[^}]*remote=\"no-such-remote\"[^}]*} 1");
                assertThat(text)
                        .containsPattern(
                                "lxdbackup_schedule_missed_runs_total\\{[^}]*schedule=\"am-every-minute\"[^}]*} 0");
                assertThat(text).contains("lxdbackup_checksum_mismatches_total{kind=\"InstanceRestore\"} 0");

                // deleting the schedule and the remote removes their series; the remote goes once nothing
                // that names it has clean-up left (in-use protection), and the in-memory API has no
                // garbage collector for the schedule's children: delete them all first
                kube.resources(SnapshotSchedule.class)
                        .inNamespace(Fixtures.NS)
                        .withName("am-every-minute")
                        .delete();
                kube.resources(InstanceRestore.class).inNamespace(Fixtures.NS).delete();
                kube.resources(InstanceExport.class).inNamespace(Fixtures.NS).delete();
                kube.resources(InstanceSnapshot.class).inNamespace(Fixtures.NS).delete();
                await().atMost(T)
                        .pollInterval(Duration.ofSeconds(1))
                        .until(() -> kube.resources(InstanceSnapshot.class)
                                        .inNamespace(Fixtures.NS)
                                        .list()
                                        .getItems()
                                        .isEmpty()
                                && kube.resources(InstanceExport.class)
                                        .inNamespace(Fixtures.NS)
                                        .list()
                                        .getItems()
                                        .isEmpty()
                                && kube.resources(InstanceRestore.class)
                                        .inNamespace(Fixtures.NS)
                                        .list()
                                        .getItems()
                                        .isEmpty());
                kube.resources(io.lxdbackup.operator.api.v1alpha1.LxdRemote.class)
                        .inNamespace(Fixtures.NS)
                        .withName("lxd-a")
                        .delete();
                await().atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofSeconds(1))
                        .until(() -> {
                            String now = scrape(op.runtime().httpPort());
                            return !Pattern.compile("(?m)^lxdbackup_schedule_missed_runs_total\\{[^}]*am-every-minute")
                                            .matcher(now)
                                            .find()
                                    && !Pattern.compile("(?m)^lxdbackup_remote_ready\\{[^}]*lxd-a")
                                            .matcher(now)
                                            .find()
                                    && now.contains("lxdbackup_store_available{");
                        });
            } finally {
                LxdRig.deleteQuietly(a, instances.toArray(String[]::new));
            }
        }
    }

    static InstanceSnapshot snapshot(String name, String remote, String instance) {
        InstanceSnapshot s = new InstanceSnapshot();
        s.getMetadata().setName(name);
        s.getMetadata().setNamespace(Fixtures.NS);
        InstanceSnapshotSpec spec = new InstanceSnapshotSpec();
        spec.setRemoteRef(new ObjectRef(remote));
        spec.setInstance(instance);
        s.setSpec(spec);
        return s;
    }

    static <R extends io.fabric8.kubernetes.api.model.HasMetadata> void awaitPhase(
            KubernetesClient kube, Class<R> type, String name, Predicate<R> done) {
        await().atMost(T).pollInterval(Duration.ofMillis(250)).until(() -> {
            R r = kube.resources(type).inNamespace(Fixtures.NS).withName(name).get();
            return r != null && done.test(r);
        });
    }

    static String scrape(int port) throws Exception {
        HttpResponse<String> res = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).isEqualTo(200);
        return res.body();
    }

    static Set<String> exportedNames(String text) {
        Set<String> names = new TreeSet<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher m = Pattern.compile("^[a-zA-Z_:][a-zA-Z0-9_:]*").matcher(line);
            if (m.find()) {
                names.add(m.group());
            }
        }
        return names;
    }

    /** Metric names in the expressions of the rendered PrometheusRule and the dashboard's queries. */
    static Set<String> usedNames() throws Exception {
        String rendered = helmTemplate(
                "--set", "metrics.prometheusRule.enabled=true", "--set", "metrics.grafanaDashboard.enabled=true");
        Set<String> names = new TreeSet<>();
        int rules = 0;
        int queries = 0;
        for (Object doc : new Yaml(new LoaderOptions()).loadAll(rendered)) {
            if (!(doc instanceof Map<?, ?> m)) {
                continue;
            }
            if ("PrometheusRule".equals(m.get("kind"))) {
                for (Object g : (List<?>) ((Map<?, ?>) m.get("spec")).get("groups")) {
                    for (Object r : (List<?>) ((Map<?, ?>) g).get("rules")) {
                        names.addAll(names(String.valueOf(((Map<?, ?>) r).get("expr"))));
                        rules++;
                    }
                }
            } else if ("ConfigMap".equals(m.get("kind"))
                    && String.valueOf(((Map<?, ?>) m.get("metadata")).get("name"))
                            .endsWith("-dashboard")) {
                for (Object json : ((Map<?, ?>) m.get("data")).values()) {
                    List<String> exprs = new ArrayList<>();
                    collect(new ObjectMapper().readTree(String.valueOf(json)), exprs);
                    queries += exprs.size();
                    exprs.forEach(x -> names.addAll(names(x)));
                }
            }
        }
        assertThat(rules).as("alert rules rendered").isGreaterThanOrEqualTo(7);
        assertThat(queries).as("dashboard queries").isGreaterThanOrEqualTo(20);
        return names;
    }

    /** The strings under "expr", "query" and "definition" anywhere in the dashboard. */
    static void collect(JsonNode node, List<String> out) {
        node.fields().forEachRemaining(e -> {
            if (Set.of("expr", "query", "definition").contains(e.getKey())
                    && e.getValue().isTextual()) {
                out.add(e.getValue().asText());
            }
        });
        node.forEach(child -> {
            if (child.isContainerNode()) {
                collect(child, out);
            }
        });
    }

    static Set<String> names(String promql) {
        Set<String> out = new TreeSet<>();
        Matcher m = NAME.matcher(promql);
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

    static String helmTemplate(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                "bash",
                "-c",
                "set -euo pipefail; eval \"$(hack/tools.sh)\"; \"$HELM\" template lxd-backup helm/lxd-backup-operator"
                        + " --namespace lxd-backup-operator \"$@\"",
                "render"));
        cmd.addAll(List.of(args));
        Process proc = new ProcessBuilder(cmd)
                .directory(Path.of("").toAbsolutePath().toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = proc.getInputStream()) {
            in.transferTo(out);
        }
        assertThat(proc.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(proc.exitValue())
                .as("helm template (via hack/tools.sh) exit code")
                .isZero();
        return out.toString(StandardCharsets.UTF_8);
    }
}
