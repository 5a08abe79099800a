package io.lxdbackup.operator.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The operator's own meters, beside JOSDK's reconciliation metrics. Names are documented in
 * the README's metrics reference; labels never carry secrets.
 */
public final class OperatorMetrics {
  public static final String OPERATIONS = "lxdbackup.operations";
  public static final String OPERATION_DURATION = "lxdbackup.operation.duration";
  public static final String LAST_SUCCESS = "lxdbackup.last.success.timestamp";
  public static final String BYTES = "lxdbackup.transferred.bytes";
  public static final String RUN_START_DELAY = "lxdbackup.schedule.run.start.delay";
  /** Histogram buckets of {@link #RUN_START_DELAY}: around the 2 s a run should start within. */
  private static final Duration[] RUN_START_BUCKETS = {Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
      Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofMinutes(1),
      Duration.ofMinutes(5)};

  private final MeterRegistry registry;
  private final ConcurrentMap<String, AtomicLong> lastSuccess = new ConcurrentHashMap<>();

  public OperatorMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** For tests and tools that do not export metrics. */
  public static OperatorMetrics noop() {
    return new OperatorMetrics(new SimpleMeterRegistry());
  }

  public MeterRegistry registry() {
    return registry;
  }

  /**
   * Records one finished LXD-side operation.
   *
   * @param kind      custom resource kind (InstanceSnapshot, InstanceExport, ...)
   * @param operation what was done (create, delete, restore, upload, ...)
   * @param result    success or the failure reason
   */
  public void operation(String kind, String operation, String result, Duration duration) {
    Counter.builder(OPERATIONS).description("LXD and store operations by kind, operation and result")
        .tag("kind", kind).tag("operation", operation).tag("result", result)
        .register(registry).increment();
    if (duration != null) {
      Timer.builder(OPERATION_DURATION).description("Duration of LXD and store operations")
          .tag("kind", kind).tag("operation", operation)
          .register(registry).record(duration);
    }
  }

  /**
   * Records a success for one instance (alert when the gauge gets old). The gauge only moves
   * forward: re-checking an older snapshot or export (a resync, an operator restart) reports its
   * own, older time, which must not hide a newer success.
   */
  public void lastSuccess(String kind, String namespace, String remote, String instance, Instant when) {
    String key = kind + '\0' + namespace + '\0' + remote + '\0' + instance;
    AtomicLong holder = lastSuccess.computeIfAbsent(key, k -> {
      AtomicLong v = new AtomicLong();
      Gauge.builder(LAST_SUCCESS, v, AtomicLong::get)
          .description("Unix time of the last successful backup action per instance")
          .tag("kind", kind).tag("namespace", namespace).tag("remote", remote).tag("instance", instance)
          .register(registry);
      return v;
    });
    holder.accumulateAndGet(when.getEpochSecond(), Math::max);
  }

  public void bytes(String kind, String direction, long n) {
    Counter.builder(BYTES).description("Bytes streamed by the operator").baseUnit("bytes")
        .tag("kind", kind).tag("direction", direction).register(registry).increment(n);
  }

  /**
   * How late a schedule's run started: from its scheduled time to the API server accepting the
   * run's child (one InstanceSnapshot or InstanceExport per selected instance). A catch-up run
   * after downtime counts with its whole lateness.
   */
  public void runStartDelay(String kind, Duration delay) {
    Timer.builder(RUN_START_DELAY).description("Time from a schedule's scheduled time to its run's child being created")
        .tag("kind", kind).serviceLevelObjectives(RUN_START_BUCKETS)
        .register(registry).record(delay.isNegative() ? Duration.ZERO : delay);
  }
}
