package io.lxdbackup.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.lxdbackup.operator.config.OperatorSettings;
import io.lxdbackup.operator.controller.BackupStoreReconciler;
import io.lxdbackup.operator.controller.EventRecorder;
import io.lxdbackup.operator.controller.ExportScheduleReconciler;
import io.lxdbackup.operator.controller.InstanceCopyReconciler;
import io.lxdbackup.operator.controller.InstanceExportReconciler;
import io.lxdbackup.operator.controller.InstanceRestoreReconciler;
import io.lxdbackup.operator.controller.InstanceSnapshotReconciler;
import io.lxdbackup.operator.controller.LxdRemoteReconciler;
import io.lxdbackup.operator.controller.RemoteConnections;
import io.lxdbackup.operator.controller.SnapshotScheduleReconciler;
import io.lxdbackup.operator.controller.StoreConnections;
import io.lxdbackup.operator.controller.verify.BackupVerificationReconciler;
import io.lxdbackup.operator.metrics.OperatorMetrics;
import io.lxdbackup.operator.metrics.ResourceCleanupMetrics;
import io.lxdbackup.operator.store.ObjectStore;
import io.lxdbackup.operator.store.S3ObjectStore;
import io.lxdbackup.operator.store.StoreConfig;
import io.lxdbackup.operator.transfer.TransferLimiter;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator wired exactly as in production: JOSDK with merge-patch status updates, every
 * reconciler, metrics, health endpoints. Tests start this same object against the mock API.
 */
public final class OperatorRuntime implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OperatorRuntime.class);
    /** Reconciles running at once, over all controllers (the Java Operator SDK's default). */
    static final int RECONCILE_THREADS = OperatorSettings.DEFAULT_RECONCILE_THREADS;

    private ReconcileExecutor executor;

    private final KubernetesClient client;
    private final OperatorSettings settings;
    private final Clock clock;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final OperatorMetrics metrics = new OperatorMetrics(registry);
    private final RemoteConnections connections;
    private final StoreConnections stores;
    private final EventRecorder events;
    /** One budget for every transfer of every kind and namespace. */
    private final TransferLimiter transfers;

    private List<Reconciler<?>> reconcilers = List.of();
    private Operator operator;
    private HealthServer health;
    private volatile boolean started;
    private boolean exitOnStopLeading = true;

    public OperatorRuntime(KubernetesClient client, OperatorSettings settings, Clock clock) {
        this(client, settings, clock, S3ObjectStore::open);
    }

    /** @param storeFactory opens the object store of a BackupStore (tests wrap it to inject faults) */
    public OperatorRuntime(
            KubernetesClient client,
            OperatorSettings settings,
            Clock clock,
            Function<StoreConfig, ObjectStore> storeFactory) {
        this.client = client;
        this.settings = settings;
        this.clock = clock;
        this.connections = new RemoteConnections(client, settings.lxdTimeouts());
        this.stores = new StoreConnections(client, storeFactory, settings.allowAmbientCredentials());
        this.events = new EventRecorder(client, clock);
        this.transfers = new TransferLimiter(settings.transfers(), clock);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
    }

    /** Every reconciler of the operator; one per kind. */
    List<Reconciler<?>> reconcilers() {
        return List.of(
                new LxdRemoteReconciler(client, connections, events, metrics, clock),
                new InstanceSnapshotReconciler(client, connections, events, metrics, clock),
                new SnapshotScheduleReconciler(client, connections, events, metrics, clock, settings.scheduleMaxWait()),
                new BackupStoreReconciler(client, stores, events, metrics, clock),
                new InstanceExportReconciler(client, connections, stores, events, metrics, clock, transfers),
                new ExportScheduleReconciler(client, connections, events, metrics, clock, settings.scheduleMaxWait()),
                new InstanceRestoreReconciler(client, connections, stores, events, metrics, clock, transfers),
                new InstanceCopyReconciler(client, connections, events, metrics, clock, transfers),
                new BackupVerificationReconciler(client, connections, stores, events, metrics, clock));
    }

    /**
     * Whether losing (or giving up) the Lease ends the process, as a deployed replica must so that
     * a standby takes over; tests that stop and start operators in one JVM turn it off.
     */
    public OperatorRuntime exitOnStopLeading(boolean exit) {
        this.exitOnStopLeading = exit;
        return this;
    }

    public OperatorRuntime start() {
        executor = new ReconcileExecutor(settings.reconcileThreads(), Set.of("snapshotschedule", "exportschedule"));
        metrics.reconcileExecutor(executor);
        operator = new Operator(o -> {
            o.withKubernetesClient(client)
                    .withUseSSAToPatchPrimaryResource(false)
                    .withCloseClientOnStop(false)
                    // per controller, not per resource: schedules create a new child (a new name) at every
                    // run, and per-resource meters (timers with histograms, kept until 5 minutes after the
                    // resource is deleted) grew the heap by tens of KiB per run and gave Prometheus a new
                    // series set for every child (see docs/benchmarks.md)
                    // (wrapped: a deleted resource's own lxdbackup_* series go with it)
                    .withMetrics(new ResourceCleanupMetrics(
                            MicrometerMetrics.newMicrometerMetricsBuilder(registry)
                                    .notCollectingMetricsPerResource()
                                    .build(),
                            metrics))
                    .withExecutorService(executor)
                    .withReconciliationTerminationTimeout(Duration.ofSeconds(30))
                    .withStopOnInformerErrorDuringStartup(false);
            if (settings.leaderElection()) {
                o.withLeaderElectionConfiguration(
                        LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration(OperatorSettings.LEASE_NAME)
                                .withLeaseNamespace(settings.leaseNamespace())
                                .withExitOnStopLeading(exitOnStopLeading)
                                .build());
            }
        });
        Set<String> namespaces = new HashSet<>(settings.namespaces());
        reconcilers = reconcilers();
        for (Reconciler<?> r : reconcilers) {
            register(r, namespaces);
        }
        health = new HealthServer(
                settings.httpAddress(),
                settings.httpPort(),
                registry,
                () -> started,
                () -> operator.getRuntimeInfo().allEventSourcesAreHealthy());
        health.start();
        operator.start();
        started = true;
        LOG.info(
                "operator started: namespaces={}, leaderElection={}, http {}:{}, ambient credentials {}",
                settings.watchAllNamespaces() ? "all" : settings.namespaces(),
                settings.leaderElection(),
                health.address(),
                health.port(),
                settings.allowAmbientCredentials() ? "allowed" : "refused");
        return this;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void register(Reconciler r, Set<String> namespaces) {
        if (namespaces.isEmpty()) {
            operator.register(r);
        } else {
            operator.register(r, o -> o.settingNamespaces(namespaces));
        }
    }

    ReconcileExecutor reconcileExecutor() {
        return executor;
    }

    public TransferLimiter transfers() {
        return transfers;
    }

    public int httpPort() {
        return health.port();
    }

    /** The address health and metrics listen on. */
    public java.net.InetAddress httpAddress() {
        return health.address();
    }

    public OperatorMetrics metrics() {
        return metrics;
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Stops reconciling; running reconciles get up to 30 s to finish their LXD calls. */
    @Override
    public void close() {
        started = false;
        // running transfers stop first, so the operator's stop does not wait for a long upload
        for (Reconciler<?> r : reconcilers) {
            if (r instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    LOG.warn("closing {}: {}", r.getClass().getSimpleName(), e.toString());
                }
            }
        }
        // transfers run on threads of their own: they get the same 30 s as running reconciles
        transfers.shutdown(Duration.ofSeconds(30));
        if (operator != null) {
            operator.stop();
        }
        if (health != null) {
            health.stop();
        }
        events.close();
        connections.close();
        stores.close();
    }
}
