package io.lxdbackup.operator.metrics;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.api.reconciler.RetryInfo;
import io.javaoperatorsdk.operator.processing.Controller;
import io.javaoperatorsdk.operator.processing.GroupVersionKind;
import io.javaoperatorsdk.operator.processing.event.Event;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.Map;

/**
 * The SDK's metrics, plus one thing: when the SDK is done with a deleted resource (its delete
 * event, or its finalizer removed), the operator's own per-resource series of that resource
 * ({@code lxdbackup_remote_ready}, {@code lxdbackup_store_available},
 * {@code lxdbackup_schedule_missed_runs_total}) are removed, so their number stays that of the
 * resources that exist. The SDK calls {@link #cleanupDoneFor} for resources with and without a
 * finalizer alike.
 */
public final class ResourceCleanupMetrics implements Metrics {
    /** Key of the resource's GroupVersionKind in the metadata the SDK passes (its Constants). */
    static final String GVK_KEY = "josdk.resource.gvk";

    private final Metrics delegate;
    private final OperatorMetrics metrics;

    public ResourceCleanupMetrics(Metrics delegate, OperatorMetrics metrics) {
        this.delegate = delegate;
        this.metrics = metrics;
    }

    @Override
    public void cleanupDoneFor(ResourceID id, Map<String, Object> metadata) {
        delegate.cleanupDoneFor(id, metadata);
        if (metadata != null
                && metadata.get(GVK_KEY) instanceof GroupVersionKind gvk
                && id.getNamespace().isPresent()) {
            metrics.forget(gvk.getKind(), id.getNamespace().get(), id.getName());
        }
    }

    @Override
    public void controllerRegistered(Controller<? extends HasMetadata> controller) {
        delegate.controllerRegistered(controller);
    }

    @Override
    public void receivedEvent(Event event, Map<String, Object> metadata) {
        delegate.receivedEvent(event, metadata);
    }

    @Override
    public void reconcileCustomResource(HasMetadata resource, RetryInfo retryInfo, Map<String, Object> metadata) {
        delegate.reconcileCustomResource(resource, retryInfo, metadata);
    }

    @Override
    public void failedReconciliation(HasMetadata resource, Exception exception, Map<String, Object> metadata) {
        delegate.failedReconciliation(resource, exception, metadata);
    }

    @Override
    public void reconciliationExecutionStarted(HasMetadata resource, Map<String, Object> metadata) {
        delegate.reconciliationExecutionStarted(resource, metadata);
    }

    @Override
    public void reconciliationExecutionFinished(HasMetadata resource, Map<String, Object> metadata) {
        delegate.reconciliationExecutionFinished(resource, metadata);
    }

    @Override
    public void finishedReconciliation(HasMetadata resource, Map<String, Object> metadata) {
        delegate.finishedReconciliation(resource, metadata);
    }

    @Override
    public <T> T timeControllerExecution(ControllerExecution<T> execution) throws Exception {
        return delegate.timeControllerExecution(execution);
    }

    @Override
    public <T extends Map<?, ?>> T monitorSizeOf(T map, String name) {
        return delegate.monitorSizeOf(map, name);
    }
}
