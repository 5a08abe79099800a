package io.lxdbackup.operator.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.LxdRemote;
import java.util.Collection;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Wakes the resources that use an {@code LxdRemote} when that remote appears, is deleted, its
 * spec changes or its readiness flips, so a resource waiting on a missing or broken remote
 * carries on within seconds instead of at its next resync. Status-only changes of a ready
 * remote (its periodic probe) wake nobody. Watching our own kind needs no extra permission.
 */
final class RemoteDependents {
    private RemoteDependents() {}

    /**
     * @param remoteNames the remotes a resource names (remoteRef, source and target refs)
     */
    static <P extends HasMetadata> InformerEventSource<LxdRemote, P> eventSource(
            EventSourceContext<P> context,
            Class<P> primaryClass,
            Function<P, Collection<String>> remoteNames,
            RemoteConnections connections) {
        InformerEventSourceConfiguration<LxdRemote> cfg = InformerEventSourceConfiguration.from(
                        LxdRemote.class, primaryClass)
                .withName("lxdremote-dependents")
                .withNamespacesInheritedFromController()
                .withOnUpdateFilter((now, before) -> !Objects.equals(
                                now.getMetadata().getGeneration(),
                                before.getMetadata().getGeneration())
                        || ready(now) != ready(before))
                .withOnDeleteFilter((remote, finalStateUnknown) -> {
                    // the remote is gone: its cached connection is of no further use
                    connections.forget(
                            remote.getMetadata().getNamespace(),
                            remote.getMetadata().getName());
                    return true;
                })
                // without it, the SDK keeps an index from every resource it ever woke to the remote, and
                // removes entries only when the remote goes: a schedule's deleted children stayed in it
                // (about 200 bytes each, found by the schedule benchmark)
                .withPrimaryToSecondaryMapper((P p) -> remoteNames.apply(p).stream()
                        .map(n -> new ResourceID(n, p.getMetadata().getNamespace()))
                        .collect(Collectors.toSet()))
                .withSecondaryToPrimaryMapper(remote -> {
                    String ns = remote.getMetadata().getNamespace();
                    String name = remote.getMetadata().getName();
                    // the woken resources must see this version of the remote, not a read of a moment ago
                    connections.invalidate(remote);
                    return context.getPrimaryCache()
                            .list(ns)
                            .filter(p -> remoteNames.apply(p).contains(name))
                            .map(ResourceID::fromResource)
                            .collect(Collectors.toSet());
                })
                .build();
        return new InformerEventSource<>(cfg, context);
    }

    private static boolean ready(LxdRemote r) {
        return r.getStatus() != null
                && r.getStatus()
                        .findCondition(Condition.READY)
                        .map(c -> "True".equals(c.getStatus()))
                        .orElse(false);
    }

    static Set<String> names(String... names) {
        return java.util.Arrays.stream(names).filter(Objects::nonNull).collect(Collectors.toSet());
    }
}
