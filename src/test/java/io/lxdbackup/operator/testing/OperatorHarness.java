package io.lxdbackup.operator.testing;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.lxdbackup.operator.OperatorRuntime;
import io.lxdbackup.operator.config.OperatorSettings;
import io.lxdbackup.operator.local.InMemoryApiServer;
import io.lxdbackup.operator.store.ObjectStore;
import io.lxdbackup.operator.store.S3ObjectStore;
import io.lxdbackup.operator.store.StoreConfig;
import io.lxdbackup.operator.transfer.TransferLimits;
import java.time.Clock;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The operator as in production ({@link OperatorRuntime}) against the in-memory API server.
 * {@link #restart()} stops the operator and starts a fresh one with a new client, as a pod
 * restart would.
 */
public final class OperatorHarness implements AutoCloseable {
    private final InMemoryApiServer api;
    private final KubernetesClient kube;
    private final Clock clock;
    private final java.time.Duration scheduleMaxWait;
    private final Function<StoreConfig, ObjectStore> storeFactory;
    private KubernetesClient operatorClient;
    private OperatorRuntime runtime;
    private io.lxdbackup.operator.lxd.LxdTimeouts lxdTimeouts;
    private int reconcileThreads;
    private Consumer<KubernetesClientBuilder> clientCustomizer = b -> {};
    private String leaseNamespace;
    private List<String> namespaces = List.of();
    private TransferLimits transfers = TransferLimits.defaults();

    public OperatorHarness() {
        this(Clock.systemUTC());
    }

    public OperatorHarness(Clock clock) {
        this(clock, OperatorSettings.DEFAULT_SCHEDULE_MAX_WAIT, S3ObjectStore::open);
    }

    /**
     * With an injected clock, schedules must re-decide often in real time to notice that the
     * clock was moved: pass a short {@code scheduleMaxWait}.
     */
    public OperatorHarness(Clock clock, java.time.Duration scheduleMaxWait) {
        this(clock, scheduleMaxWait, S3ObjectStore::open);
    }

    /** @param storeFactory opens object stores; wrap {@link S3ObjectStore#open} to inject faults */
    public OperatorHarness(Clock clock, Function<StoreConfig, ObjectStore> storeFactory) {
        this(clock, OperatorSettings.DEFAULT_SCHEDULE_MAX_WAIT, storeFactory);
    }

    public OperatorHarness(
            Clock clock, java.time.Duration scheduleMaxWait, Function<StoreConfig, ObjectStore> storeFactory) {
        this.clock = clock;
        this.scheduleMaxWait = scheduleMaxWait;
        this.storeFactory = storeFactory;
        api = new InMemoryApiServer(0);
        kube = api.client();
    }

    /** Builds the operator's client with extra settings (e.g. an HTTP interceptor); call before {@link #start()}. */
    public OperatorHarness withOperatorClient(Consumer<KubernetesClientBuilder> customizer) {
        this.clientCustomizer = customizer;
        return this;
    }

    /** Runs the operator with leader election, its Lease in {@code namespace}; call before {@link #start()}. */
    public OperatorHarness withLeaderElection(String namespace) {
        this.leaseNamespace = namespace;
        return this;
    }

    /** Reconciles only the resources in {@code namespaces} (the chart's watchNamespaces); call before {@link #start()}. */
    public OperatorHarness withNamespaces(List<String> namespaces) {
        this.namespaces = List.copyOf(namespaces);
        return this;
    }

    /** Runs the operator with these transfer limits (flags --max-transfers etc.); call before {@link #start()}. */
    public OperatorHarness withLxdTimeouts(io.lxdbackup.operator.lxd.LxdTimeouts timeouts) {
        this.lxdTimeouts = timeouts;
        return this;
    }

    public OperatorHarness withReconcileThreads(int threads) {
        this.reconcileThreads = threads;
        return this;
    }

    public OperatorHarness withTransfers(TransferLimits limits) {
        this.transfers = limits;
        return this;
    }

    public OperatorHarness start() {
        operatorClient = api.newClient(clientCustomizer);
        runtime = new OperatorRuntime(
                        operatorClient,
                        new OperatorSettings(
                                        namespaces, leaseNamespace != null, leaseNamespace, 0, "info", scheduleMaxWait)
                                .withTransfers(transfers)
                                .withLxdTimeouts(lxdTimeouts)
                                .withReconcileThreads(reconcileThreads),
                        clock,
                        storeFactory)
                .exitOnStopLeading(false)
                .start();
        return this;
    }

    /** Stops the operator abruptly (no waiting for anything but JOSDK's own stop). */
    public void stop() {
        if (runtime != null) {
            runtime.close();
            operatorClient.close();
            runtime = null;
        }
    }

    /**
     * Leaves the running operator behind as a killed pod would be: its API connection is cut at
     * once, so whatever its reconciles do afterwards never reaches the cluster, and nothing waits
     * for them (LXD operations it started keep running on the server). A fresh operator starts
     * right away; the abandoned one is shut down in the background.
     */
    public OperatorHarness abandonAndStart() {
        OperatorRuntime old = runtime;
        KubernetesClient oldClient = operatorClient;
        runtime = null;
        oldClient.close();
        start();
        if (old != null) {
            Thread t = new Thread(old::close, "abandoned-operator");
            t.setDaemon(true);
            t.start();
        }
        return this;
    }

    public OperatorHarness restart() {
        stop();
        return start();
    }

    /** The test's own client (a user with kubectl). */
    public KubernetesClient kube() {
        return kube;
    }

    public OperatorRuntime runtime() {
        return runtime;
    }

    public InMemoryApiServer api() {
        return api;
    }

    @Override
    public void close() {
        stop();
        api.close();
    }
}
