package io.lxdbackup.operator.lxd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lxdbackup.operator.testing.LxdRig;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Snapshots, backups, import and copy of custom storage volumes through {@link VolumeTarget},
 * against the real LXD 5.0.2 daemons of the rig. Volume content is written and compared on the
 * rig's {@code dir} pool directly, not through LXD.
 */
@Tag("lxd")
class VolumeClientLxdTest {
    static final Duration T = Duration.ofMinutes(2);
    static LxdRig rig;
    static LxdClient a;
    static LxdClient b;
    static String pool;
    static final List<String> onA = new CopyOnWriteArrayList<>();
    static final List<String> onB = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void setUp() {
        rig = LxdRig.require();
        a = rig.clientA();
        b = rig.clientB();
        pool = rig.get("storage.pool");
    }

    @AfterAll
    static void tearDown() {
        if (a != null) {
            rig.deleteVolumesQuietly(a, onA.toArray(String[]::new));
            rig.deleteVolumesQuietly(b, onB.toArray(String[]::new));
            a.close();
            b.close();
        }
    }

    VolumeTarget newVolumeWithData(String prefix, byte[] data) throws Exception {
        String name = rig.createVolume(a, prefix);
        onA.add(name);
        Path dir = rig.volumeDir("a", pool, name);
        Files.write(dir.resolve("data.bin"), data);
        Files.writeString(dir.resolve("note.txt"), "first");
        return LxdTarget.volume(pool, name);
    }

    static byte[] random(int n) {
        byte[] b = new byte[n];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }

    @Test
    void volumeSnapshotExpiryAndRestoreInPlace() throws Exception {
        VolumeTarget vol = newVolumeWithData("vsnap", random(4096));
        Path dir = rig.volumeDir("a", pool, vol.name());
        Instant expiry = Instant.now().plus(Duration.ofDays(3)).truncatedTo(ChronoUnit.SECONDS);
        a.waitFor(a.createSnapshot(vol, new LxdClient.SnapshotRequest("s1", false, expiry, false, null)), T);
        Snapshot s = a.getSnapshot(vol, "s1");
        assertThat(s.expiresAt()).isEqualTo(expiry);
        assertThat(a.listSnapshots(vol)).extracting(Snapshot::name).containsExactly("s1");

        a.waitFor(a.updateSnapshotExpiry(vol, "s1", null), T);
        assertThat(a.getSnapshot(vol, "s1").expiresAt()).isNull();

        Files.writeString(dir.resolve("note.txt"), "changed after the snapshot");
        a.waitFor(a.restoreVolumeSnapshot(vol, "s1"), T);
        assertThat(Files.readString(dir.resolve("note.txt"))).isEqualTo("first");

        assertThatThrownBy(() -> a.createSnapshot(vol, new LxdClient.SnapshotRequest("s2", true, null, false, null)))
                .isInstanceOf(IllegalArgumentException.class);
        a.waitFor(a.deleteSnapshot(vol, "s1"), T);
        assertThat(a.snapshotExists(vol, "s1")).isFalse();
    }

    @Test
    void volumeBackupDownloadsAndImportsOnTheOtherServerByteForByte() throws Exception {
        byte[] data = random(3 * 1024 * 1024);
        VolumeTarget vol = newVolumeWithData("vexp", data);
        a.waitFor(a.createSnapshot(vol, LxdClient.SnapshotRequest.named("before")), T);
        a.waitFor(
                a.createBackup(
                        vol,
                        new LxdClient.BackupRequest(
                                "b1", Instant.now().plus(Duration.ofHours(1)), false, false, "gzip", null)),
                T);
        assertThat(a.listBackups(vol)).extracting(Backup::name).containsExactly("b1");
        Path file = Files.createTempFile("vexp", ".tar.gz");
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (LxdClient.Download d = a.downloadBackup(vol, "b1");
                InputStream in = d.stream()) {
            byte[] buf = in.readAllBytes();
            sha.update(buf);
            Files.write(file, buf);
        }
        a.waitFor(a.deleteBackup(vol, "b1"), T);
        assertThat(a.listBackups(vol)).isEmpty();

        String imported = LxdRig.uniqueName("vimp");
        onB.add(imported);
        try (InputStream in = Files.newInputStream(file)) {
            b.waitFor(b.importVolumeBackup(in, Files.size(file), pool, imported), T);
        }
        Path copyDir = rig.volumeDir("b", pool, imported);
        assertThat(Files.readAllBytes(copyDir.resolve("data.bin"))).isEqualTo(data);
        assertThat(b.listSnapshots(LxdTarget.volume(pool, imported)))
                .extracting(Snapshot::name)
                .containsExactly("before");
        assertThat(HexFormat.of().formatHex(sha.digest())).hasSize(64);
        Files.deleteIfExists(file);
    }

    @Test
    void volumeCopyToTheBackupServerAndRefresh() throws Exception {
        byte[] data = random(512 * 1024);
        VolumeTarget vol = newVolumeWithData("vcopy", data);
        a.waitFor(a.createSnapshot(vol, LxdClient.SnapshotRequest.named("c1")), T);
        String targetName = LxdRig.uniqueName("vcopyb");
        onB.add(targetName);
        VolumeTarget target = LxdTarget.volume(pool, targetName);
        LxdClient.CopyOperations ops = b.pullVolumeFrom(a, new LxdClient.VolumeCopyRequest(vol, target, false, false));
        b.waitFor(ops.target(), T);
        Path copyDir = rig.volumeDir("b", pool, targetName);
        assertThat(Files.readAllBytes(copyDir.resolve("data.bin"))).isEqualTo(data);
        assertThat(b.listSnapshots(target)).extracting(Snapshot::name).containsExactly("c1");

        // A different size and a later mtime: on a dir pool LXD refreshes with rsync, whose quick check
        // compares size and whole-second mtime, so a same-size rewrite within the same second is skipped.
        byte[] changed = random(640 * 1024);
        Path source = rig.volumeDir("a", pool, vol.name()).resolve("data.bin");
        Files.write(source, changed);
        Files.setLastModifiedTime(source, FileTime.from(Instant.now().plusSeconds(5)));
        a.waitFor(a.createSnapshot(vol, LxdClient.SnapshotRequest.named("c2")), T);
        ops = b.pullVolumeFrom(a, new LxdClient.VolumeCopyRequest(vol, target, false, true));
        b.waitFor(ops.target(), T);
        assertThat(Files.readAllBytes(copyDir.resolve("data.bin"))).isEqualTo(changed);
        assertThat(b.listSnapshots(target)).extracting(Snapshot::name).containsExactly("c1", "c2");
    }

    @Test
    void runningOperationsAndVolumeListing() {
        VolumeTarget vol = LxdTarget.volume(pool, rig.createVolume(a, "vlist"));
        onA.add(vol.name());
        a.updateVolumeConfig(pool, vol.name(), Map.of("snapshots.expiry", "2d", "user.k", "v"), Set.of());
        a.updateVolumeConfig(pool, vol.name(), Map.of(), Set.of("user.k"));
        StorageVolume v = a.getVolume(pool, vol.name());
        assertThat(v.config()).containsEntry("snapshots.expiry", "2d").doesNotContainKey("user.k");
        assertThat(a.listCustomVolumes(pool)).extracting(StorageVolume::name).contains(vol.name());
        assertThat(a.volumeExists(pool, vol.name() + "-nope")).isFalse();
    }
}
