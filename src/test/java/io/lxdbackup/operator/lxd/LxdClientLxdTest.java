package io.lxdbackup.operator.lxd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lxdbackup.operator.testing.LxdRig;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The LXD client against the real LXD 5.0.2 daemons of the test rig. */
@Tag("lxd")
class LxdClientLxdTest {
    static final Duration T = Duration.ofMinutes(2);
    static LxdRig rig;
    static LxdClient a;
    static LxdClient b;
    static final List<String> createdOnA = new CopyOnWriteArrayList<>();
    static final List<String> createdOnB = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void setUp() {
        rig = LxdRig.require();
        a = rig.clientA();
        b = rig.clientB();
    }

    @AfterAll
    static void tearDown() {
        if (a != null) {
            LxdRig.deleteQuietly(a, createdOnA.toArray(String[]::new));
            LxdRig.deleteQuietly(b, createdOnB.toArray(String[]::new));
            a.close();
            b.close();
        }
    }

    String newInstance(String prefix) {
        String name = rig.createInstance(a, prefix);
        createdOnA.add(name);
        return name;
    }

    @Test
    void diskVolumesModeOnDeleteAndRestoreIsRefusedByAServerWithoutTheExtension() {
        org.junit.jupiter.api.Assumptions.assumeFalse(
                a.server().capabilities().diskVolumesMode(), "this server has instance_snapshot_multi_volume");
        String inst = newInstance("dvm");
        a.waitFor(a.createSnapshot(inst, LxdClient.SnapshotRequest.named("s1")), java.time.Duration.ofMinutes(1));
        // LXD 5.0.2 itself would ignore the unknown parameter and field and act on the root disk only
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> a.deleteSnapshot(LxdTarget.instance(inst), "s1", "all-exclusive"))
                .isInstanceOf(LxdException.NotSupported.class)
                .hasMessageContaining("instance_snapshot_multi_volume");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> a.restoreSnapshot(inst, "s1", false, "all-exclusive"))
                .isInstanceOf(LxdException.NotSupported.class)
                .hasMessageContaining("instance_snapshot_multi_volume");
        assertThat(a.snapshotExists(inst, "s1")).isTrue();
        // root is what every server does: accepted, nothing extra sent
        a.waitFor(a.restoreSnapshot(inst, "s1", false, "root"), java.time.Duration.ofMinutes(1));
        a.waitFor(a.deleteSnapshot(LxdTarget.instance(inst), "s1", "root"), java.time.Duration.ofMinutes(1));
        assertThat(a.snapshotExists(inst, "s1")).isFalse();
    }

    // ------------------------------------------------------------------ transport and server info

    @Test
    void serverInfoOverHttpsWithSec1Key() {
        ServerInfo info = a.refreshServer();
        assertThat(info.trusted()).isTrue();
        assertThat(info.serverVersion()).isEqualTo(rig.get("lxd.version"));
        assertThat(info.certificateFingerprint()).isEqualTo(rig.get("a.fingerprint"));
        assertThat(info.apiExtensions()).contains("snapshot_expiry", "backup_compression_algorithm");
        // 5.0.2 lacks these; the capabilities must say so
        assertThat(info.capabilities().diskVolumesMode()).isFalse();
        assertThat(info.capabilities().backupMetadataVersion()).isFalse();
        assertThat(info.capabilities().importDevices()).isFalse();
        assertThat(info.capabilities().snapshotExpiry()).isTrue();
        assertThat(info.capabilities().snapshotExpiryOnCreate()).isTrue();
        assertThat(info.capabilities().backupCompressionAlgorithm()).isTrue();
    }

    @Test
    void pkcs8KeyAndPemPinWork() {
        Certificates.ClientIdentity id =
                Certificates.parseIdentity(rig.read("client.crt"), rig.read("client.key.pkcs8"));
        LxdEndpoint ep =
                new LxdEndpoint(rig.get("a.url"), null, null, id, rig.read("a.certificate"), null, false, null, null);
        try (LxdClient c = LxdClient.create(ep)) {
            assertThat(c.refreshServer().trusted()).isTrue();
        }
    }

    @Test
    void wrongPemPinIsRefusedAndPemDisagreeingWithFingerprintIsRejected() {
        // B's certificate pinned while dialling A
        LxdEndpoint wrongPem = new LxdEndpoint(
                rig.get("a.url"),
                null,
                null,
                rig.trustedIdentity(),
                rig.read("b.certificate"),
                null,
                false,
                null,
                null);
        try (LxdClient c = LxdClient.create(wrongPem)) {
            assertThatThrownBy(c::refreshServer).isInstanceOfSatisfying(LxdException.CertificateMismatch.class, e -> {
                assertThat(e.expectedFingerprint()).isEqualTo(rig.get("b.fingerprint"));
                assertThat(e.actualFingerprint()).isEqualTo(rig.get("a.fingerprint"));
            });
        }
        LxdEndpoint disagree = new LxdEndpoint(
                rig.get("a.url"),
                null,
                null,
                rig.trustedIdentity(),
                rig.read("a.certificate"),
                rig.get("b.fingerprint"),
                false,
                null,
                null);
        assertThatThrownBy(() -> LxdClient.create(disagree))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(rig.get("a.fingerprint"))
                .hasMessageContaining(rig.get("b.fingerprint"))
                .hasMessageContaining("disagree");
        // the same certificate given both ways is fine
        LxdEndpoint agree = new LxdEndpoint(
                rig.get("a.url"),
                null,
                null,
                rig.trustedIdentity(),
                rig.read("a.certificate"),
                rig.get("a.fingerprint").toUpperCase(),
                false,
                null,
                null);
        try (LxdClient c = LxdClient.create(agree)) {
            assertThat(c.refreshServer().trusted()).isTrue();
        }
    }

    @Test
    void onlyTls13IsNegotiated() throws Exception {
        try (LxdClient c = rig.clientA()) {
            assertThat(c.negotiatedTlsVersion()).isNull();
            c.refreshServer();
            assertThat(c.negotiatedTlsVersion()).isEqualTo("TLSv1.3");
        }
        // a server that offers TLS 1.2 at most is refused
        Certificates.ClientIdentity serverId = rig.untrustedIdentity();
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry(
                "server", serverId.key(), new char[0], serverId.chain().toArray(new java.security.cert.Certificate[0]));
        javax.net.ssl.KeyManagerFactory kmf =
                javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLSv1.2");
        ctx.init(kmf.getKeyManagers(), null, null);
        try (javax.net.ssl.SSLServerSocket ss = (javax.net.ssl.SSLServerSocket)
                ctx.getServerSocketFactory().createServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            ss.setEnabledProtocols(new String[] {"TLSv1.2"});
            Thread server = Thread.ofVirtual().start(() -> {
                try (javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) ss.accept()) {
                    s.startHandshake();
                } catch (java.io.IOException e) {
                    // the client refuses the handshake: expected
                }
            });
            String fp = Certificates.fingerprint(serverId.chain().get(0));
            try (LxdClient c = LxdClient.create(
                    LxdEndpoint.https("https://127.0.0.1:" + ss.getLocalPort(), rig.trustedIdentity(), fp))) {
                assertThatThrownBy(c::refreshServer)
                        .isExactlyInstanceOf(LxdException.TlsFailure.class)
                        .hasMessageContaining("TLS 1.3 only");
                assertThat(c.negotiatedTlsVersion()).isNull();
            }
            server.join(10_000);
        }
    }

    @Test
    void unixSocket() {
        try (LxdClient c = LxdClient.create(LxdEndpoint.unix(rig.get("a.socket")))) {
            ServerInfo info = c.refreshServer();
            assertThat(info.trusted()).isTrue();
            assertThat(info.serverVersion()).isEqualTo(rig.get("lxd.version"));
            assertThat(c.listInstances()).isNotNull();
        }
    }

    /**
     * A request other than GET on a connection that sat idle for more than 10 s: OkHttp first
     * checks such a pooled connection with a 1 ms read, which a unix socket cannot time out, so
     * the request waited for ever (local mode's first {@code kubectl delete} hung in the
     * finalizer). Unix-socket connections are therefore not kept for reuse.
     */
    @Test
    void unixSocketWriteAfterTheConnectionWasIdle() throws Exception {
        String name = rig.createInstance(a, "idle");
        createdOnA.add(name);
        try (LxdClient c = LxdClient.create(LxdEndpoint.unix(rig.get("a.socket")))) {
            assertThat(c.getInstance(name).isRunning()).isFalse();
            Thread.sleep(11_000);
            org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                    Duration.ofSeconds(60), () -> c.waitFor(c.deleteInstance(name), T));
            assertThat(c.listInstances()).extracting(Instance::name).doesNotContain(name);
        }
    }

    @Test
    void wrongPinnedFingerprintIsRefusedNamingBothFingerprints() {
        String wrong = "00".repeat(32);
        try (LxdClient c = LxdClient.create(LxdEndpoint.https(rig.get("a.url"), rig.trustedIdentity(), wrong))) {
            assertThatThrownBy(c::refreshServer)
                    .isInstanceOfSatisfying(LxdException.CertificateMismatch.class, e -> {
                        assertThat(e.expectedFingerprint()).isEqualTo(wrong);
                        assertThat(e.actualFingerprint()).isEqualTo(rig.get("a.fingerprint"));
                    })
                    .hasMessageContaining(wrong)
                    .hasMessageContaining(rig.get("a.fingerprint"));
        }
    }

    @Test
    void noPinAndNoInsecureIsRefusedAndShowsTheFingerprintToPin() {
        try (LxdClient c = LxdClient.create(LxdEndpoint.https(rig.get("a.url"), rig.trustedIdentity(), null))) {
            assertThatThrownBy(c::refreshServer)
                    .isInstanceOf(LxdException.TlsFailure.class)
                    .hasMessageContaining(rig.get("a.fingerprint"));
        }
        try (LxdClient c = LxdClient.create(
                LxdEndpoint.https(rig.get("a.url"), rig.trustedIdentity(), null).withInsecureSkipVerify(true))) {
            assertThat(c.refreshServer().trusted()).isTrue();
        }
    }

    @Test
    void untrustedCertificateSeesUntrustedAndForbidden() {
        try (LxdClient c = LxdClient.create(
                LxdEndpoint.https(rig.get("a.url"), rig.untrustedIdentity(), rig.get("a.fingerprint")))) {
            ServerInfo info = c.refreshServer();
            assertThat(info.trusted()).isFalse();
            assertThatThrownBy(c::listInstances).isInstanceOf(LxdException.Forbidden.class);
        }
    }

    @Test
    void unreachableServerIsTransientUnreachable() {
        try (LxdClient c = LxdClient.create(
                LxdEndpoint.https("https://127.0.0.1:1", rig.trustedIdentity(), rig.get("a.fingerprint")))) {
            assertThatThrownBy(c::refreshServer)
                    .isInstanceOf(LxdException.Unreachable.class)
                    .hasMessageContaining("127.0.0.1:1")
                    .satisfies(e -> assertThat(((LxdException) e).isTransient()).isTrue());
        }
    }

    @Test
    void enrolmentWithTrustPasswordAndWithToken() {
        Certificates.GeneratedIdentity gen = Certificates.generate("enrol-password");
        Certificates.ClientIdentity id = Certificates.parseIdentity(gen.certificatePem(), gen.privateKeyPem());
        try (LxdClient c = LxdClient.create(LxdEndpoint.https(rig.get("a.url"), id, rig.get("a.fingerprint")))) {
            assertThat(c.refreshServer().trusted()).isFalse();
            // LXD 5.0.2 answers a wrong trust password with 403 "not authorized"
            assertThatThrownBy(() -> c.trust("wrong-password", "enrol-password"))
                    .isInstanceOfSatisfying(
                            LxdException.Forbidden.class,
                            e -> assertThat(e.statusCode()).isEqualTo(403));
            assertThat(c.refreshServer().trusted()).isFalse();
            c.trust(rig.get("trust.password"), "enrol-password");
            assertThat(c.refreshServer().trusted()).isTrue();
        }

        String token = a.createTrustToken("enrol-token");
        Certificates.GeneratedIdentity gen2 = Certificates.generate("enrol-token");
        Certificates.ClientIdentity id2 = Certificates.parseIdentity(gen2.certificatePem(), gen2.privateKeyPem());
        try (LxdClient c = LxdClient.create(LxdEndpoint.https(rig.get("a.url"), id2, rig.get("a.fingerprint")))) {
            c.trust(token, "enrol-token");
            assertThat(c.refreshServer().trusted()).isTrue();
        }
    }

    // ------------------------------------------------------------------ snapshots

    @Test
    void snapshotLifecycle() {
        String inst = newInstance("snap");
        a.writeFile(inst, "/root/data.txt", "version-1".getBytes(StandardCharsets.UTF_8), 0644);

        Instant expiry = Instant.now().plus(Duration.ofDays(2)).truncatedTo(ChronoUnit.SECONDS);
        a.waitFor(a.createSnapshot(inst, new LxdClient.SnapshotRequest("s1", false, expiry, false, null)), T);
        Snapshot s1 = a.getSnapshot(inst, "s1");
        assertThat(s1.name()).isEqualTo("s1");
        assertThat(s1.createdAt()).isCloseTo(Instant.now(), within(Duration.ofMinutes(2)));
        assertThat(s1.expiresAt()).isEqualTo(expiry);
        // dir pools cannot tell a snapshot's own usage: LXD reports -1, which the client gives as null
        assertThat(s1.size()).isNull();

        // expiry edits, including "never"
        Instant later = expiry.plus(Duration.ofDays(5));
        a.waitFor(a.updateSnapshotExpiry(inst, "s1", later), T);
        assertThat(a.getSnapshot(inst, "s1").expiresAt()).isEqualTo(later);
        a.waitFor(a.updateSnapshotExpiry(inst, "s1", null), T);
        assertThat(a.getSnapshot(inst, "s1").expiresAt()).isNull();

        // a name clash is AlreadyExists, never a silent success
        assertThatThrownBy(() -> a.waitFor(a.createSnapshot(inst, LxdClient.SnapshotRequest.named("s1")), T))
                .isInstanceOf(LxdException.AlreadyExists.class);

        // restore in place brings the old content back
        a.writeFile(inst, "/root/data.txt", "version-2".getBytes(StandardCharsets.UTF_8), 0644);
        a.waitFor(a.restoreSnapshot(inst, "s1", false), T);
        assertThat(new String(a.readFile(inst, "/root/data.txt"), StandardCharsets.UTF_8))
                .isEqualTo("version-1");

        a.waitFor(a.renameSnapshot(inst, "s1", "s1-renamed"), T);
        assertThat(a.listSnapshots(inst)).extracting(Snapshot::name).containsExactly("s1-renamed");
        a.waitFor(a.deleteSnapshot(inst, "s1-renamed"), T);
        assertThat(a.listSnapshots(inst)).isEmpty();
        assertThatThrownBy(() -> a.getSnapshot(inst, "s1-renamed")).isInstanceOf(LxdException.NotFound.class);
    }

    @Test
    void unnamedSnapshotFollowsTheServerPattern() {
        String inst = newInstance("pat");
        a.updateInstanceConfig(inst, Map.of("snapshots.pattern", "rig-%d"), null);
        Operation op = a.waitFor(a.createSnapshot(inst, LxdClient.SnapshotRequest.named(null)), T);
        assertThat(op.isSuccess()).isTrue();
        assertThat(a.listSnapshots(inst)).extracting(Snapshot::name).containsExactly("rig-0");
    }

    @Test
    void unsupportedDiskVolumesModeIsRefusedBeforeAnyRequest() {
        String inst = newInstance("dvm");
        assertThatThrownBy(() ->
                        a.createSnapshot(inst, new LxdClient.SnapshotRequest("x", false, null, false, "all-exclusive")))
                .isInstanceOf(LxdException.NotSupported.class)
                .hasMessageContaining("not supported by this server")
                .hasMessageContaining(Capabilities.EXT_DISK_VOLUMES_MODE);
        assertThat(a.listSnapshots(inst)).isEmpty();
        // "root" is the behaviour of every server, so it works without the extension
        a.waitFor(a.createSnapshot(inst, new LxdClient.SnapshotRequest("rootonly", false, null, false, "root")), T);
        assertThat(a.listSnapshots(inst)).extracting(Snapshot::name).containsExactly("rootonly");
    }

    @Test
    void namesLxdRejectsAreBadRequestsAndOddCharactersAreEncoded() {
        String inst = newInstance("names");
        assertThatThrownBy(() -> a.waitFor(a.createSnapshot(inst, LxdClient.SnapshotRequest.named("a/b")), T))
                .isExactlyInstanceOf(LxdException.BadRequest.class)
                .satisfies(e -> assertThat(((LxdException) e).statusCode()).isEqualTo(400))
                .hasMessageContaining("/");
        assertThat(a.listSnapshots(inst)).isEmpty();
        assertThatThrownBy(() -> a.getSnapshot(inst, "x?y&z+w")).isInstanceOf(LxdException.NotFound.class);
        assertThatThrownBy(() -> a.getInstance("no-such-instance-" + LxdRig.uniqueName("x")))
                .isInstanceOf(LxdException.NotFound.class);
    }

    @Test
    void configKeysAreUpdatedOneByOneLeavingOthers() {
        String inst = newInstance("cfg");
        a.updateInstanceConfig(inst, Map.of("snapshots.schedule", "@daily", "user.keep", "yes"), null);
        a.updateInstanceConfig(inst, Map.of("snapshots.expiry", "1w"), Set.of("snapshots.schedule"));
        Map<String, String> cfg = a.getInstance(inst).config();
        assertThat(cfg)
                .containsEntry("user.keep", "yes")
                .containsEntry("snapshots.expiry", "1w")
                .containsEntry("security.privileged", "true")
                .doesNotContainKey("snapshots.schedule");
        assertThatThrownBy(() -> a.updateInstanceConfig(inst, Map.of("snapshots.schedule", "not a cron"), null))
                .isInstanceOf(LxdException.BadRequest.class);
    }

    @Test
    void configUpdateWithAStaleEtagIsRetriedAndKeepsTheOtherChange() {
        String inst = newInstance("etag");
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        try (LxdClient other = rig.clientA()) {
            // between our read and our write, someone else changes another key: our ETag is stale
            LxdClient observed = a.observedBy(RecordingProbe.beforeConfigWrite((attempt, name) -> {
                attempts.add(attempt);
                if (attempt == 0 && name.equals(inst)) {
                    other.updateInstanceConfig(inst, Map.of("user.other-writer", "kept"), null);
                }
            }));
            observed.updateInstanceConfig(inst, Map.of("snapshots.expiry", "2d"), null);
        }
        // the first write was refused with 412 and the second, on a fresh read, went through
        assertThat(attempts).containsExactly(0, 1);
        assertThat(a.getInstance(inst).config())
                .containsEntry("snapshots.expiry", "2d")
                .containsEntry("user.other-writer", "kept");
    }

    // ------------------------------------------------------------------ backups, import

    @Test
    void backupExportImportRoundTripIsByteIdentical() throws Exception {
        String inst = newInstance("bkp");
        byte[] payload = new byte[300_000];
        new java.util.Random(42).nextBytes(payload);
        a.writeFile(inst, "/root/payload.bin", payload, 0600);
        a.waitFor(a.createSnapshot(inst, LxdClient.SnapshotRequest.named("before")), T);

        Instant expires = Instant.now().plus(Duration.ofHours(1)).truncatedTo(ChronoUnit.SECONDS);
        a.waitFor(a.createBackup(inst, new LxdClient.BackupRequest("b1", expires, false, false, "zstd", null)), T);
        assertThat(a.listBackups(inst)).extracting(Backup::name).containsExactly("b1");
        assertThat(a.getBackup(inst, "b1").expiresAt()).isEqualTo(expires);
        assertThatThrownBy(() -> a.createBackup(inst, new LxdClient.BackupRequest("b2", null, false, false, null, 2)))
                .isInstanceOf(LxdException.NotSupported.class);

        ByteArrayOutputStream file = new ByteArrayOutputStream();
        try (LxdClient.Download d = a.downloadBackup(inst, "b1")) {
            d.stream().transferTo(file);
        }
        byte[] tar = file.toByteArray();
        // zstd frame magic 28 b5 2f fd: the requested compression was applied
        assertThat(HexFormat.of().formatHex(tar, 0, 4)).isEqualTo("28b52ffd");

        a.waitFor(a.deleteBackup(inst, "b1"), T);
        assertThat(a.listBackups(inst)).isEmpty();

        // import under a new name on the other server, streaming the bytes
        String restored = LxdRig.uniqueName("bkp-restored");
        createdOnB.add(restored);
        try (InputStream in = new java.io.ByteArrayInputStream(tar)) {
            b.waitFor(
                    b.importBackup(
                            in, tar.length, new LxdClient.ImportRequest(rig.get("storage.pool"), restored, null)),
                    T);
        }
        assertThat(b.readFile(restored, "/root/payload.bin")).isEqualTo(payload);
        assertThat(b.listSnapshots(restored)).extracting(Snapshot::name).containsExactly("before");

        // an import that names an existing instance is refused
        try (InputStream in = new java.io.ByteArrayInputStream(tar)) {
            assertThatThrownBy(() -> b.waitFor(
                            b.importBackup(
                                    in, -1, new LxdClient.ImportRequest(rig.get("storage.pool"), restored, null)),
                            T))
                    .isExactlyInstanceOf(LxdException.AlreadyExists.class);
        }
        // device overrides need an extension 5.0.2 lacks
        assertThatThrownBy(() -> b.importBackup(
                        InputStream.nullInputStream(),
                        0,
                        new LxdClient.ImportRequest(null, "x", Map.of("eth0", Map.of("type", "none")))))
                .isInstanceOf(LxdException.NotSupported.class)
                .hasMessageContaining(Capabilities.EXT_IMPORT_DEVICES);
    }

    // ------------------------------------------------------------------ copy

    @Test
    void copyThenRefreshTransfersOnlyNewSnapshots() {
        String inst = newInstance("copy");
        a.writeFile(inst, "/root/f.txt", "one".getBytes(StandardCharsets.UTF_8), 0644);
        a.waitFor(a.createSnapshot(inst, LxdClient.SnapshotRequest.named("s1")), T);
        String target = inst + "-bk";
        createdOnB.add(target);

        b.waitFor(b.copyFrom(a, new LxdClient.CopyRequest(inst, target, false, false, null)), T);
        assertThat(b.getInstance(target).isRunning()).isFalse();
        assertThat(b.listSnapshots(target)).extracting(Snapshot::name).containsExactly("s1");
        Instant s1CreatedOnTarget = b.getSnapshot(target, "s1").createdAt();
        assertThat(new String(b.readFile(target, "/root/f.txt"), StandardCharsets.UTF_8))
                .isEqualTo("one");

        // a non-refresh copy onto an existing instance is refused
        assertThatThrownBy(
                        () -> b.waitFor(b.copyFrom(a, new LxdClient.CopyRequest(inst, target, false, false, null)), T))
                .isInstanceOf(LxdException.AlreadyExists.class);

        a.writeFile(inst, "/root/f.txt", "second version".getBytes(StandardCharsets.UTF_8), 0644);
        a.waitFor(a.createSnapshot(inst, LxdClient.SnapshotRequest.named("s2")), T);
        b.waitFor(b.copyFrom(a, new LxdClient.CopyRequest(inst, target, false, true, null)), T);

        assertThat(b.listSnapshots(target)).extracting(Snapshot::name).containsExactly("s1", "s2");
        // s1 was not transferred again: the target's copy of it is the same object as before
        assertThat(b.getSnapshot(target, "s1").createdAt()).isEqualTo(s1CreatedOnTarget);
        assertThat(new String(b.readFile(target, "/root/f.txt"), StandardCharsets.UTF_8))
                .isEqualTo("second version");
    }

    @Test
    void pushCopyThenRefreshAndBothOperationsAreReported() {
        String inst = newInstance("push");
        a.writeFile(inst, "/root/f.txt", "one".getBytes(StandardCharsets.UTF_8), 0644);
        a.waitFor(a.createSnapshot(inst, LxdClient.SnapshotRequest.named("s1")), T);
        String target = inst + "-bk";
        createdOnB.add(target);

        LxdClient.CopyOperations ops = a.pushTo(
                b, new LxdClient.CopyRequest(inst, target, false, false, null, Map.of("user.copied-by", "test")));
        assertThat(ops.source()).isNotNull();
        b.waitFor(ops.target(), T);
        assertThat(b.getInstance(target).isRunning()).isFalse();
        assertThat(b.getInstance(target).config()).containsEntry("user.copied-by", "test");
        assertThat(b.listSnapshots(target)).extracting(Snapshot::name).containsExactly("s1");

        // a different size: LXD's refresh (rsync) skips files whose size and mtime second match
        a.writeFile(inst, "/root/f.txt", "second version".getBytes(StandardCharsets.UTF_8), 0644);
        a.waitFor(a.createSnapshot(inst, LxdClient.SnapshotRequest.named("s2")), T);
        b.waitFor(
                a.pushTo(b, new LxdClient.CopyRequest(inst, target, false, true, null))
                        .target(),
                T);
        assertThat(b.listSnapshots(target)).extracting(Snapshot::name).containsExactly("s1", "s2");
        assertThat(new String(b.readFile(target, "/root/f.txt"), StandardCharsets.UTF_8))
                .isEqualTo("second version");
        assertThat(b.runningOperationsOn(target)).isEmpty();
    }

    @Test
    void instanceOnlyCopyLeavesSnapshotsBehindAndCopiesTheFiles() throws Exception {
        String inst = newInstance("ionly");
        byte[] payload = new byte[200_000];
        new java.util.Random(7).nextBytes(payload);
        a.writeFile(inst, "/root/payload.bin", payload, 0600);
        a.waitFor(a.createSnapshot(inst, LxdClient.SnapshotRequest.named("s1")), T);
        a.writeFile(inst, "/root/f.txt", "after s1".getBytes(StandardCharsets.UTF_8), 0644);
        a.waitFor(a.createSnapshot(inst, LxdClient.SnapshotRequest.named("s2")), T);
        String target = inst + "-io";
        createdOnB.add(target);

        b.waitFor(b.copyFrom(a, new LxdClient.CopyRequest(inst, target, true, false, null)), T);

        assertThat(a.listSnapshots(inst)).extracting(Snapshot::name).containsExactly("s1", "s2");
        assertThat(b.listSnapshots(target)).isEmpty();
        for (String file : List.of("/root/payload.bin", "/root/f.txt", "/bin/busybox", "/etc/passwd")) {
            assertThat(sha256(b.readFile(target, file))).as(file).isEqualTo(sha256(a.readFile(inst, file)));
        }
        assertThat(b.readFile(target, "/root/payload.bin")).isEqualTo(payload);
    }

    // ------------------------------------------------------------------ projects and targets

    @Test
    void everyCallHonoursTheProject() throws Exception {
        String project = LxdRig.uniqueName("prj");
        a.createProject(project, Map.of("features.images", "false", "features.profiles", "false"));
        LxdClient ap = a.inProject(project);
        String inst = null;
        String target = null;
        try {
            assertThat(ap.project()).isEqualTo(project);
            inst = rig.createInstance(ap, "inprj");
            ap.writeFile(inst, "/root/f.txt", "in a project".getBytes(StandardCharsets.UTF_8), 0644);
            ap.waitFor(ap.createSnapshot(inst, LxdClient.SnapshotRequest.named("ps1")), T);
            ap.waitFor(ap.createBackup(inst, new LxdClient.BackupRequest("pb1", null, false, false, "gzip", null)), T);
            byte[] tar;
            try (LxdClient.Download d = ap.downloadBackup(inst, "pb1")) {
                tar = d.stream().readAllBytes();
            }
            assertThat(HexFormat.of().formatHex(tar, 0, 2)).isEqualTo("1f8b"); // gzip

            // the objects are in the project and nowhere else
            assertThat(ap.getInstance(inst).project()).isEqualTo(project);
            assertThat(ap.listInstances()).extracting(Instance::name).containsExactly(inst);
            assertThat(ap.listSnapshots(inst)).extracting(Snapshot::name).containsExactly("ps1");
            assertThat(ap.listBackups(inst)).extracting(Backup::name).containsExactly("pb1");
            String name = inst;
            assertThat(a.listInstances()).extracting(Instance::name).doesNotContain(inst);
            assertThatThrownBy(() -> a.getInstance(name)).isInstanceOf(LxdException.NotFound.class);
            assertThatThrownBy(() -> a.listSnapshots(name)).isInstanceOf(LxdException.NotFound.class);
            assertThatThrownBy(() -> a.getBackup(name, "pb1")).isInstanceOf(LxdException.NotFound.class);

            // pull copy from the project on A into B's default project
            target = inst + "-bk";
            createdOnB.add(target);
            b.waitFor(b.copyFrom(ap, new LxdClient.CopyRequest(inst, target, false, false, null)), T);
            assertThat(b.getInstance(target).project()).isEqualTo("default");
            assertThat(b.listSnapshots(target)).extracting(Snapshot::name).containsExactly("ps1");
            assertThat(new String(b.readFile(target, "/root/f.txt"), StandardCharsets.UTF_8))
                    .isEqualTo("in a project");
            String t = target;
            assertThatThrownBy(() -> ap.getInstance(t)).isInstanceOf(LxdException.NotFound.class);

            ap.waitFor(ap.deleteBackup(inst, "pb1"), T);
            assertThat(ap.listBackups(inst)).isEmpty();
        } finally {
            if (inst != null) {
                LxdRig.deleteQuietly(ap, inst);
            }
            a.deleteProject(project);
        }
        // deleting it again shows it is gone
        assertThatThrownBy(() -> a.deleteProject(project)).isExactlyInstanceOf(LxdException.NotFound.class);
    }

    // ------------------------------------------------------------------ operations, events

    @Test
    void eventsAreDeliveredAsTypedEvents() throws Exception {
        String inst = newInstance("evt");
        List<LxdEvent> events = new CopyOnWriteArrayList<>();
        try (LxdClient.EventSubscription sub = a.events(Set.of("lifecycle"), events::add, null)) {
            assertThat(sub.awaitOpen(Duration.ofSeconds(10))).isTrue();
            a.waitFor(a.createSnapshot(inst, LxdClient.SnapshotRequest.named("ev1")), T);
            awaitEvent(events, e -> "instance-snapshot-created".equals(e.action()));
        }
        assertThat(events).anySatisfy(e -> {
            assertThat(e.type()).isEqualTo("lifecycle");
            assertThat(e.action()).isEqualTo("instance-snapshot-created");
            assertThat(e.source()).contains(inst).contains("ev1");
        });
    }

    @Test
    void operationEventsFollowAnOperationToItsEnd() throws Exception {
        String inst = newInstance("opevt");
        List<LxdEvent> events = new CopyOnWriteArrayList<>();
        try (LxdClient.EventSubscription sub = a.events(Set.of("operation"), events::add, null)) {
            assertThat(sub.awaitOpen(Duration.ofSeconds(10))).isTrue();
            Operation op = a.createSnapshot(inst, LxdClient.SnapshotRequest.named("ev2"));
            a.waitFor(op, T);
            awaitEvent(
                    events,
                    e -> op.id().equals(e.metadata().path("id").asText())
                            && "Success".equals(e.metadata().path("status").asText()));
            assertThat(events).allSatisfy(e -> assertThat(e.type()).isEqualTo("operation"));
            assertThat(events)
                    .filteredOn(e -> op.id().equals(e.metadata().path("id").asText()))
                    .extracting(e -> e.metadata().path("status").asText())
                    .contains("Running", "Success");
        }
    }

    @Test
    void eventsRefusedToAnUntrustedClientReportForbidden() throws Exception {
        java.util.concurrent.CompletableFuture<Throwable> closed = new java.util.concurrent.CompletableFuture<>();
        try (LxdClient c = LxdClient.create(
                        LxdEndpoint.https(rig.get("a.url"), rig.untrustedIdentity(), rig.get("a.fingerprint")));
                LxdClient.EventSubscription sub = c.events(Set.of("lifecycle"), e -> {}, closed::complete)) {
            assertThat(sub.awaitOpen(Duration.ofSeconds(10))).isFalse();
            assertThat(closed.get(10, TimeUnit.SECONDS))
                    .isInstanceOfSatisfying(
                            LxdException.Forbidden.class,
                            e -> assertThat(e.statusCode()).isEqualTo(403));
        }
    }

    @Test
    void cancellingTheSourceOfACopyFailsBothSides() throws Exception {
        String inst = newInstance("ccopy");
        fillRootfs(null, inst, 128);
        String target = inst + "-bk";
        createdOnB.add(target);
        LxdClient.CopyOperations ops = b.pullFrom(a, new LxdClient.CopyRequest(inst, target, false, false, null));
        assertThat(ops.source().mayCancel()).isTrue();
        a.cancelOperation(ops.source().id());
        // cancelled, or (on a loaded machine, when the target's connection raced the cancel) failed
        // with "Empty websocket connection": either way it ends unsuccessful, never as a copy
        assertThatThrownBy(() -> a.waitFor(ops.source(), T))
                .isInstanceOfAny(LxdException.OperationCancelled.class, LxdException.OperationFailed.class);
        // the target loses its source: a failed operation, and no half-copied instance is left
        assertThatThrownBy(() -> b.waitFor(ops.target(), T))
                .isInstanceOf(LxdException.OperationFailed.class)
                .satisfies(e -> assertThat(((LxdException.OperationFailed) e).operationId())
                        .isEqualTo(ops.target().id()));
        assertThat(b.instanceExists(target)).isFalse();
    }

    static void awaitEvent(List<LxdEvent> events, java.util.function.Predicate<LxdEvent> p)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline && events.stream().noneMatch(p)) {
            Thread.sleep(50);
        }
    }

    @Test
    void unknownOperationIsNotFound() {
        assertThatThrownBy(() -> a.getOperation("00000000-0000-0000-0000-000000000000"))
                .isExactlyInstanceOf(LxdException.NotFound.class);
    }

    /** Writes {@code mib} MiB of random data into a stopped container's rootfs on daemon A's dir pool. */
    static void fillRootfs(String project, String inst, int mib) throws Exception {
        String dirName = project == null ? inst : project + "_" + inst;
        java.nio.file.Path file = java.nio.file.Path.of(
                "/var/lib/lxd-rig-a/storage-pools/default/containers", dirName, "rootfs", "root", "big.bin");
        Process p = new ProcessBuilder("sh", "-c", "head -c " + mib + "M /dev/urandom > " + file)
                .inheritIO()
                .start();
        assertThat(p.waitFor()).isZero();
    }

    @Test
    void timeoutThenProgressOfALongBackup() throws Exception {
        String inst = newInstance("prog");
        // large enough to outlast the 1 s timeout plus a progress slice even on a fast machine
        fillRootfs(null, inst, 256);
        Operation op = a.createBackup(inst, new LxdClient.BackupRequest("prog", null, true, false, "gzip", null));
        // the wait gives up, the operation goes on
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> a.waitFor(op, Duration.ofSeconds(1)))
                .isExactlyInstanceOf(LxdException.OperationTimeout.class)
                .hasMessageContaining(op.id());
        long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertThat(waitedMs).isBetween(900L, 5_000L);
        List<String> progress = new CopyOnWriteArrayList<>();
        long t1 = System.nanoTime();
        Operation done = a.waitFor(op, T, o -> progress.add(o.metadataText("create_backup_progress")));
        System.out.printf(
                "256 MiB gzip backup: 1 s wait timed out after %d ms; finished %d ms later, progress reports %s%n",
                waitedMs, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t1), progress);
        assertThat(done.status()).isEqualTo("Success");
        assertThat(progress).isNotEmpty().allSatisfy(p -> assertThat(p).matches("[0-9.]+[kMG]?B \\(.*/s\\)"));
        a.waitFor(a.deleteBackup(inst, "prog"), T);
    }

    @Test
    void pollingFallbackWaitsReportsProgressAndFails() throws Exception {
        String inst = newInstance("poll");
        fillRootfs(null, inst, 64);
        RecordingProbe probe = RecordingProbe.polling();
        try (LxdClient c = rig.clientA().observedBy(probe)) {
            long pollsBefore = probe.operationPolls();
            List<String> progress = new CopyOnWriteArrayList<>();
            Operation done = c.waitFor(
                    c.createBackup(inst, new LxdClient.BackupRequest("pb", null, true, false, "gzip", null)),
                    T,
                    o -> progress.add(o.metadataText("create_backup_progress")));
            assertThat(done.status()).isEqualTo("Success");
            // a report for every poll that found it running; the first ones come before LXD has any progress text
            assertThat(progress).isNotEmpty();
            long polls = probe.operationPolls() - pollsBefore;
            assertThat(polls).isGreaterThan(progress.size());
            System.out.printf(
                    "polling fallback: 64 MiB gzip backup took %d polls, progress reports %s%n", polls, progress);
            // failures are typed the same way as with /wait
            c.waitFor(c.createSnapshot(inst, LxdClient.SnapshotRequest.named("dup")), T);
            assertThatThrownBy(() -> c.waitFor(c.createSnapshot(inst, LxdClient.SnapshotRequest.named("dup")), T))
                    .isExactlyInstanceOf(LxdException.AlreadyExists.class);
            c.waitFor(c.deleteBackup(inst, "pb"), T);
            assertThat(probe.operationPolls()).isGreaterThan(pollsBefore + polls);
        }
    }

    @Test
    void forgottenOperationIsNotFoundForGetAndWait() throws Exception {
        String inst = newInstance("forget");
        Operation running = a.createSnapshot(inst, LxdClient.SnapshotRequest.named("f1"));
        Operation done = a.waitFor(running, T);
        assertThat(done.isSuccess()).isTrue();
        long t0 = System.nanoTime();
        long deadline = t0 + TimeUnit.SECONDS.toNanos(30);
        boolean forgotten = false;
        while (!forgotten && System.nanoTime() < deadline) {
            try {
                assertThat(a.getOperation(running.id()).status()).isEqualTo("Success");
                Thread.sleep(250);
            } catch (LxdException.NotFound e) {
                forgotten = true;
            }
        }
        System.out.printf(
                "LXD forgot a finished operation after %d ms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        assertThat(forgotten).isTrue();
        assertThatThrownBy(() -> a.getOperation(running.id())).isExactlyInstanceOf(LxdException.NotFound.class);
        assertThatThrownBy(() -> a.waitFor(running, T)).isExactlyInstanceOf(LxdException.NotFound.class);
        try (LxdClient c = rig.clientA().observedBy(RecordingProbe.polling())) {
            assertThatThrownBy(() -> c.waitFor(running, T)).isExactlyInstanceOf(LxdException.NotFound.class);
        }
        // what callers do next: the object the operation made tells the outcome
        assertThat(a.snapshotExists(inst, "f1")).isTrue();
    }

    @Test
    void cancellingARunningOperationEndsTheWaitWithOperationCancelled() throws Exception {
        // a trust token is an operation that runs until the token is used or revoked
        String token = a.createTrustToken(LxdRig.uniqueName("cancel"));
        String secret = LxdClient.trustTokenSecret(token);
        Operation op = a.listOperations().stream()
                .filter(o -> o.metadata() != null && secret.equals(o.metadataText("secret")))
                .findFirst()
                .orElseThrow();
        assertThat(op.isDone()).isFalse();
        assertThat(op.mayCancel()).isTrue();
        assertThatThrownBy(() -> a.waitFor(op, Duration.ofSeconds(1)))
                .isExactlyInstanceOf(LxdException.OperationTimeout.class);

        java.util.concurrent.CompletableFuture<Throwable> waited =
                java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        a.waitFor(op, T);
                        return null;
                    } catch (Throwable t) {
                        return t;
                    }
                });
        Thread.sleep(500);
        long t0 = System.nanoTime();
        a.cancelOperation(op.id());
        Throwable t = waited.get(30, TimeUnit.SECONDS);
        long afterCancelMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertThat(t)
                .isExactlyInstanceOf(LxdException.OperationCancelled.class)
                .isInstanceOf(LxdException.OperationFailed.class)
                .hasMessageContaining(op.id())
                .hasMessageContaining("cancelled");
        assertThat(((LxdException.OperationFailed) t).operationId()).isEqualTo(op.id());
        assertThat(afterCancelMs).isLessThan(10_000);
        // the same through the polling fallback
        String token2 = a.createTrustToken(LxdRig.uniqueName("cancel"));
        String secret2 = LxdClient.trustTokenSecret(token2);
        Operation op2 = a.listOperations().stream()
                .filter(o -> o.metadata() != null && secret2.equals(o.metadataText("secret")))
                .findFirst()
                .orElseThrow();
        a.cancelOperation(op2.id());
        try (LxdClient c = rig.clientA().observedBy(RecordingProbe.polling())) {
            assertThatThrownBy(() -> c.waitFor(op2, T)).isExactlyInstanceOf(LxdException.OperationCancelled.class);
        }
    }

    static org.assertj.core.data.TemporalUnitOffset within(Duration d) {
        return new org.assertj.core.data.TemporalUnitWithinOffset(d.toSeconds(), ChronoUnit.SECONDS);
    }

    static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }
}
