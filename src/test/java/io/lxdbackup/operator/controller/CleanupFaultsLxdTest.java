package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.AccessMode;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.InstanceExport;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportSpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportStatus;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.store.ObjectStore;
import io.lxdbackup.operator.store.S3ObjectStore;
import io.lxdbackup.operator.store.StoreConfig;
import io.lxdbackup.operator.testing.AbortRefusingTransport;
import io.lxdbackup.operator.testing.Fixtures;
import io.lxdbackup.operator.testing.GatedStores;
import io.lxdbackup.operator.testing.IndependentS3Client;
import io.lxdbackup.operator.testing.LxdRig;
import io.lxdbackup.operator.testing.OperatorHarness;
import io.lxdbackup.operator.testing.S3Server;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Clean-up faults against the real LXD rig and a real s3proxy: a store that lists multipart
 * uploads it then refuses to abort (403) or denies knowing (404, as s3proxy's filesystem store
 * does after a restart), and a store that goes away for 20 seconds in the middle of an upload.
 * A clean-up that fails never becomes the export's outcome; a gone upload is aborted already.
 */
@Tag("lxd")
class CleanupFaultsLxdTest {
    static final Duration T = Duration.ofMinutes(3);
    static final String BUCKET = "cleanup";
    static final String PREFIX = "faults/";
    static LxdRig rig;
    static LxdClient lxd;
    static S3Server refusing;
    static S3Server onDisk;
    static AbortRefusingTransport transport;
    static final GatedStores gates = new GatedStores();
    static OperatorHarness op;
    static KubernetesClient kube;
    static final List<String> instances = new CopyOnWriteArrayList<>();
    /** 24 MiB random: three 8 MiB parts, so the export is a multipart upload. */
    static final byte[] RANDOM = new byte[24 * 1024 * 1024];

    static {
        new Random(16).nextBytes(RANDOM);
    }

    @BeforeAll
    static void start() throws Exception {
        rig = LxdRig.require();
        lxd = rig.clientA();
        refusing = S3Server.start();
        // below Linux's ephemeral range: while it is down, a client cannot connect to itself on its port
        onDisk = S3Server.startOnDisk(Files.createTempDirectory("cleanup-s3"), freePortBelowEphemeral());
        for (S3Server s : List.of(refusing, onDisk)) {
            try (S3Client raw = s.rawClient()) {
                raw.createBucket(b -> b.bucket(BUCKET));
            }
        }
        op = new OperatorHarness(Clock.systemUTC(), CleanupFaultsLxdTest::openStore).start();
        kube = op.kube();
        Fixtures.remote(kube, rig, "lxd-a", "a", "5m");
        Fixtures.backupStore(
                kube,
                "refusing",
                refusing.endpoint(),
                BUCKET,
                PREFIX,
                S3Server.IDENTITY,
                S3Server.CREDENTIAL,
                AccessMode.READ_WRITE);
        Fixtures.backupStore(
                kube,
                "ondisk",
                onDisk.endpoint(),
                BUCKET,
                PREFIX,
                S3Server.IDENTITY,
                S3Server.CREDENTIAL,
                AccessMode.READ_WRITE);
    }

    /** The refusing server's stores go through the refusing transport; the on-disk one's through the gate. */
    static synchronized ObjectStore openStore(StoreConfig config) {
        if (config.endpoint() != null
                && config.endpoint().getPort() == onDisk.endpoint().getPort()) {
            return gates.apply(config);
        }
        S3Client client = S3ObjectStore.buildClient(config, o -> {}, http -> {
            // a restarted operator opens the store again: the fault stays as the test set it
            AbortRefusingTransport before = transport;
            transport = new AbortRefusingTransport(http);
            if (before != null) {
                transport.answerAborts(before.answer());
            }
            return transport;
        });
        return S3ObjectStore.open(config, client);
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
        for (S3Server s : new S3Server[] {refusing, onDisk}) {
            if (s != null) {
                s.close();
            }
        }
    }

    static int freePortBelowEphemeral() {
        for (int attempt = 0; ; attempt++) {
            int port = 20_000 + new Random().nextInt(12_000);
            try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
                probe.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port));
                return port;
            } catch (java.io.IOException taken) {
                if (attempt > 50) {
                    throw new IllegalStateException("no free port", taken);
                }
            }
        }
    }

    static String instanceWithData(String prefix) {
        String n = rig.createInstance(lxd, prefix);
        instances.add(n);
        lxd.writeFile(n, "/root/random.bin", RANDOM, 0600);
        return n;
    }

    static InstanceExport export(String name, String instance, String store, String key) {
        InstanceExport e = new InstanceExport();
        e.getMetadata().setName(name);
        e.getMetadata().setNamespace(Fixtures.NS);
        InstanceExportSpec spec = new InstanceExportSpec();
        spec.setRemoteRef(new ObjectRef("lxd-a"));
        spec.setInstance(instance);
        spec.setStoreRef(new ObjectRef(store));
        spec.setKey(key);
        e.setSpec(spec);
        return e;
    }

    static InstanceExport get(String name) {
        return kube.resources(InstanceExport.class)
                .inNamespace(Fixtures.NS)
                .withName(name)
                .get();
    }

    static InstanceExport awaitStatus(String name, Predicate<InstanceExportStatus> p) {
        await().atMost(T).pollInterval(Duration.ofMillis(250)).until(() -> {
            InstanceExport s = get(name);
            return s != null && s.getStatus() != null && p.test(s.getStatus());
        });
        return get(name);
    }

    /** Completed or Failed: the test then says which it must be. */
    static InstanceExport awaitEnd(String name) {
        return awaitStatus(
                name,
                st -> st.getPhase() == InstanceExportPhase.COMPLETED || st.getPhase() == InstanceExportPhase.FAILED);
    }

    static List<Event> events(String name, String reason) {
        return kube.v1().events().inNamespace(Fixtures.NS).list().getItems().stream()
                .filter(ev -> name.equals(ev.getInvolvedObject().getName()) && reason.equals(ev.getReason()))
                .toList();
    }

    static String describe(InstanceExport e) {
        return e.getStatus()
                .findCondition(Condition.COMPLETE)
                .map(c -> c.getReason() + ": " + c.getMessage())
                .orElse("?");
    }

    static int openUploads(S3Server server, String key) {
        try (S3Client raw = server.rawClient()) {
            return (int) raw.listMultipartUploads(b -> b.bucket(BUCKET).prefix(key)).uploads().stream()
                    .filter(u -> u.key().equals(key))
                    .count();
        }
    }

    /**
     * What an earlier, killed attempt of the export leaves: its claim of the key (the export's
     * uid) and an upload the store lists at the key. The operator is stopped meanwhile, so the
     * export starts only once both are there, as after a restart.
     */
    static void createWithStaleUpload(InstanceExport e, String key) throws Exception {
        op.stop();
        try {
            InstanceExport created = kube.resource(e).create();
            try (S3Client raw = refusing.rawClient()) {
                raw.putObject(
                        b -> b.bucket(BUCKET).key(io.lxdbackup.operator.store.ObjectKeys.manifestKey(key)),
                        software.amazon.awssdk.core.sync.RequestBody.fromBytes(
                                io.lxdbackup.operator.store.BackupManifest.claim(
                                                key,
                                                created.getMetadata().getUid(),
                                                created.getMetadata().getName(),
                                                Fixtures.NS,
                                                java.time.Instant.now())
                                        .toJson()));
                raw.createMultipartUpload(b -> b.bucket(BUCKET).key(key));
            }
        } finally {
            op.start();
        }
    }

    @Test
    void staleUploadTheStoreRefusesToAbortDoesNotFailTheExport() throws Exception {
        String inst = instanceWithData("cref");
        String key = PREFIX + "refused/" + inst + ".tar";
        transport.answerAborts(new AbortRefusingTransport.Answer(403, "AccessDenied"));
        try {
            createWithStaleUpload(export("refused", inst, "refusing", "refused/" + inst + ".tar"), key);
            InstanceExport done = awaitEnd("refused");
            assertThat(done.getStatus().getPhase()).as(describe(done)).isEqualTo(InstanceExportPhase.COMPLETED);
            assertThat(transport.refused()).as("aborts refused by the store").isPositive();
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> !events("refused", "StaleUploadsLeft").isEmpty());
            assertThat(events("refused", "StaleUploadsLeft").getFirst().getMessage())
                    .contains(key)
                    .contains("AccessDenied");
            assertThat(done.getStatus().getFailures())
                    .as("a refused clean-up is no failure of the export")
                    .isNull();
        } finally {
            transport.answerAborts(null);
        }
        // the object is there, whole; only the stale upload the store refused to abort is left
        IndependentS3Client aws =
                IndependentS3Client.require(refusing.endpoint(), Files.createTempDirectory("cref-aws"));
        assertThat(aws.head(BUCKET, key))
                .get()
                .extracting(IndependentS3Client.Head::size)
                .isEqualTo(get("refused").getStatus().getObject().getSize());
        assertThat(openUploads(refusing, key)).isEqualTo(1);
    }

    @Test
    void staleUploadGoneWhenAbortedIsSuccess() throws Exception {
        String inst = instanceWithData("cgone");
        String key = PREFIX + "gone/" + inst + ".tar";
        // listed, then unknown when aborted, answered as a bare 404 (NoSuchKey): it is gone, which is what an abort
        // wants
        transport.answerAborts(new AbortRefusingTransport.Answer(404, "NoSuchKey"));
        try {
            createWithStaleUpload(export("gone", inst, "refusing", "gone/" + inst + ".tar"), key);
            InstanceExport done = awaitEnd("gone");
            assertThat(done.getStatus().getPhase()).as(describe(done)).isEqualTo(InstanceExportPhase.COMPLETED);
            assertThat(transport.refused()).isPositive();
            assertThat(events("gone", "StaleUploadsLeft"))
                    .as("a gone upload is no clean-up failure")
                    .isEmpty();
            assertThat(done.getStatus().getFailures()).isNull();
        } finally {
            transport.answerAborts(null);
        }
    }

    @Test
    void storeGoneFor20SecondsMidUploadCompletesAfterwardsWithNoUploadLeftOpen() throws Exception {
        String inst = instanceWithData("cout");
        String key = PREFIX + "outage/" + inst + ".tar";
        GatedStores.Gate gate = gates.arm("/" + inst + ".tar", 12L * 1024 * 1024);
        kube.resource(export("outage", inst, "ondisk", "outage/" + inst + ".tar"))
                .create();
        assertThat(gate.awaitReached(120)).isTrue();
        onDisk.stop();
        long stopped = System.nanoTime();
        try {
            gate.release();
            InstanceExport failing = awaitStatus("outage", st -> st.getFailures() != null && st.getFailures() >= 1);
            assertThat(failing.getStatus().getPhase()).isEqualTo(InstanceExportPhase.UPLOADING);
            Thread.sleep(Math.max(0, 20_000 - (System.nanoTime() - stopped) / 1_000_000));
            assertThat(get("outage").getStatus().getPhase())
                    .as(describe(get("outage")))
                    .isEqualTo(InstanceExportPhase.UPLOADING);
        } finally {
            onDisk.restart();
        }
        InstanceExport done = awaitEnd("outage");
        assertThat(done.getStatus().getPhase()).as(describe(done)).isEqualTo(InstanceExportPhase.COMPLETED);
        assertThat(done.getStatus().getAttempts()).isGreaterThanOrEqualTo(2);
        IndependentS3Client aws = IndependentS3Client.require(onDisk.endpoint(), Files.createTempDirectory("cout-aws"));
        assertThat(aws.head(BUCKET, key))
                .get()
                .extracting(IndependentS3Client.Head::size)
                .isEqualTo(done.getStatus().getObject().getSize());
        assertThat(openUploads(onDisk, key))
                .as("multipart uploads left open at " + key)
                .isZero();
        assertThat(lxd.listBackups(inst)).isEmpty();
    }
}
