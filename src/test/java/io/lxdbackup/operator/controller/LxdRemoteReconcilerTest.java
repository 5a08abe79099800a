package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.LxdRemote;
import io.lxdbackup.operator.api.v1alpha1.LxdRemotePhase;
import io.lxdbackup.operator.api.v1alpha1.LxdRemoteSpec;
import io.lxdbackup.operator.local.InMemoryApiServer;
import io.lxdbackup.operator.lxd.Capabilities;
import io.lxdbackup.operator.lxd.LxdTimeouts;
import io.lxdbackup.operator.testing.FakeLxd;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link LxdRemoteReconciler}'s probe against {@link FakeLxd} and the in-memory API server:
 * connected, unreachable with back-off, unresponsive, untrusted, and what the server's
 * extensions say it can do. Reconcile is called directly; the status it asks for is written.
 */
class LxdRemoteReconcilerTest {
    static final String NS = "default";
    static final Duration PROBE = Duration.ofMinutes(5);
    static InMemoryApiServer api;
    static KubernetesClient kube;

    FakeLxd lxd;
    LxdRemoteReconciler reconciler;

    @BeforeAll
    static void startApi() {
        api = new InMemoryApiServer(0);
        kube = api.client();
    }

    @AfterAll
    static void stopApi() {
        if (api != null) {
            api.close();
        }
    }

    @BeforeEach
    void fresh() {
        lxd = new FakeLxd();
        reconciler = new LxdRemoteReconciler(
                kube,
                new RemoteConnections(kube, LxdTimeouts.defaults(), lxd.connector()),
                new EventRecorder(kube, Clock.systemUTC()),
                Clock.systemUTC());
    }

    static LxdRemote create() {
        LxdRemote r = new LxdRemote();
        r.getMetadata().setName("remote-" + Long.toHexString(System.nanoTime()));
        r.getMetadata().setNamespace(NS);
        LxdRemoteSpec spec = new LxdRemoteSpec();
        spec.setUrl("unix:///fake/lxd/unix.socket");
        spec.setProbeInterval("5m");
        r.setSpec(spec);
        return kube.resource(r).create();
    }

    static LxdRemote get(LxdRemote r) {
        return kube.resources(LxdRemote.class)
                .inNamespace(NS)
                .withName(r.getMetadata().getName())
                .get();
    }

    UpdateControl<LxdRemote> reconcile(LxdRemote r) {
        LxdRemote current = get(r);
        UpdateControl<LxdRemote> c = reconciler.reconcile(current, null);
        if (c.isPatchStatus()) {
            StatusWriter.replaceStatus(kube, current, current.getStatus());
        }
        return c;
    }

    static Condition ready(LxdRemote r) {
        return r.getStatus().findCondition(Condition.READY).orElseThrow();
    }

    static Duration delay(UpdateControl<LxdRemote> c) {
        return Duration.ofMillis(c.getScheduleDelay().orElseThrow());
    }

    @Test
    void reachableServerIsReadyWithItsVersionAndCapabilities() {
        LxdRemote r = create();

        UpdateControl<LxdRemote> c = reconcile(r);

        LxdRemote now = get(r);
        assertThat(now.getStatus().getPhase()).isEqualTo(LxdRemotePhase.READY);
        assertThat(ready(now).getReason()).isEqualTo(Reasons.CONNECTED);
        assertThat(now.getStatus().getServerVersion()).isEqualTo("5.21.0");
        assertThat(now.getStatus().getCapabilities().getSnapshotExpiryAtCreation())
                .isTrue();
        assertThat(delay(c)).isEqualTo(PROBE);
        assertThat(lxd.calls("refreshServer")).isEqualTo(1);
    }

    @Test
    void olderServerShowsTheCapabilityItLacks() {
        lxd.withoutExtension(Capabilities.EXT_SNAPSHOT_EXPIRY_CREATION);
        LxdRemote r = create();

        reconcile(r);

        assertThat(get(r).getStatus().getCapabilities().getSnapshotExpiryAtCreation())
                .isFalse();
    }

    @Test
    void unreachableServerBacksOffAndRecovers() {
        lxd.failAlways("*", FakeLxd::unreachable);
        LxdRemote r = create();

        Duration first = delay(reconcile(r));
        Duration second = delay(reconcile(r));

        LxdRemote now = get(r);
        assertThat(now.getStatus().getPhase()).isEqualTo(LxdRemotePhase.UNREACHABLE);
        assertThat(ready(now).getReason()).isEqualTo(Reasons.SERVER_UNREACHABLE);
        assertThat(first).isEqualTo(Backoff.delay(1, PROBE));
        assertThat(second).isEqualTo(Backoff.delay(2, PROBE)).isGreaterThan(first);

        lxd.heal();
        reconcile(r);
        assertThat(get(r).getStatus().getPhase()).isEqualTo(LxdRemotePhase.READY);
        assertThat(ready(get(r)).getReason()).isEqualTo(Reasons.CONNECTED);
    }

    @Test
    void serverThatDoesNotAnswerIsUnresponsive() {
        lxd.failNext("refreshServer", 1, FakeLxd::timeout);
        LxdRemote r = create();

        UpdateControl<LxdRemote> c = reconcile(r);

        LxdRemote now = get(r);
        assertThat(now.getStatus().getPhase()).isEqualTo(LxdRemotePhase.UNREACHABLE);
        assertThat(ready(now).getReason()).isEqualTo(Reasons.SERVER_UNRESPONSIVE);
        assertThat(delay(c)).isEqualTo(Backoff.delay(1, PROBE));
    }

    @Test
    void untrustedClientWithoutATokenSaysHowToFixIt() {
        lxd.untrusted();
        LxdRemote r = create();

        UpdateControl<LxdRemote> c = reconcile(r);

        LxdRemote now = get(r);
        assertThat(now.getStatus().getPhase()).isEqualTo(LxdRemotePhase.UNTRUSTED);
        assertThat(ready(now).getReason()).isEqualTo(Reasons.NOT_TRUSTED);
        assertThat(ready(now).getMessage()).contains("trustTokenSecretRef");
        // permanent: probed again at the interval, not on the back-off
        assertThat(delay(c)).isEqualTo(PROBE);
        assertThat(lxd.trustedClients()).isEmpty();
    }
}
