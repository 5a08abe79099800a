package io.lxdbackup.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.api.v1alpha1.SnapshotSchedule;
import io.lxdbackup.operator.api.v1alpha1.SnapshotScheduleSpec;
import io.lxdbackup.operator.config.OperatorSettings;
import io.lxdbackup.operator.testing.Fixtures;
import io.lxdbackup.operator.testing.OperatorHarness;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The process around the reconcilers: settings, health, readiness and metrics endpoints. */
class OperatorRuntimeTest {

    @Test
    void settingsFromFlagsWinOverEnvironmentAndDefaultsDependOnTheCluster() {
        OperatorSettings s = OperatorSettings.from(
                new String[] {"--namespaces=a, b", "--http-port=9090"},
                Map.of("LXDBACKUP_NAMESPACES", "c", "LXDBACKUP_LOG_LEVEL", "debug"),
                false);
        assertThat(s.namespaces()).containsExactly("a", "b");
        assertThat(s.httpPort()).isEqualTo(9090);
        assertThat(s.logLevel()).isEqualTo("debug");
        assertThat(s.leaderElection()).isFalse();
        OperatorSettings inCluster = OperatorSettings.from(new String[0], Map.of("POD_NAMESPACE", "ops"), true);
        assertThat(inCluster.leaderElection()).isTrue();
        assertThat(inCluster.leaseNamespace()).isEqualTo("ops");
        assertThat(inCluster.watchAllNamespaces()).isTrue();
        assertThatThrownBy(() -> OperatorSettings.from(new String[] {"--http-port=eighty"}, Map.of(), false))
                .hasMessageContaining("--http-port");
    }

    @Test
    void healthReadinessAndMetricsAreServed() throws Exception {
        try (OperatorHarness op = new OperatorHarness().start()) {
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + op.runtime().httpPort();
            assertThat(get(http, base + "/healthz").statusCode()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> get(http, base + "/readyz").statusCode() == 200);
            op.runtime().metrics().operation("InstanceSnapshot", "create", "success", Duration.ofMillis(5));
            String metrics = get(http, base + "/metrics").body();
            assertThat(metrics)
                    .contains(
                            "lxdbackup_operations_total{kind=\"InstanceSnapshot\",operation=\"create\",result=\"success\"} 1.0")
                    .contains("lxdbackup_operation_duration_seconds")
                    .contains("jvm_memory_used_bytes");
            for (String controller : List.of("lxdremote", "instancesnapshot", "snapshotschedule", "instancerestore")) {
                assertThat(metrics).contains(controller);
            }
        }
    }

    @Test
    void scheduleReconcilesAreRecognisedByTheReconcilePool() {
        try (OperatorHarness op = new OperatorHarness().start()) {
            long before = op.runtime().reconcileExecutor().firstTasks();
            SnapshotSchedule s = new SnapshotSchedule();
            s.getMetadata().setName("pool-rank");
            s.getMetadata().setNamespace(Fixtures.NS);
            SnapshotScheduleSpec spec = new SnapshotScheduleSpec();
            spec.setRemoteRef(new ObjectRef("no-such-remote"));
            spec.setSchedule("@daily");
            spec.setInstances(List.of("c1"));
            s.setSpec(spec);
            op.kube().resource(s).create();
            // the SDK names its reconcile tasks "<controller> -> <resource>": if that ever changes,
            // schedules lose their place at the head of the queue and this fails
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> op.runtime().reconcileExecutor().firstTasks() > before);
        }
    }

    static HttpResponse<String> get(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
