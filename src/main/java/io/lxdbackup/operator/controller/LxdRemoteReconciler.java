package io.lxdbackup.operator.controller;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.filter.OnUpdateFilter;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.LxdRemote;
import io.lxdbackup.operator.api.v1alpha1.LxdRemotePhase;
import io.lxdbackup.operator.api.v1alpha1.LxdRemoteSpec;
import io.lxdbackup.operator.api.v1alpha1.LxdRemoteStatus;
import io.lxdbackup.operator.api.v1alpha1.ServerCapabilities;
import io.lxdbackup.operator.lxd.Capabilities;
import io.lxdbackup.operator.lxd.Certificates;
import io.lxdbackup.operator.lxd.LxdApi;
import io.lxdbackup.operator.lxd.LxdException;
import io.lxdbackup.operator.lxd.ServerInfo;
import io.lxdbackup.operator.metrics.OperatorMetrics;
import io.lxdbackup.operator.schedule.GoDuration;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Probes one LXD server: connects with the client certificate from the Secret, enrols it
 * with the trust token when the server does not trust it yet, and reports version,
 * capabilities and trust in the status. Probes again every {@code probeInterval}.
 */
@ControllerConfiguration(
        name = "lxdremote",
        generationAwareEventProcessing = false,
        informer = @Informer(onUpdateFilter = LxdRemoteReconciler.SpecOrAnnotationsChanged.class))
public class LxdRemoteReconciler implements Reconciler<LxdRemote>, Cleaner<LxdRemote> {
    private static final Logger LOG = LoggerFactory.getLogger(LxdRemoteReconciler.class);
    static final Duration DEFAULT_PROBE = Duration.ofMinutes(5);
    private static final java.util.Set<String> TRUST_PROBLEMS =
            java.util.Set.of(Reasons.NOT_TRUSTED, Reasons.TLS_ERROR, Reasons.KEY_UNREADABLE, Reasons.SECRET_MISSING);

    private final KubernetesClient kube;
    private final RemoteConnections connections;
    private final EventRecorder events;
    private final OperatorMetrics metrics;
    private final Clock clock;

    public LxdRemoteReconciler(
            KubernetesClient kube, RemoteConnections connections, EventRecorder events, Clock clock) {
        this(kube, connections, events, OperatorMetrics.noop(), clock);
    }

    public LxdRemoteReconciler(
            KubernetesClient kube,
            RemoteConnections connections,
            EventRecorder events,
            OperatorMetrics metrics,
            Clock clock) {
        this.kube = kube;
        this.connections = connections;
        this.events = events;
        this.metrics = metrics;
        this.clock = clock;
    }

    /**
     * Probes again when the spec changes or when the remote is touched (an annotation change,
     * e.g. after its Secret was changed: Secrets are not watched) or its finalizers change, never
     * for its own status writes.
     */
    public static final class SpecOrAnnotationsChanged implements OnUpdateFilter<LxdRemote> {
        @Override
        public boolean accept(LxdRemote now, LxdRemote before) {
            return !Objects.equals(
                            now.getMetadata().getGeneration(),
                            before.getMetadata().getGeneration())
                    || !Objects.equals(
                            now.getMetadata().getAnnotations(),
                            before.getMetadata().getAnnotations())
                    || now.isMarkedForDeletion()
                    // JOSDK adds its finalizer, then waits for that update to reconcile
                    || !Objects.equals(
                            now.getMetadata().getFinalizers(),
                            before.getMetadata().getFinalizers());
        }
    }

    @Override
    public UpdateControl<LxdRemote> reconcile(LxdRemote remote, Context<LxdRemote> context) {
        return probe(remote, true);
    }

    /**
     * Releases the remote once nothing that names it has clean-up left; until then it reports
     * condition Deleting (reason InUse) and looks again every few seconds. Its connection stays
     * cached for the dependents, also when its Secret is gone ({@link RemoteConnections}).
     */
    @Override
    public DeleteControl cleanup(LxdRemote remote, Context<LxdRemote> context) {
        java.util.List<InUse.Dependent> users = InUse.ofRemote(
                kube, remote.getMetadata().getNamespace(), remote.getMetadata().getName());
        return InUse.releaseOrWait(kube, remote, users, LxdRemoteStatus::new, "remote", events, clock);
    }

    private UpdateControl<LxdRemote> probe(LxdRemote remote, boolean firstAttempt) {
        LxdRemoteStatus status = remote.getStatus() != null ? remote.getStatus() : new LxdRemoteStatus();
        remote.setStatus(status);
        LxdRemotePhase before = status.getPhase();
        long gen = remote.getMetadata().getGeneration() == null
                ? 0
                : remote.getMetadata().getGeneration();
        Duration probe = probeInterval(remote.getSpec());
        status.setLastProbeTime(Conditions.timestamp(clock.instant()));
        try {
            if (probe == null) {
                throw Failure.permanent(
                        Reasons.INVALID_SPEC,
                        "spec.probeInterval \"" + remote.getSpec().getProbeInterval()
                                + "\" is not a duration; use Go style such as 30s or 5m");
            }
            LxdApi client = connections.clientFor(remote, remote.getSpec().getTrustTokenSecretRef() != null);
            ServerInfo info = client.refreshServer();
            status.setServerCertificateFingerprint(
                    info.certificateFingerprint() != null
                            ? info.certificateFingerprint()
                            : client.presentedServerFingerprint());
            if (client.endpoint().identity() != null) {
                status.setClientCertificateFingerprint(
                        Certificates.fingerprint(client.endpoint().identity().certificate()));
            }
            if (!info.trusted()) {
                info = enrol(remote, client);
            }
            status.setServerVersion(info.serverVersion());
            status.setServerName(info.serverName());
            status.setClustered(info.clustered());
            status.setCapabilities(capabilities(info));
            status.setPhase(LxdRemotePhase.READY);
            Conditions.set(
                    status,
                    gen,
                    clock,
                    Condition.READY,
                    true,
                    Reasons.CONNECTED,
                    "Connected to LXD " + info.serverVersion() + " (" + info.serverName() + ")");
            metrics.remoteReady(
                    remote.getMetadata().getNamespace(), remote.getMetadata().getName(), true, Reasons.CONNECTED);
            if (before != LxdRemotePhase.READY) {
                events.normal(
                        remote,
                        before == null ? "Connected" : "Recovered",
                        "Connected to LXD " + info.serverVersion() + " at "
                                + remote.getSpec().getUrl());
            }
            return UpdateControl.patchStatus(remote).rescheduleAfter(probe);
        } catch (Exception e) {
            Failure f = Failure.from(e, "probing " + remote.getSpec().getUrl());
            if (firstAttempt && TRUST_PROBLEMS.contains(f.reason())) {
                // the Secret may have changed a moment ago: read it again and probe once more
                connections.invalidate(remote);
                return probe(remote, false);
            }
            status.setPhase(phaseFor(f.reason()));
            Conditions.set(status, gen, clock, Condition.READY, false, f.reason(), f.getMessage());
            metrics.remoteReady(
                    remote.getMetadata().getNamespace(), remote.getMetadata().getName(), false, f.reason());
            int failures = Conditions.countFailure(status);
            if (before != status.getPhase()) {
                events.warning(remote, f.reason(), f.getMessage());
                LOG.warn(
                        "LxdRemote {}/{}: {}: {}",
                        remote.getMetadata().getNamespace(),
                        remote.getMetadata().getName(),
                        f.reason(),
                        f.getMessage());
            }
            Duration next = probe == null ? DEFAULT_PROBE : probe;
            if (f.isTransient()) {
                next = Backoff.delay(failures, next);
            }
            return UpdateControl.patchStatus(remote).rescheduleAfter(next);
        }
    }

    private ServerInfo enrol(LxdRemote remote, LxdApi client) {
        LxdRemoteSpec spec = remote.getSpec();
        String fp = client.endpoint().identity() == null
                ? "(none)"
                : Certificates.fingerprint(client.endpoint().identity().certificate());
        if (spec.getTrustTokenSecretRef() == null
                || spec.getTrustTokenSecretRef().getName() == null) {
            throw Failure.permanent(
                    Reasons.NOT_TRUSTED,
                    "the server does not trust client certificate " + fp
                            + "; add it on the server (lxc config trust add) or set trustTokenSecretRef to a Secret holding a trust token");
        }
        String key = spec.getTrustTokenSecretRef().getKey() == null
                ? RemoteConnections.DEFAULT_TOKEN_KEY
                : spec.getTrustTokenSecretRef().getKey();
        String tokenSecret = spec.getTrustTokenSecretRef().getName();
        String token = connections.readSecretKey(
                remote.getMetadata().getNamespace(), tokenSecret, key, SecretRules.Use.TRUST_TOKEN);
        TrustTokens.admit(spec, token, "Secret " + tokenSecret + " key " + key, clock.instant());
        try {
            client.trust(
                    token,
                    "lxd-backup-operator-" + remote.getMetadata().getNamespace() + "-"
                            + remote.getMetadata().getName());
        } catch (LxdException e) {
            throw Failure.permanent(
                    Reasons.ENROLMENT_FAILED,
                    "enrolling client certificate " + fp + " failed: " + e.getMessage()
                            + "; the token may be used up or expired: issue a new one (lxc config trust add) and update Secret "
                            + spec.getTrustTokenSecretRef().getName());
        }
        ServerInfo info = client.refreshServer();
        if (!info.trusted()) {
            throw Failure.permanent(
                    Reasons.ENROLMENT_FAILED,
                    "the server accepted the enrolment but still does not trust certificate " + fp);
        }
        events.normal(remote, "Enrolled", "Client certificate " + fp + " is now trusted by the server");
        return info;
    }

    static ServerCapabilities capabilities(ServerInfo info) {
        ServerCapabilities c = new ServerCapabilities();
        Capabilities caps = info.capabilities();
        c.setSnapshotExpiry(caps.snapshotExpiry());
        c.setSnapshotExpiryAtCreation(caps.snapshotExpiryOnCreate());
        c.setStateful(caps.stateful());
        c.setDiskVolumesMode(caps.diskVolumesMode());
        c.setBackupMetadataVersion(caps.backupMetadataVersion());
        c.setImportDevices(caps.importDevices());
        c.setBackupOverridePool(caps.importOverridePool());
        c.setBackupOverrideName(caps.importOverrideName());
        c.setInstanceCopyRefresh(info.hasExtension("container_incremental_copy"));
        c.setCompressionAlgorithms(List.copyOf(caps.compressionAlgorithms()));
        return c;
    }

    static LxdRemotePhase phaseFor(String reason) {
        return switch (reason) {
            case Reasons.SERVER_UNREACHABLE, Reasons.TIMEOUT -> LxdRemotePhase.UNREACHABLE;
            case Reasons.NOT_TRUSTED, Reasons.ENROLMENT_FAILED, Reasons.FINGERPRINT_MISMATCH, Reasons.TLS_ERROR ->
                LxdRemotePhase.UNTRUSTED;
            case Reasons.TRUST_TOKEN_REFUSED -> LxdRemotePhase.UNTRUSTED;
            case Reasons.INVALID_SPEC, Reasons.SECRET_MISSING, Reasons.KEY_UNREADABLE, Reasons.SECRET_NOT_ALLOWED ->
                LxdRemotePhase.INVALID;
            default -> LxdRemotePhase.UNREACHABLE;
        };
    }

    static Duration probeInterval(LxdRemoteSpec spec) {
        if (spec.getProbeInterval() == null || spec.getProbeInterval().isBlank()) {
            return DEFAULT_PROBE;
        }
        try {
            Duration d = GoDuration.parse(spec.getProbeInterval());
            return d.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : d;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
