package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.AccessMode;
import io.lxdbackup.operator.api.v1alpha1.BackupStore;
import io.lxdbackup.operator.api.v1alpha1.BackupStorePhase;
import io.lxdbackup.operator.api.v1alpha1.Compression;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.DeletionPolicy;
import io.lxdbackup.operator.api.v1alpha1.ExportSchedule;
import io.lxdbackup.operator.api.v1alpha1.ExportScheduleSpec;
import io.lxdbackup.operator.api.v1alpha1.ExportTemplate;
import io.lxdbackup.operator.api.v1alpha1.InstanceExport;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportSpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportStatus;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.api.v1alpha1.RunResult;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.testing.Fixtures;
import io.lxdbackup.operator.testing.GatedStores;
import io.lxdbackup.operator.testing.IndependentS3Client;
import io.lxdbackup.operator.testing.LxdRig;
import io.lxdbackup.operator.testing.OperatorHarness;
import io.lxdbackup.operator.testing.S3Implementation;
import io.lxdbackup.operator.testing.S3Server;
import io.lxdbackup.operator.testing.S3TestServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * InstanceExport, BackupStore and ExportSchedule through the operator as deployed, against the
 * real LXD rig and an in-process s3proxy; every result is read back with an independent S3
 * client ({@code aws} or {@code rclone}) and imported into the second LXD daemon. The tests
 * taking an {@link S3Implementation} also run against moto's server, through a BackupStore of
 * their own; the others stay on s3proxy (one stops and restarts the store mid-upload and needs
 * its objects to survive that, which moto, in memory only, does not do).
 */
@Tag("lxd")
class InstanceExportControllerLxdTest {
    static final Duration T = Duration.ofMinutes(2);
    static final String BUCKET = "exports";
    static final String PREFIX = "cluster-a/";
    static LxdRig rig;
    static S3Server s3;
    static GatedStores gates = new GatedStores();
    static OperatorHarness op;
    static KubernetesClient kube;
    static LxdClient lxd;
    static LxdClient lxdB;
    static IndependentS3Client aws;
    /** Per S3 implementation: its server, the BackupStore pointing at it, an independent client for it. */
    record Target(S3TestServer server, String store, IndependentS3Client aws) {}

    static final Map<S3Implementation, Target> targets = new ConcurrentHashMap<>();
    static final List<String> instances = new CopyOnWriteArrayList<>();
    static final List<String> instancesB = new CopyOnWriteArrayList<>();
    /** 40 MiB random (incompressible, so the export spans several 8 MiB parts) + 8 MiB of text. */
    static final byte[] RANDOM = new byte[40 * 1024 * 1024];

    static final byte[] TEXT;

    static {
        new Random(7).nextBytes(RANDOM);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; sb.length() < 8 * 1024 * 1024; i++) {
            sb.append("line ").append(i).append(": the quick brown fox jumps over the lazy dog\n");
        }
        TEXT = sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    @BeforeAll
    static void start() throws Exception {
        rig = LxdRig.require();
        lxd = rig.clientA();
        lxdB = rig.clientB();
        s3 = S3Server.start();
        try (S3Client raw = s3.rawClient()) {
            raw.createBucket(b -> b.bucket(BUCKET));
        }
        aws = IndependentS3Client.require(s3.endpoint(), Files.createTempDirectory("iexp-aws"));
        op = new OperatorHarness(Clock.systemUTC(), gates).start();
        kube = op.kube();
        Fixtures.remote(kube, rig, "lxd-a", "a", "5m");
        Fixtures.backupStore(
                kube,
                "s3-main",
                s3.endpoint(),
                BUCKET,
                PREFIX,
                S3Server.IDENTITY,
                S3Server.CREDENTIAL,
                AccessMode.READ_WRITE);
        targets.put(S3Implementation.S3PROXY, new Target(s3, "s3-main", aws));
    }

    /** The target for {@code impl}; moto's is started on first use (skipped, or failing in CI, without moto). */
    static synchronized Target target(S3Implementation impl) throws Exception {
        Target t = targets.get(impl);
        if (t == null) {
            S3TestServer server = impl.start();
            targets.put(
                    impl,
                    t = new Target(
                            server,
                            impl.id() + "-main",
                            server.independentClient(Files.createTempDirectory("iexp-" + impl.id()))));
            server.createBucket(BUCKET);
            Fixtures.backupStore(
                    kube,
                    t.store(),
                    server.endpoint(),
                    BUCKET,
                    PREFIX,
                    server.identity(),
                    server.credential(),
                    AccessMode.READ_WRITE);
        }
        return t;
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
        if (lxdB != null) {
            LxdRig.deleteQuietly(lxdB, instancesB.toArray(String[]::new));
            lxdB.close();
        }
        for (Target t : targets.values()) {
            if (t.server() != s3) {
                t.server().close();
            }
        }
        if (s3 != null) {
            s3.close();
        }
    }

    /** A stopped container holding /root/random.bin and /root/text.txt. */
    static String instanceWithData(String prefix) {
        String n = rig.createInstance(lxd, prefix);
        instances.add(n);
        lxd.writeFile(n, "/root/random.bin", RANDOM, 0600);
        lxd.writeFile(n, "/root/text.txt", TEXT, 0644);
        return n;
    }

    static InstanceExport export(String name, String instance) {
        return export(name, instance, "s3-main");
    }

    static InstanceExport export(String name, String instance, String store) {
        InstanceExport e = new InstanceExport();
        e.getMetadata().setName(name);
        e.getMetadata().setNamespace(Fixtures.NS);
        InstanceExportSpec spec = new InstanceExportSpec();
        spec.setRemoteRef(new ObjectRef("lxd-a"));
        spec.setInstance(instance);
        spec.setStoreRef(new ObjectRef(store));
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

    static InstanceExport awaitCompleted(String name) {
        return awaitStatus(name, st -> st.getPhase() == InstanceExportPhase.COMPLETED);
    }

    static InstanceExport awaitReason(String name, String reason) {
        return awaitStatus(
                name,
                st -> st.findCondition(Condition.COMPLETE)
                        .map(c -> reason.equals(c.getReason()))
                        .orElse(false));
    }

    static Condition complete(InstanceExport e) {
        return e.getStatus().findCondition(Condition.COMPLETE).orElseThrow();
    }

    static List<String> keysOf(String instance) throws Exception {
        return keysOf(aws, instance);
    }

    static List<String> keysOf(IndependentS3Client aws, String instance) throws Exception {
        return aws.list(BUCKET, PREFIX).stream()
                .filter(k -> k.contains("/" + instance + "/"))
                .toList();
    }

    /** The object as an independent client sees it: size and sha256 as the status and manifest say. */
    static void assertStoredAndDescribed(InstanceExport e) throws Exception {
        assertStoredAndDescribed(aws, e);
    }

    static void assertStoredAndDescribed(IndependentS3Client aws, InstanceExport e) throws Exception {
        InstanceExportStatus st = e.getStatus();
        String key = st.getObject().getKey();
        IndependentS3Client.Head head = aws.head(BUCKET, key).orElseThrow();
        assertThat(head.size()).isEqualTo(st.getObject().getSize());
        // sha256 metadata only on single-PUT objects; the manifest (below) is the checksum record
        if (head.sha256() != null) {
            assertThat(head.sha256()).isEqualTo(st.getObject().getSha256());
        }
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        long[] n = new long[1];
        aws.read(BUCKET, key, in -> {
            byte[] buf = new byte[1 << 16];
            for (int r; (r = in.read(buf)) > 0; ) {
                d.update(buf, 0, r);
                n[0] += r;
            }
        });
        assertThat(n[0]).isEqualTo(st.getObject().getSize());
        assertThat(HexFormat.of().formatHex(d.digest()))
                .isEqualTo(st.getObject().getSha256());
        JsonNode manifest = new ObjectMapper().readTree(aws.readAll(BUCKET, key + ".json"));
        assertThat(st.getManifestKey()).isEqualTo(key + ".json");
        assertThat(manifest.path("key").asText()).isEqualTo(key);
        assertThat(manifest.path("size").asLong()).isEqualTo(st.getObject().getSize());
        assertThat(manifest.path("sha256").asText()).isEqualTo(st.getObject().getSha256());
        assertThat(manifest.path("instance").asText()).isEqualTo(e.getSpec().getInstance());
        assertThat(manifest.path("compression").asText())
                .isEqualTo(st.getCompression().value());
        assertThat(manifest.path("exportName").asText())
                .isEqualTo(e.getMetadata().getName());
    }

    /** Only the export and its manifest under the instance's prefix; no multipart upload left there. */
    static void assertExactlyOneObject(InstanceExport e) throws Exception {
        assertExactlyOneObject(aws, e);
    }

    static void assertExactlyOneObject(IndependentS3Client aws, InstanceExport e) throws Exception {
        String key = e.getStatus().getObject().getKey();
        assertThat(keysOf(aws, e.getSpec().getInstance())).containsExactlyInAnyOrder(key, key + ".json");
        String instancePrefix = key.substring(0, key.lastIndexOf('/') + 1);
        aws.multipartUploads(BUCKET, instancePrefix)
                .ifPresent(n -> assertThat(n).as("multipart uploads left").isZero());
    }

    static void assertNoLxdBackup(String instance) {
        assertThat(lxd.listBackups(instance))
                .as("LXD-side backups of " + instance)
                .isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(S3Implementation.class)
    void exportIsVerifiedByAnIndependentClientAndImportsBack(S3Implementation impl) throws Exception {
        Target target = target(impl);
        IndependentS3Client aws = target.aws();
        String name = "full-" + impl.id();
        String inst = instanceWithData("iexp");
        kube.resource(export(name, inst, target.store())).create();

        InstanceExport done = awaitCompleted(name);
        InstanceExportStatus st = done.getStatus();
        assertThat(complete(done).getStatus()).isEqualTo("True");
        assertThat(st.getCompression()).isEqualTo(Compression.ZSTD);
        assertThat(st.getObject().getBucket()).isEqualTo(BUCKET);
        assertThat(st.getObject().getKey())
                .isEqualTo(PREFIX + "default/lxd-a/default/" + inst + "/" + name + ".tar.zst");
        assertThat(st.getProgress().getPercent()).isEqualTo(100);
        assertThat(st.getProgress().getBytesDone()).isEqualTo(st.getObject().getSize());
        assertThat(st.getLxdVersion()).isNotBlank();
        assertThat(st.getBackupName()).isNull();
        assertThat(st.getCompletionTime()).isNotNull();
        assertThat(st.getObservedGeneration()).isEqualTo(done.getMetadata().getGeneration());
        assertNoLxdBackup(inst);
        assertStoredAndDescribed(aws, done);
        assertExactlyOneObject(aws, done);

        // the file, as downloaded by the independent client, imports into the other daemon intact
        Path tar = Files.createTempFile("export", ".tar.zst");
        try {
            aws.read(
                    BUCKET,
                    st.getObject().getKey(),
                    in -> Files.copy(in, tar, java.nio.file.StandardCopyOption.REPLACE_EXISTING));
            LxdRig.deleteQuietly(lxdB, inst);
            instancesB.add(inst);
            try (var in = Files.newInputStream(tar)) {
                lxdB.waitFor(
                        lxdB.importBackup(
                                in, Files.size(tar), new LxdClient.ImportRequest(rig.get("storage.pool"), null, null)),
                        T);
            }
            assertThat(lxdB.readFile(inst, "/root/random.bin")).isEqualTo(RANDOM);
            assertThat(lxdB.readFile(inst, "/root/text.txt")).isEqualTo(TEXT);
        } finally {
            Files.deleteIfExists(tar);
        }

        // the store lists it from its manifest
        S3TestServer server = target.server();
        String scan = impl.id() + "-scan";
        Fixtures.backupStore(
                kube,
                scan,
                server.endpoint(),
                BUCKET,
                PREFIX,
                server.identity(),
                server.credential(),
                AccessMode.READ_ONLY);
        await().atMost(T).until(() -> {
            BackupStore bs = kube.resources(BackupStore.class)
                    .inNamespace(Fixtures.NS)
                    .withName(scan)
                    .get();
            return bs.getStatus() != null
                    && bs.getStatus().getExports() != null
                    && bs.getStatus().getExports().stream()
                            .anyMatch(x -> st.getObject().getKey().equals(x.getKey()));
        });

        // Retain (default): the object outlives the resource
        kube.resources(InstanceExport.class)
                .inNamespace(Fixtures.NS)
                .withName(name)
                .delete();
        await().atMost(T).until(() -> get(name) == null);
        assertThat(aws.head(BUCKET, st.getObject().getKey())).isPresent();
    }

    @Test
    void ttlRemovesObjectManifestAndResource() throws Exception {
        String inst = instanceWithData("ittl");
        InstanceExport e = export("ttl", inst);
        e.getSpec().setTtl("15s");
        e.getSpec().setCompression(Compression.GZIP);
        e.getSpec().setInstanceOnly(true);
        kube.resource(e).create();
        InstanceExport done = awaitCompleted("ttl");
        assertThat(done.getStatus().getCompression()).isEqualTo(Compression.GZIP);
        assertThat(done.getStatus().getObject().getKey()).endsWith("/ttl.tar.gz");
        assertThat(done.getStatus().getExpiration()).isNotNull();
        assertStoredAndDescribed(done);
        String key = done.getStatus().getObject().getKey();
        await().atMost(T).until(() -> get("ttl") == null);
        assertThat(aws.head(BUCKET, key)).isEmpty();
        assertThat(aws.head(BUCKET, key + ".json")).isEmpty();
        assertNoLxdBackup(inst);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(S3Implementation.class)
    void deletionPolicyDeleteRemovesObjectAndManifest(S3Implementation impl) throws Exception {
        Target target = target(impl);
        String name = "del-" + impl.id();
        String inst = instanceWithData("idel");
        InstanceExport e = export(name, inst, target.store());
        e.getSpec().setDeletionPolicy(DeletionPolicy.DELETE);
        kube.resource(e).create();
        String key = awaitCompleted(name).getStatus().getObject().getKey();
        assertThat(target.aws().head(BUCKET, key)).isPresent();
        assertThat(target.aws().head(BUCKET, key + ".json")).isPresent();
        kube.resources(InstanceExport.class)
                .inNamespace(Fixtures.NS)
                .withName(name)
                .delete();
        await().atMost(T).until(() -> get(name) == null);
        assertThat(keysOf(target.aws(), inst)).isEmpty();
    }

    /** s3proxy only: the store comes back with the parts uploaded so far, which moto (in memory) loses. */
    @Test
    void storeUnreachableMidUploadLeavesNothingAndIsRetried() throws Exception {
        String inst = instanceWithData("iunr");
        GatedStores.Gate gate = gates.arm("/" + inst + "/", 24L * 1024 * 1024);
        kube.resource(export("unreachable", inst)).create();
        assertThat(gate.awaitReached(120)).isTrue();
        s3.stop();
        try {
            gate.release();
            InstanceExport failing =
                    awaitStatus("unreachable", st -> st.getFailures() != null && st.getFailures() >= 1);
            assertThat(failing.getStatus().getPhase()).isEqualTo(InstanceExportPhase.UPLOADING);
            assertThat(complete(failing).getStatus()).isEqualTo("False");
            assertThat(complete(failing).getReason()).isIn(Reasons.STORE_UNAVAILABLE, Reasons.UPLOAD_FAILED);
            assertThat(complete(failing).getMessage()).doesNotContain(S3Server.CREDENTIAL);
            // the LXD backup is kept for the retry
            assertThat(lxd.listBackups(inst)).hasSize(1);
        } finally {
            s3.restart();
        }
        // nothing visible at the key until the retry completed
        String key = get("unreachable").getStatus().getObject().getKey();
        assertThat(aws.head(BUCKET, key)).isEmpty();
        InstanceExport done = awaitCompleted("unreachable");
        assertThat(done.getStatus().getAttempts()).isGreaterThanOrEqualTo(2);
        assertStoredAndDescribed(done);
        assertExactlyOneObject(done);
        assertNoLxdBackup(inst);
    }

    @Test
    void operatorRestartMidUploadResumesWithOneObject() throws Exception {
        String inst = instanceWithData("irst");
        GatedStores.Gate gate = gates.arm("/" + inst + "/", 24L * 1024 * 1024);
        kube.resource(export("restart", inst)).create();
        assertThat(gate.awaitReached(120)).isTrue();
        String key = get("restart").getStatus().getObject().getKey();
        // what a killed operator leaves behind: a multipart upload nobody completes
        try (S3Client raw = s3.rawClient()) {
            raw.createMultipartUpload(b -> b.bucket(BUCKET).key(key));
        }
        // stop as a crash would, while the upload is in flight: the transfer is cut, then the
        // gate opens so the stopping reconcile can notice
        var stopping = java.util.concurrent.CompletableFuture.runAsync(op::stop);
        Thread.sleep(1000);
        gate.release();
        stopping.get(2, java.util.concurrent.TimeUnit.MINUTES);
        op.start();
        InstanceExport done = awaitCompleted("restart");
        assertThat(done.getStatus().getAttempts()).isGreaterThanOrEqualTo(2);
        assertStoredAndDescribed(done);
        assertExactlyOneObject(done);
        assertNoLxdBackup(inst);
    }

    @Test
    void lxdBackupCreationFailuresAreClearAndLeaveNothing() throws Exception {
        // instance deleted right before the export
        String gone = rig.createInstance(lxd, "igone");
        LxdRig.deleteQuietly(lxd, gone);
        kube.resource(export("gone", gone)).create();
        InstanceExport failed = awaitStatus("gone", st -> st.getPhase() == InstanceExportPhase.FAILED);
        assertThat(complete(failed).getReason()).isEqualTo(Reasons.INSTANCE_NOT_FOUND);
        assertThat(keysOf(gone)).isEmpty();

        // a backup LXD refuses to make: format version 2 on a server without backup_metadata_version
        String inst = instanceWithData("iver");
        InstanceExport e = export("version", inst);
        e.getSpec().setExportVersion(2);
        kube.resource(e).create();
        failed = awaitStatus("version", st -> st.getPhase() == InstanceExportPhase.FAILED);
        if (lxd.server().capabilities().backupMetadataVersion()) {
            return; // a newer server accepts it; nothing to check here
        }
        assertThat(complete(failed).getReason()).isEqualTo(Reasons.NOT_SUPPORTED);
        assertThat(failed.getStatus().getBackupName()).isNull();
        assertNoLxdBackup(inst);
        assertThat(keysOf(inst)).isEmpty();
        // terminal: not retried in a loop
        Integer failures = failed.getStatus().getFailures();
        Thread.sleep(6000);
        assertThat(get("version").getStatus().getFailures()).isEqualTo(failures);
    }

    @Test
    void optimizedStorageOnADirPoolIsRefusedClearly() throws Exception {
        String inst = instanceWithData("iopt");
        String pool = lxd.getInstance(inst).expandedDevices().get("root").get("pool");
        String driver = lxd.storagePoolDriver(pool);
        org.junit.jupiter.api.Assumptions.assumeTrue("dir".equals(driver), "the rig's pool is " + driver + ", not dir");
        // what LXD itself does with it: a plain tarball, no word about it (index.yaml: optimized: false)
        Path byHand = Files.createTempDirectory("opt").resolve("x.tar.gz");
        rig.lxc("a", "export", inst, byHand.toString(), "--optimized-storage");
        assertThat(tarEntry(byHand, "backup/index.yaml")).contains("optimized: false");

        InstanceExport e = export("optimized", inst);
        e.getSpec().setOptimizedStorage(true);
        kube.resource(e).create();
        InstanceExport failed = awaitStatus("optimized", st -> st.getPhase() == InstanceExportPhase.FAILED);
        assertThat(complete(failed).getReason()).isEqualTo(Reasons.NOT_SUPPORTED);
        assertThat(complete(failed).getMessage())
                .contains("optimizedStorage", "pool " + pool, "driver dir", "btrfs or zfs", "optimizedStorage: false");
        assertNoLxdBackup(inst);
        assertThat(keysOf(inst)).isEmpty();
    }

    @Test
    void exportVersionOneOnAServerWithoutTheExtensionWorksAsLxcExportDoes() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(
                lxd.server().capabilities().backupMetadataVersion(), "this server can choose the version");
        String inst = instanceWithData("iv1");
        InstanceExport e = export("version-one", inst);
        e.getSpec().setExportVersion(1);
        e.getSpec().setCompression(Compression.NONE);
        kube.resource(e).create();
        InstanceExport done = awaitCompleted("version-one");
        assertStoredAndDescribed(done);
        // what the server writes without the extension: the version 1 layout (config.container)
        Path tar = Files.createTempDirectory("v1").resolve("x.tar");
        Files.write(tar, aws.readAll(BUCKET, done.getStatus().getObject().getKey()));
        String index = tarEntry(tar, "backup/index.yaml");
        assertThat(index).contains("\n  container:\n").doesNotContain("\n  instance:\n");
        assertNoLxdBackup(inst);
    }

    /** One file of a tar archive (plain or gzip), read by the system's tar. */
    static String tarEntry(Path archive, String entry) throws Exception {
        Process p = new ProcessBuilder("tar", "-xOf", archive.toString(), entry)
                .redirectErrorStream(false)
                .start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor()).as("tar of " + archive).isZero();
        return new String(out, StandardCharsets.UTF_8);
    }

    @Test
    void storeProblemsAreClearConditionsAndNothingIsCreated() throws Exception {
        String inst = instanceWithData("istore");
        Fixtures.backupStore(
                kube,
                "no-bucket",
                s3.endpoint(),
                "missing-bucket",
                PREFIX,
                S3Server.IDENTITY,
                S3Server.CREDENTIAL,
                AccessMode.READ_WRITE);
        Fixtures.backupStore(
                kube,
                "bad-creds",
                s3.endpoint(),
                BUCKET,
                PREFIX,
                S3Server.IDENTITY,
                "wrong-secret-123",
                AccessMode.READ_WRITE);
        Fixtures.backupStore(
                kube,
                "read-only",
                s3.endpoint(),
                BUCKET,
                PREFIX,
                S3Server.IDENTITY,
                S3Server.CREDENTIAL,
                AccessMode.READ_ONLY);
        record Case(String store, String reason) {}
        for (Case c : List.of(
                new Case("no-bucket", Reasons.BUCKET_NOT_FOUND),
                new Case("bad-creds", Reasons.INVALID_CREDENTIALS),
                new Case("read-only", Reasons.READ_ONLY_STORE))) {
            InstanceExport e = export("store-" + c.store(), inst);
            e.getSpec().setStoreRef(new ObjectRef(c.store()));
            kube.resource(e).create();
            InstanceExport failed =
                    awaitStatus("store-" + c.store(), st -> st.getPhase() == InstanceExportPhase.FAILED);
            assertThat(complete(failed).getReason()).as(c.store()).isEqualTo(c.reason());
            assertThat(complete(failed).getMessage())
                    .doesNotContain("wrong-secret-123")
                    .doesNotContain(S3Server.CREDENTIAL);
            assertNoLxdBackup(inst);
        }
        assertThat(keysOf(inst)).isEmpty();
        await().atMost(T).until(() -> storeReason("no-bucket"), r -> Reasons.BUCKET_NOT_FOUND.equals(r));
        await().atMost(T).until(() -> storeReason("bad-creds"), r -> Reasons.INVALID_CREDENTIALS.equals(r));
        await().atMost(T).until(() -> storeReason("read-only"), r -> Reasons.STORE_AVAILABLE.equals(r));
        BackupStore bad = kube.resources(BackupStore.class)
                .inNamespace(Fixtures.NS)
                .withName("bad-creds")
                .get();
        assertThat(bad.getStatus().getPhase()).isEqualTo(BackupStorePhase.UNAVAILABLE);
        assertThat(bad.getStatus().getLastValidationTime()).isNotNull();
        assertThat(bad.getStatus().getMessage()).doesNotContain("wrong-secret-123");
    }

    static String storeReason(String name) {
        BackupStore bs = kube.resources(BackupStore.class)
                .inNamespace(Fixtures.NS)
                .withName(name)
                .get();
        return bs == null || bs.getStatus() == null
                ? null
                : bs.getStatus()
                        .findCondition(Condition.AVAILABLE)
                        .map(Condition::getReason)
                        .orElse(null);
    }

    @Test
    void exportScheduleRunsThroughTheSharedEngine() throws Exception {
        String inst = instanceWithData("isched");
        ExportSchedule s = new ExportSchedule();
        s.getMetadata().setName("nightly");
        s.getMetadata().setNamespace(Fixtures.NS);
        ExportScheduleSpec spec = new ExportScheduleSpec();
        spec.setRemoteRef(new ObjectRef("lxd-a"));
        spec.setInstances(List.of(inst));
        spec.setSchedule("* * * * *");
        ExportTemplate t = new ExportTemplate();
        t.setStoreRef(new ObjectRef("s3-main"));
        spec.setExportTemplate(t);
        s.setSpec(spec);
        kube.resource(s).create();
        await().atMost(Duration.ofMinutes(3))
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> {
                    ExportSchedule cur = kube.resources(ExportSchedule.class)
                            .inNamespace(Fixtures.NS)
                            .withName("nightly")
                            .get();
                    return cur.getStatus() != null
                            && cur.getStatus().getInstances() != null
                            && cur.getStatus().getInstances().stream()
                                    .anyMatch(r -> r.getLastResult() == RunResult.SUCCEEDED);
                });
        ExportSchedule cur = kube.resources(ExportSchedule.class)
                .inNamespace(Fixtures.NS)
                .withName("nightly")
                .get();
        var run = cur.getStatus().getInstances().get(0);
        InstanceExport child = get(run.getLastExport());
        assertThat(child.getSpec().getDeletionPolicy()).isEqualTo(DeletionPolicy.DELETE);
        assertThat(child.getMetadata().getLabels()).containsEntry(ScheduleReconcilerBase.LABEL_SCHEDULE, "nightly");
        assertThat(run.getLastObject()).isEqualTo(child.getStatus().getObject().getKey());
        assertStoredAndDescribed(child);
        // the schedule and every run it made go, so that no run of it is still uploading during
        // the other tests (the mock API server has no garbage collector for owned children)
        kube.resource(cur).delete();
        await().atMost(T)
                .until(() -> kube.resources(ExportSchedule.class)
                                .inNamespace(Fixtures.NS)
                                .withName("nightly")
                                .get()
                        == null);
        kube.resources(InstanceExport.class)
                .inNamespace(Fixtures.NS)
                .withLabel(ScheduleReconcilerBase.LABEL_SCHEDULE, "nightly")
                .delete();
        await().atMost(T)
                .until(() -> kube.resources(InstanceExport.class)
                        .inNamespace(Fixtures.NS)
                        .withLabel(ScheduleReconcilerBase.LABEL_SCHEDULE, "nightly")
                        .list()
                        .getItems()
                        .isEmpty());
    }
}
