package io.lxdbackup.operator.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class OperatorMetricsTest {

    @Test
    void lastSuccessNeverMovesBackwards() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        OperatorMetrics m = new OperatorMetrics(registry);
        Instant newer = Instant.parse("2026-11-26T12:00:00Z");
        m.lastSuccess("InstanceSnapshot", "ns", "lxd-a", "web1", newer);
        // a resync of an older snapshot of the same instance reports its own, older time
        m.lastSuccess("InstanceSnapshot", "ns", "lxd-a", "web1", newer.minusSeconds(3600));
        assertThat(gauge(registry, "web1")).isEqualTo(newer.getEpochSecond());
        m.lastSuccess("InstanceSnapshot", "ns", "lxd-a", "web1", newer.plusSeconds(60));
        assertThat(gauge(registry, "web1")).isEqualTo(newer.getEpochSecond() + 60);
        // per instance
        m.lastSuccess("InstanceSnapshot", "ns", "lxd-a", "db1", newer.minusSeconds(10));
        assertThat(gauge(registry, "db1")).isEqualTo(newer.getEpochSecond() - 10);
    }

    @Test
    void consecutiveFailuresCountUntilANewerSuccess() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        OperatorMetrics m = new OperatorMetrics(registry);
        Instant t = Instant.parse("2026-11-26T12:00:00Z");
        m.lastSuccess("InstanceExport", "ns", "lxd-a", "web1", t);
        m.failure("InstanceExport", "ns", "lxd-a", "web1", t.plusSeconds(60));
        m.failure("InstanceExport", "ns", "lxd-a", "web1", t.plusSeconds(120));
        assertThat(failures(registry, "InstanceExport", "web1")).isEqualTo(2);
        // re-checking an older success (a resync) is not a success after the failures
        m.lastSuccess("InstanceExport", "ns", "lxd-a", "web1", t.plusSeconds(30));
        assertThat(failures(registry, "InstanceExport", "web1")).isEqualTo(2);
        // per kind: a snapshot success does not end the exports' failures
        m.lastSuccess("InstanceSnapshot", "ns", "lxd-a", "web1", t.plusSeconds(200));
        assertThat(failures(registry, "InstanceExport", "web1")).isEqualTo(2);
        m.lastSuccess("InstanceExport", "ns", "lxd-a", "web1", t.plusSeconds(180));
        assertThat(failures(registry, "InstanceExport", "web1")).isZero();
        // no remote or instance in an invalid spec: empty labels, not an exception
        m.failure("InstanceSnapshot", "ns", null, null, t);
        assertThat(registry.get(OperatorMetrics.CONSECUTIVE_FAILURES)
                        .tag("instance", "")
                        .gauge()
                        .value())
                .isEqualTo(1);
    }

    @Test
    void remoteAndStoreStateOneSeriesPerResourceAndForgotten() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        OperatorMetrics m = new OperatorMetrics(registry);
        m.remoteReady("ns", "lxd-a", true, "Connected");
        m.remoteReady("ns", "lxd-a", false, "ServerUnreachable");
        assertThat(registry.find(OperatorMetrics.REMOTE_READY).gauges()).hasSize(1);
        assertThat(registry.get(OperatorMetrics.REMOTE_READY)
                        .tag("reason", "ServerUnreachable")
                        .gauge()
                        .value())
                .isZero();
        m.remoteReady("ns", "lxd-a", false, "ServerUnreachable");
        m.storeAvailable("ns", "s3", true, "StoreAvailable");
        m.missedRuns("SnapshotSchedule", "ns", "nightly", 0);
        assertThat(registry.get(OperatorMetrics.MISSED_RUNS)
                        .tag("schedule", "nightly")
                        .counter()
                        .count())
                .isZero();
        m.missedRuns("SnapshotSchedule", "ns", "nightly", 3);
        m.missedRuns("SnapshotSchedule", "ns", "nightly", 0);
        assertThat(registry.get(OperatorMetrics.MISSED_RUNS)
                        .tag("schedule", "nightly")
                        .counter()
                        .count())
                .isEqualTo(3);
        m.forget("LxdRemote", "ns", "lxd-a");
        assertThat(registry.find(OperatorMetrics.REMOTE_READY).gauges()).isEmpty();
        assertThat(registry.find(OperatorMetrics.STORE_AVAILABLE).gauges()).hasSize(1);
        m.forget("BackupStore", "ns", "s3");
        m.forget("SnapshotSchedule", "ns", "nightly");
        assertThat(registry.find(OperatorMetrics.STORE_AVAILABLE).gauges()).isEmpty();
        assertThat(registry.find(OperatorMetrics.MISSED_RUNS).counters()).isEmpty();
        // a remote created again under the same name gets its series back
        m.remoteReady("ns", "lxd-a", true, "Connected");
        assertThat(registry.get(OperatorMetrics.REMOTE_READY).gauge().value()).isEqualTo(1);
    }

    @Test
    void checksumMismatchesCountedFromZero() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        OperatorMetrics m = new OperatorMetrics(registry);
        assertThat(registry.get(OperatorMetrics.CHECKSUM_MISMATCHES)
                        .tag("kind", "InstanceRestore")
                        .counter()
                        .count())
                .isZero();
        m.operation("InstanceRestore", "restore", "ChecksumMismatch", null);
        m.operation("InstanceRestore", "restore", "NotFound", null);
        assertThat(registry.get(OperatorMetrics.CHECKSUM_MISMATCHES)
                        .tag("kind", "InstanceRestore")
                        .counter()
                        .count())
                .isEqualTo(1);
    }

    static double failures(SimpleMeterRegistry registry, String kind, String instance) {
        return registry.get(OperatorMetrics.CONSECUTIVE_FAILURES)
                .tag("kind", kind)
                .tag("instance", instance)
                .gauge()
                .value();
    }

    static double gauge(SimpleMeterRegistry registry, String instance) {
        return registry.get(OperatorMetrics.LAST_SUCCESS)
                .tag("instance", instance)
                .gauge()
                .value();
    }
}
