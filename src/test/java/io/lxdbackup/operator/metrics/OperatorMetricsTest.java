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

  static double gauge(SimpleMeterRegistry registry, String instance) {
    return registry.get(OperatorMetrics.LAST_SUCCESS).tag("instance", instance).gauge().value();
  }
}
