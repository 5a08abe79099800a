package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.AccessMode;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.InstanceExport;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportSpec;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.testing.Fixtures;
import io.lxdbackup.operator.testing.GatedStores;
import io.lxdbackup.operator.testing.LxdRig;
import io.lxdbackup.operator.testing.OperatorHarness;
import io.lxdbackup.operator.testing.S3Server;
import io.lxdbackup.operator.transfer.TransferLimits;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * More exports than {@code --max-transfers} against the real LXD rig and s3proxy: the ones
 * beyond the limit say {@code Queued} with their place in line, none is counted as failed,
 * never more run at once than the limit, and all complete.
 */
@Tag("lxd")
class QueuedTransfersLxdTest {
    static final String BUCKET = "queued";
    static LxdRig rig;
    static LxdClient lxd;
    static S3Server s3;
    static final GatedStores gates = new GatedStores();
    static OperatorHarness op;
    static KubernetesClient kube;
    static final List<String> instances = new ArrayList<>();
    static final byte[] RANDOM = new byte[12 * 1024 * 1024];

    static {
        new Random(3).nextBytes(RANDOM);
    }

    @BeforeAll
    static void start() throws Exception {
        rig = LxdRig.require();
        lxd = rig.clientA();
        s3 = S3Server.start();
        try (S3Client raw = s3.rawClient()) {
            raw.createBucket(b -> b.bucket(BUCKET));
        }
        op = new OperatorHarness(Clock.systemUTC(), gates)
                .withTransfers(new TransferLimits(1, 1, 64 * TransferLimits.MIB, 64 * TransferLimits.MIB))
                .start();
        kube = op.kube();
        Fixtures.remote(kube, rig, "lxd-a", "a", "5m");
        Fixtures.backupStore(
                kube, "s3", s3.endpoint(), BUCKET, "q/", S3Server.IDENTITY, S3Server.CREDENTIAL, AccessMode.READ_WRITE);
    }

    @AfterAll
    static void stop() throws Exception {
        if (op != null) {
            op.close();
        }
        if (lxd != null) {
            LxdRig.deleteQuietly(lxd, instances.toArray(String[]::new));
            lxd.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    static InstanceExport export(String name, String instance) {
        InstanceExport e = new InstanceExport();
        e.getMetadata().setName(name);
        e.getMetadata().setNamespace(Fixtures.NS);
        InstanceExportSpec spec = new InstanceExportSpec();
        spec.setRemoteRef(new ObjectRef("lxd-a"));
        spec.setInstance(instance);
        spec.setStoreRef(new ObjectRef("s3"));
        e.setSpec(spec);
        return e;
    }

    static InstanceExport get(String name) {
        return kube.resources(InstanceExport.class)
                .inNamespace(Fixtures.NS)
                .withName(name)
                .get();
    }

    static Condition complete(String name) {
        InstanceExport e = get(name);
        return e == null || e.getStatus() == null
                ? null
                : e.getStatus().findCondition(Condition.COMPLETE).orElse(null);
    }

    @Test
    void exportsBeyondTheLimitAreQueuedThenAllComplete() throws Exception {
        List<String> names = List.of("q1", "q2", "q3");
        List<String> insts = new ArrayList<>();
        for (String n : names) {
            String inst = rig.createInstance(lxd, "iq" + n);
            instances.add(inst);
            lxd.writeFile(inst, "/root/random.bin", RANDOM, 0600);
            insts.add(inst);
        }
        AtomicInteger maxRunning = new AtomicInteger();
        Thread sampler = Thread.ofPlatform().daemon().start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                maxRunning.accumulateAndGet(op.runtime().transfers().runningCount(), Math::max);
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        // the first holds the only slot, paused in the middle of its upload
        GatedStores.Gate gate = gates.arm("/" + insts.get(0) + "/", 4L * 1024 * 1024);
        kube.resource(export("q1", insts.get(0))).create();
        assertThat(gate.awaitReached(120)).isTrue();
        kube.resource(export("q2", insts.get(1))).create();
        // first come, first served: q3 asks once q2 is in line
        await().atMost(Duration.ofSeconds(60))
                .until(() ->
                        complete("q2") != null && "Queued".equals(complete("q2").getReason()));
        kube.resource(export("q3", insts.get(2))).create();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(complete("q2")).isNotNull();
            assertThat(complete("q2").getReason()).isEqualTo("Queued");
            assertThat(complete("q2").getMessage())
                    .contains("number 1 of 2 waiting")
                    .contains("1 of 1 transfers running (--max-transfers)");
            assertThat(complete("q3")).isNotNull();
            assertThat(complete("q3").getReason()).isEqualTo("Queued");
            assertThat(complete("q3").getMessage()).contains("number 2 of 2 waiting");
        });
        // waiting is neither a failure nor a phase change; nothing was created for the waiting ones yet
        for (String n : List.of("q2", "q3")) {
            InstanceExport e = get(n);
            assertThat(e.getStatus().getFailures()).isNull();
            assertThat(e.getStatus().getLastError()).isNull();
            assertThat(e.getStatus().getPhase()).isEqualTo(InstanceExportPhase.PENDING);
            assertThat(e.getStatus().getBackupName()).isNull();
        }
        assertThat(lxd.listBackups(insts.get(1))).isEmpty();
        gate.release();
        await().atMost(Duration.ofMinutes(3))
                .pollInterval(Duration.ofMillis(250))
                .until(() ->
                        names.stream().allMatch(n -> get(n).getStatus().getPhase() == InstanceExportPhase.COMPLETED));
        sampler.interrupt();
        assertThat(maxRunning.get()).as("transfers running at once").isEqualTo(1);
        for (String n : names) {
            InstanceExport e = get(n);
            assertThat(e.getStatus().getFailures()).as(n + " failures").isNull();
            assertThat(complete(n).getReason()).isEqualTo(Reasons.EXPORT_COMPLETED);
        }
        assertThat(op.runtime().transfers().runningCount()).isZero();
        assertThat(op.runtime().transfers().waitingCount()).isZero();
    }
}
