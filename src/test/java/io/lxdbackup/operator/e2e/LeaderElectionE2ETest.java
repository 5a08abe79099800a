package io.lxdbackup.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.lxdbackup.operator.config.OperatorSettings;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Two replicas of the operator, as the chart runs them with {@code replicas: 2}: one holds the
 * Lease and works, the other waits. {@code kill -9} of the leader in the middle of an export:
 * the standby takes the Lease once it expires and completes the export exactly once.
 */
class LeaderElectionE2ETest {

    static String holder(E2eCluster c) {
        Lease l = c.admin
                .leases()
                .inNamespace(E2eCluster.SYSTEM_NS)
                .withName(OperatorSettings.LEASE_NAME)
                .get();
        return l == null ? null : l.getSpec().getHolderIdentity();
    }

    @Test
    void theStandbyTakesOverFromAKilledLeaderAndTheExportCompletesOnce() throws Exception {
        E2eCluster cluster = E2eCluster.get();
        cluster.stopMainOperator();
        List<String> args = List.of("--leader-election=true", "--lease-namespace=" + E2eCluster.SYSTEM_NS);
        SlowExport slow = new SlowExport(cluster, "e2e-leader");
        try (OperatorProcess first = OperatorProcess.start("operator-0", cluster.operatorKubeconfig(), args)) {
            // a stopped operator released its Lease, or it expires; the first replica takes it
            await().atMost(Duration.ofSeconds(60)).until(() -> first.identity().equals(holder(cluster)));
            try (OperatorProcess second = OperatorProcess.start("operator-1", cluster.operatorKubeconfig(), args)) {
                slow.start("failover");
                assertThat(holder(cluster)).isEqualTo(first.identity());
                long killed = System.nanoTime();
                first.kill();
                await().atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> second.identity().equals(holder(cluster)));
                Duration takeover = Duration.ofNanos(System.nanoTime() - killed);
                // JOSDK's defaults: a 15 s lease, retried every 2 s
                assertThat(takeover).as("takeover after kill -9").isLessThan(Duration.ofSeconds(30));
                System.out.printf("standby took the Lease %d ms after kill -9 of the leader%n", takeover.toMillis());
                slow.assertCompletedExactlyOnce("failover", Duration.ofMinutes(4));
                assertThat(second.alive()).isTrue();
            }
        } finally {
            // the operator that releases the namespace's finalizers must run while it is deleted
            cluster.mainOperator();
            slow.close();
        }
        cluster.assertNothingForbidden(E2eCluster.serviceAccountUser(E2eCluster.SYSTEM_NS, E2eCluster.SERVICE_ACCOUNT));
    }
}
