package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.CopyMode;
import io.lxdbackup.operator.api.v1alpha1.InstanceCopy;
import io.lxdbackup.operator.api.v1alpha1.InstanceCopyPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceCopySpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceCopyStatus;
import io.lxdbackup.operator.api.v1alpha1.LxdRemote;
import io.lxdbackup.operator.api.v1alpha1.LxdRemoteSpec;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.api.v1alpha1.RefreshStrategy;
import io.lxdbackup.operator.api.v1alpha1.SyncKind;
import io.lxdbackup.operator.lxd.Instance;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.lxd.LxdException;
import io.lxdbackup.operator.lxd.Snapshot;
import io.lxdbackup.operator.testing.CountingProxy;
import io.lxdbackup.operator.testing.Fixtures;
import io.lxdbackup.operator.testing.LxdRig;
import io.lxdbackup.operator.testing.OperatorHarness;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * InstanceCopy through the operator as deployed, from daemon "a" to daemon "b" of the real LXD
 * rig. Every instance is created under a unique name; the rig is shared.
 */
@Tag("lxd")
class InstanceCopyControllerLxdTest {
    static final Duration T = Duration.ofMinutes(2);
    static final String POOLS_A = "/var/lib/lxd-rig-a/storage-pools/default/";
    static final String POOLS_B = "/var/lib/lxd-rig-b/storage-pools/default/";
    static LxdRig rig;
    static TestClock clock = new TestClock();
    static OperatorHarness op;
    static KubernetesClient kube;
    static LxdClient a;
    static LxdClient b;
    static final List<String> onA = new CopyOnWriteArrayList<>();
    static final List<String> onB = new CopyOnWriteArrayList<>();
    static final AtomicLong edits = new AtomicLong(1);

    /** The system clock moved by an offset the test sets: the operator's "now". */
    static final class TestClock extends Clock {
        volatile Duration offset = Duration.ZERO;

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.now().plus(offset);
        }
    }

    @BeforeAll
    static void start() {
        rig = LxdRig.require();
        a = rig.clientA();
        b = rig.clientB();
        op = new OperatorHarness(clock).start();
        kube = op.kube();
        Fixtures.remote(kube, rig, "lxd-a", "a", "5m");
        Fixtures.remote(kube, rig, "lxd-b", "b", "5m");
    }

    @AfterAll
    static void stop() {
        if (op != null) {
            op.close();
        }
        if (a != null) {
            LxdRig.deleteQuietly(a, onA.toArray(String[]::new));
            LxdRig.deleteQuietly(b, onB.toArray(String[]::new));
            a.close();
            b.close();
        }
    }

    // ------------------------------------------------------------------ first copy, refresh, snapshots

    @Test
    void firstCopyThenStagedRefreshTransfersOnlyTheNewSnapshot() {
        String inst = instance("icopy");
        byte[] one = random(64 * 1024);
        a.writeFile(inst, "/root/data.bin", one, 0644);
        snapshot(inst, "s1");
        String target = target(inst);
        kube.resource(copy("first", inst, target)).create();

        InstanceCopy synced = awaitSynced("first");
        InstanceCopyStatus st = synced.getStatus();
        assertThat(st.getLastSyncKind()).isEqualTo(SyncKind.FULL);
        assertThat(st.getTransferredSnapshots()).containsExactly("s1");
        assertThat(st.getSnapshotsOnSource()).containsExactly("s1");
        assertThat(st.getSnapshotsOnTarget()).containsExactly("s1");
        assertThat(st.getLastSuccessfulSyncTime()).isNotNull().isEqualTo(st.getLastSyncTime());
        assertThat(st.getNextSyncTime()).isNull();
        assertThat(st.getObservedGeneration()).isEqualTo(synced.getMetadata().getGeneration());
        assertThat(st.getSyncId()).isNull();
        assertThat(st.getStagingInstance()).isNull();
        assertThat(st.getOperationId()).isNull();
        Instance t = b.getInstance(target);
        assertThat(t.isRunning()).isFalse();
        assertThat(t.config())
                .containsEntry("boot.autostart", "false")
                .containsEntry(
                        CopyNames.OWNER_KEY,
                        CopyNames.owner(
                                Fixtures.NS, "first", synced.getMetadata().getUid()));
        assertThat(b.readFile(target, "/root/data.bin")).isEqualTo(one);
        assertThat(names(b.listSnapshots(target))).containsExactly("s1");
        Instant s1OnTarget = b.getSnapshot(target, "s1").createdAt();
        assertNoLeftovers(target);

        // a resync of an unchanged spec copies nothing
        String lastSync = st.getLastSuccessfulSyncTime();
        await().pollDelay(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).until(() -> true);
        assertThat(get("first").getStatus().getLastSuccessfulSyncTime()).isEqualTo(lastSync);

        byte[] two = random(64 * 1024 + 512); // another size: rsync skips same size and mtime second
        a.writeFile(inst, "/root/data.bin", two, 0644);
        snapshot(inst, "s2");
        touch("first");
        long genFirst = get("first").getMetadata().getGeneration();
        InstanceCopyStatus refreshed = awaitStatus(
                        "first",
                        s -> synced(s) && s.getObservedGeneration() != null && s.getObservedGeneration() >= genFirst)
                .getStatus();
        assertThat(refreshed.getLastSyncKind()).isEqualTo(SyncKind.INCREMENTAL);
        assertThat(refreshed.getTransferredSnapshots()).containsExactly("s2");
        assertThat(refreshed.getRemovedSnapshots()).isEmpty();
        assertThat(refreshed.getSnapshotsOnTarget()).containsExactly("s1", "s2");
        assertThat(names(b.listSnapshots(target))).containsExactly("s1", "s2");
        assertThat(b.getSnapshot(target, "s1").createdAt()).isEqualTo(s1OnTarget);
        assertThat(b.readFile(target, "/root/data.bin")).isEqualTo(two);
        assertThat(b.getInstance(target).isRunning()).isFalse();
        assertNoLeftovers(target);
    }

    /**
     * What a staged refresh really moves: the source remote points at a TCP proxy in front of
     * daemon "a", so every byte of the pull migration is counted. s1 alone holds a large random
     * file; after the first copy a tiny s2 is added and the refresh must carry far less than s1.
     */
    @Test
    void stagedRefreshMovesOnlyTheNewSnapshotOverTheNetwork() throws Exception {
        URI aUrl = URI.create(rig.get("a.url"));
        try (CountingProxy proxy = new CountingProxy(aUrl.getHost(), aUrl.getPort())) {
            remoteVia("lxd-a-counted", "a", "https://127.0.0.1:" + proxy.port());
            String inst = instance("proof");
            long size = 250_000_000L;
            Path big = Path.of(POOLS_A, "containers", inst, "rootfs/root/big.bin");
            sh("head -c " + size + " /dev/urandom > " + big);
            snapshot(inst, "s1");
            Files.delete(big); // only the snapshot s1 holds it now
            String target = target(inst);
            InstanceCopy c = copy("proof", inst, target);
            c.getSpec().setSourceRemoteRef(new ObjectRef("lxd-a-counted"));
            long start = proxy.bytes();
            kube.resource(c).create();
            awaitStatus("proof", InstanceCopyControllerLxdTest::synced, Duration.ofMinutes(4));
            long full = proxy.bytes() - start;
            Path s1OnA = Path.of(POOLS_A, "containers-snapshots", inst, "s1", "rootfs/root/big.bin");
            Path s1OnB = Path.of(POOLS_B, "containers-snapshots", target, "s1", "rootfs/root/big.bin");
            assertThat(sha256(s1OnB)).isEqualTo(sha256(s1OnA));
            assertThat(full)
                    .as("bytes of the first (full) copy through the proxy")
                    .isGreaterThan(size);

            a.writeFile(inst, "/root/small.txt", bytes("tiny"), 0644);
            snapshot(inst, "s2");
            long mark = proxy.bytes();
            touch("proof");
            long gen = get("proof").getMetadata().getGeneration();
            InstanceCopyStatus st = awaitStatus(
                            "proof",
                            s -> synced(s) && s.getObservedGeneration() != null && s.getObservedGeneration() >= gen,
                            Duration.ofMinutes(3))
                    .getStatus();
            long refresh = proxy.bytes() - mark;
            System.out.printf(
                    "staged refresh proof: s1 %d bytes; full copy moved %d bytes, refresh with a new tiny s2 moved %d"
                            + " bytes%n",
                    size, full, refresh);
            assertThat(st.getLastSyncKind()).isEqualTo(SyncKind.INCREMENTAL);
            assertThat(refresh)
                    .as("bytes of the refresh through the proxy (s1 is %d)", size)
                    .isLessThan(size / 20);
            assertThat(names(b.listSnapshots(target))).containsExactly("s1", "s2");
            assertThat(sha256(s1OnB)).isEqualTo(sha256(s1OnA));
            assertThat(new String(b.readFile(target, "/root/small.txt"), StandardCharsets.UTF_8))
                    .isEqualTo("tiny");
            assertNoLeftovers(target);
        } finally {
            kube.resources(InstanceCopy.class)
                    .inNamespace(Fixtures.NS)
                    .withName("proof")
                    .delete();
            kube.resources(LxdRemote.class)
                    .inNamespace(Fixtures.NS)
                    .withName("lxd-a-counted")
                    .delete();
        }
    }

    @Test
    void inPlaceRefreshLeavesOldSnapshotsUntouchedAndMirrorsDeletions() throws IOException {
        String inst = instance("inplace");
        a.writeFile(inst, "/root/data.txt", bytes("one"), 0644);
        snapshot(inst, "s1");
        snapshot(inst, "s2");
        String target = target(inst);
        InstanceCopy c = copy("inplace", inst, target);
        c.getSpec().setRefreshStrategy(RefreshStrategy.IN_PLACE);
        kube.resource(c).create();
        assertThat(awaitSynced("inplace").getStatus().getTransferredSnapshots()).containsExactly("s1", "s2");
        // the file inside the target's s1 on the backup server's disk: a re-sent s1 would be a new file
        Path s1File = Path.of(POOLS_B, "containers-snapshots", target, "s1", "rootfs/root/data.txt");
        Object s1Inode = Files.getAttribute(s1File, "unix:ino");
        Instant s1Created = b.getSnapshot(target, "s1").createdAt();
        String lastSync = get("inplace").getStatus().getLastSuccessfulSyncTime();

        a.writeFile(inst, "/root/data.txt", bytes("second version"), 0644);
        a.waitFor(a.deleteSnapshot(inst, "s2"), T);
        snapshot(inst, "s3");
        touch("inplace");
        long genInplace = get("inplace").getMetadata().getGeneration();
        InstanceCopyStatus st = awaitStatus(
                        "inplace",
                        s -> synced(s) && s.getObservedGeneration() != null && s.getObservedGeneration() >= genInplace)
                .getStatus();
        assertThat(st.getLastSyncKind()).isEqualTo(SyncKind.INCREMENTAL);
        assertThat(st.getTransferredSnapshots()).containsExactly("s3");
        // LXD 5.0.2 refresh mirrors the source: a snapshot deleted there goes on the target too
        assertThat(st.getRemovedSnapshots()).containsExactly("s2");
        assertThat(names(b.listSnapshots(target))).containsExactly("s1", "s3");
        assertThat(Files.getAttribute(s1File, "unix:ino")).isEqualTo(s1Inode);
        assertThat(b.getSnapshot(target, "s1").createdAt()).isEqualTo(s1Created);
        assertThat(new String(b.readFile(target, "/root/data.txt"), StandardCharsets.UTF_8))
                .isEqualTo("second version");
        assertThat(b.getInstance(target).config().get(CopyNames.SYNC_KEY)).doesNotStartWith("refreshing:");
        assertThat(b.getInstance(target).isRunning()).isFalse();
    }

    @Test
    void failedRefreshLeavesThePreviousCopyIntactAndIsRetried() throws Exception {
        String inst = instance("failref");
        a.writeFile(inst, "/root/data.txt", bytes("good"), 0644);
        snapshot(inst, "s1");
        String target = target(inst);
        kube.resource(copy("failref", inst, target)).create();
        awaitSynced("failref");
        // enough new data that the refresh is still moving when we pull the plug on the source side
        sh("head -c 300000000 /dev/urandom > " + POOLS_A + "containers/" + inst + "/rootfs/root/big.bin");
        a.writeFile(inst, "/root/data.txt", bytes("newer"), 0644);
        snapshot(inst, "s2");
        touch("failref");
        InstanceCopy copying = awaitStatus(
                "failref",
                s -> s.getPhase() == InstanceCopyPhase.COPYING
                        && s.getSourceOperationId() != null
                        && s.getProgress() != null
                        && s.getProgress().contains("transferring"));
        a.cancelOperation(copying.getStatus().getSourceOperationId());

        InstanceCopy failed = awaitReason("failref", Reasons.COPY_FAILED);
        assertThat(failed.getStatus().getPhase()).isEqualTo(InstanceCopyPhase.FAILED);
        assertThat(synced(failed).getMessage()).contains("unchanged");
        assertThat(failed.getStatus().getNextRetryTime()).isNotNull();
        // the previous copy is exactly as it was; the half-refreshed staging copy is gone
        assertThat(names(b.listSnapshots(target))).containsExactly("s1");
        assertThat(new String(b.readFile(target, "/root/data.txt"), StandardCharsets.UTF_8))
                .isEqualTo("good");
        assertThatThrownBy(() -> b.readFile(target, "/root/big.bin")).isInstanceOf(LxdException.NotFound.class);
        assertThat(b.instanceExists(CopyNames.staging(target))).isFalse();

        // the retry (back-off) completes it
        awaitStatus("failref", s -> synced(s) && s.getSnapshotsOnTarget().contains("s2"), Duration.ofMinutes(3));
        assertThat(new String(b.readFile(target, "/root/data.txt"), StandardCharsets.UTF_8))
                .isEqualTo("newer");
        assertThat(sha256(Path.of(POOLS_B, "containers", target, "rootfs/root/big.bin")))
                .isEqualTo(sha256(Path.of(POOLS_A, "containers", inst, "rootfs/root/big.bin")));
        assertNoLeftovers(target);
    }

    // ------------------------------------------------------------------ modes

    @Test
    void relayCopyIsFullAndLeavesNoBackupOnTheSource() {
        String inst = instance("relay");
        byte[] data = random(256 * 1024);
        a.writeFile(inst, "/root/data.bin", data, 0644);
        snapshot(inst, "s1");
        String target = target(inst);
        InstanceCopy c = copy("relay", inst, target);
        c.getSpec().setMode(CopyMode.RELAY);
        kube.resource(c).create();
        InstanceCopy synced = awaitSynced("relay");
        assertThat(synced.getStatus().getLastSyncKind()).isEqualTo(SyncKind.FULL);
        assertThat(synced(synced).getMessage()).contains("relay copies are always full");
        assertThat(synced.getStatus().getBackupName()).isNull();
        assertThat(b.readFile(target, "/root/data.bin")).isEqualTo(data);
        assertThat(names(b.listSnapshots(target))).containsExactly("s1");
        assertThat(b.getInstance(target).isRunning()).isFalse();
        assertThat(a.listBackups(inst)).isEmpty();
        assertNoLeftovers(target);

        // again: relay cannot refresh, so the whole instance travels and replaces our copy
        snapshot(inst, "s2");
        String lastSync = synced.getStatus().getLastSuccessfulSyncTime();
        touch("relay");
        long genRelay = get("relay").getMetadata().getGeneration();
        InstanceCopyStatus again = awaitStatus(
                        "relay",
                        s -> synced(s) && s.getObservedGeneration() != null && s.getObservedGeneration() >= genRelay)
                .getStatus();
        assertThat(again.getLastSyncKind()).isEqualTo(SyncKind.FULL);
        assertThat(again.getTransferredSnapshots()).containsExactly("s1", "s2");
        assertThat(names(b.listSnapshots(target))).containsExactly("s1", "s2");
        assertThat(a.listBackups(inst)).isEmpty();
        assertNoLeftovers(target);
    }

    @Test
    void pushModeCopies() {
        String inst = instance("push");
        byte[] data = random(32 * 1024);
        a.writeFile(inst, "/root/data.bin", data, 0644);
        snapshot(inst, "s1");
        String target = target(inst);
        InstanceCopy c = copy("push", inst, target);
        c.getSpec().setMode(CopyMode.PUSH);
        kube.resource(c).create();
        awaitSynced("push");
        assertThat(b.readFile(target, "/root/data.bin")).isEqualTo(data);
        assertThat(names(b.listSnapshots(target))).containsExactly("s1");
        assertThat(b.getInstance(target).isRunning()).isFalse();

        // the copy deleted by hand on the backup server: the next sync is a full one again
        b.waitFor(b.deleteInstance(target), T);
        touch("push");
        long gen = get("push").getMetadata().getGeneration();
        InstanceCopyStatus again = awaitStatus(
                        "push", s -> synced(s) && s.getObservedGeneration() != null && s.getObservedGeneration() >= gen)
                .getStatus();
        assertThat(again.getLastSyncKind()).isEqualTo(SyncKind.FULL);
        assertThat(again.getTransferredSnapshots()).containsExactly("s1");
        assertThat(b.readFile(target, "/root/data.bin")).isEqualTo(data);
        assertThat(b.getInstance(target).isRunning()).isFalse();
        assertNoLeftovers(target);
    }

    @Test
    void instanceOnlyIntoAnotherProjectAndPoolIsKeptByARefresh() throws Exception {
        String project = LxdRig.uniqueName("icp");
        String pool = LxdRig.uniqueName("icpool");
        lxcB("project", "create", project, "-c", "features.profiles=false", "-c", "features.images=false");
        lxcB("storage", "create", pool, "dir");
        LxdClient bp = b.inProject(project);
        String inst = instance("only");
        String target = inst + "-bk";
        try {
            a.writeFile(inst, "/root/data.txt", bytes("one"), 0644);
            snapshot(inst, "s1");
            InstanceCopy c = copy("only", inst, target);
            c.getSpec().setInstanceOnly(true);
            c.getSpec().setTargetProject(project);
            c.getSpec().setTargetStoragePool(pool);
            kube.resource(c).create();
            InstanceCopyStatus st = awaitSynced("only").getStatus();
            assertThat(st.getSnapshotsOnSource()).containsExactly("s1");
            assertThat(st.getSnapshotsOnTarget()).isEmpty();
            assertThat(b.instanceExists(target))
                    .as("not in the default project")
                    .isFalse();
            assertThat(bp.listSnapshots(target)).isEmpty();
            assertThat(new String(bp.readFile(target, "/root/data.txt"), StandardCharsets.UTF_8))
                    .isEqualTo("one");
            assertThat(rootPool(bp.getInstance(target))).isEqualTo(pool);
            assertThat(bp.getInstance(target).isRunning()).isFalse();

            // a different size: LXD's refresh (rsync) skips a file whose size and mtime second are unchanged
            a.writeFile(inst, "/root/data.txt", bytes("second version"), 0644);
            snapshot(inst, "s2");
            touch("only");
            long gen = get("only").getMetadata().getGeneration();
            InstanceCopyStatus again = awaitStatus(
                            "only",
                            s -> synced(s) && s.getObservedGeneration() != null && s.getObservedGeneration() >= gen)
                    .getStatus();
            assertThat(again.getLastSyncKind()).isEqualTo(SyncKind.INCREMENTAL);
            assertThat(again.getSnapshotsOnTarget()).isEmpty();
            assertThat(bp.listSnapshots(target)).isEmpty();
            assertThat(new String(bp.readFile(target, "/root/data.txt"), StandardCharsets.UTF_8))
                    .isEqualTo("second version");
            assertThat(rootPool(bp.getInstance(target))).isEqualTo(pool);
            assertThat(bp.instanceExists(CopyNames.staging(target))).isFalse();
            assertThat(bp.instanceExists(CopyNames.previous(target))).isFalse();
        } finally {
            kube.resources(InstanceCopy.class)
                    .inNamespace(Fixtures.NS)
                    .withName("only")
                    .delete();
            await().atMost(T).until(() -> get("only") == null);
            LxdRig.deleteQuietly(bp, target, CopyNames.staging(target), CopyNames.previous(target));
            lxcBQuietly("project", "delete", project);
            lxcBQuietly("storage", "delete", pool);
        }
    }

    static String rootPool(Instance i) {
        return i.expandedDevices().values().stream()
                .filter(d -> "disk".equals(d.get("type")) && "/".equals(d.get("path")))
                .map(d -> d.get("pool"))
                .findFirst()
                .orElse(null);
    }

    @Test
    void runningSourceGivesAStoppedCopy() {
        String inst = instance("running");
        a.writeFile(inst, "/root/data.txt", bytes("live"), 0644);
        a.waitFor(a.changeState(inst, "start", false, 30), T);
        assertThat(a.getInstance(inst).isRunning()).isTrue();
        String target = target(inst);
        kube.resource(copy("running", inst, target)).create();
        awaitSynced("running");
        assertThat(b.getInstance(target).isRunning()).isFalse();
        assertThat(b.getInstance(target).config()).containsEntry("boot.autostart", "false");
        assertThat(new String(b.readFile(target, "/root/data.txt"), StandardCharsets.UTF_8))
                .isEqualTo("live");
        // a refresh of the running source does not start it either
        snapshot(inst, "s1");
        touch("running");
        long gen = get("running").getMetadata().getGeneration();
        awaitStatus("running", s -> synced(s) && s.getObservedGeneration() != null && s.getObservedGeneration() >= gen);
        assertThat(names(b.listSnapshots(target))).containsExactly("s1");
        assertThat(b.getInstance(target).isRunning()).isFalse();
        assertThat(a.getInstance(inst).isRunning()).isTrue();
    }

    // ------------------------------------------------------------------ refusals and errors

    @Test
    void targetNameTakenByAnotherInstanceIsAlreadyExistsAndLeftAlone() {
        String inst = instance("src");
        String taken = rig.createInstance(b, "taken");
        onB.add(taken);
        b.writeFile(taken, "/root/mine.txt", bytes("precious"), 0644);
        Instance before = b.getInstance(taken);
        kube.resource(copy("taken", inst, taken)).create();

        InstanceCopy refused = awaitReason("taken", Reasons.ALREADY_EXISTS);
        assertThat(refused.getStatus().getPhase()).isEqualTo(InstanceCopyPhase.FAILED);
        assertThat(synced(refused).getMessage())
                .contains(taken)
                .contains("not made by this InstanceCopy")
                .contains("spec.targetInstance");
        assertThat(refused.getStatus().getSyncId()).isNull();
        Instance after = b.getInstance(taken);
        assertThat(after.config()).isEqualTo(before.config());
        assertThat(after.createdAt()).isEqualTo(before.createdAt());
        assertThat(new String(b.readFile(taken, "/root/mine.txt"), StandardCharsets.UTF_8))
                .isEqualTo("precious");
        assertThat(b.instanceExists(CopyNames.staging(taken))).isFalse();
        // permanent: not retried in a loop
        int failures = get("taken").getStatus().getFailures();
        await().pollDelay(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(7)).until(() -> true);
        assertThat(get("taken").getStatus().getFailures()).isEqualTo(failures);
    }

    @Test
    void targetNameTakenWhileTheFirstCopyRunsIsLeftAloneAndTheCopyKept() throws Exception {
        String inst = instance("race");
        sh("head -c 300000000 /dev/urandom > " + POOLS_A + "containers/" + inst + "/rootfs/root/big.bin");
        String target = target(inst);
        String staging = CopyNames.staging(target);
        kube.resource(copy("race", inst, target)).create();
        awaitStatus("race", s -> s.getPhase() == InstanceCopyPhase.COPYING && s.getOperationId() != null);
        // someone creates the target name while LXD is still writing the staging instance
        b.waitFor(b.createInstanceFromImage(target, rig.image(), Map.of("security.privileged", "true")), T);
        assertThat(b.runningOperationsOn(staging))
                .as("the copy was still running")
                .isNotEmpty();
        b.writeFile(target, "/root/mine.txt", bytes("precious"), 0644);
        Instance before = b.getInstance(target);

        InstanceCopy refused = awaitStatus(
                "race",
                s -> s.findCondition(Condition.SYNCED)
                        .map(c -> Reasons.ALREADY_EXISTS.equals(c.getReason()))
                        .orElse(false),
                Duration.ofMinutes(4));
        assertThat(synced(refused).getMessage())
                .contains("not made by this InstanceCopy")
                .contains("kept as " + staging);
        Instance after = b.getInstance(target);
        assertThat(after.config()).isEqualTo(before.config());
        assertThat(after.createdAt()).isEqualTo(before.createdAt());
        assertThat(new String(b.readFile(target, "/root/mine.txt"), StandardCharsets.UTF_8))
                .isEqualTo("precious");
        assertThat(CopyNames.completed(
                        b.getInstance(staging).config(), refused.getStatus().getSyncId()))
                .isTrue();

        b.waitFor(b.deleteInstance(target), T);
        touch("race");
        awaitSynced("race");
        assertThat(sha256(Path.of(POOLS_B, "containers", target, "rootfs/root/big.bin")))
                .isEqualTo(sha256(Path.of(POOLS_A, "containers", inst, "rootfs/root/big.bin")));
        assertNoLeftovers(target);
    }

    @Test
    void unreachableTargetIsReportedAndRetriedWithBackoff() {
        String inst = instance("unreach");
        LxdRemote dead = new LxdRemote();
        dead.getMetadata().setName("lxd-dead");
        dead.getMetadata().setNamespace(Fixtures.NS);
        LxdRemoteSpec spec = new LxdRemoteSpec();
        spec.setUrl("https://127.0.0.1:1");
        spec.setClientCertificateSecretRef(new ObjectRef("lxd-b-client"));
        spec.setServerCertificateFingerprint(rig.get("b.fingerprint"));
        spec.setProbeInterval("5m");
        dead.setSpec(spec);
        kube.resource(dead).create();
        InstanceCopy c = copy("unreach", inst, target(inst));
        c.getSpec().setTargetRemoteRef(new ObjectRef("lxd-dead"));
        kube.resource(c).create();

        InstanceCopy failed = awaitReason("unreach", Reasons.TARGET_UNREACHABLE);
        assertThat(failed.getStatus().getPhase()).isEqualTo(InstanceCopyPhase.FAILED);
        assertThat(synced(failed).getMessage()).contains("lxd-dead").contains("127.0.0.1:1");
        assertThat(failed.getStatus().getNextRetryTime()).isNotNull();
        // transient: tried again after 5 s, 10 s, ...
        awaitStatus("unreach", s -> s.getFailures() != null && s.getFailures() >= 2, Duration.ofSeconds(30));
        assertThat(a.listBackups(inst)).isEmpty();
    }

    @Test
    void refreshFalseCopiesOnceAndNeverOverwrites() {
        String inst = instance("once");
        a.writeFile(inst, "/root/data.txt", bytes("first"), 0644);
        snapshot(inst, "s1");
        String target = target(inst);
        InstanceCopy c = copy("once", inst, target);
        c.getSpec().setRefresh(false);
        kube.resource(c).create();
        InstanceCopyStatus st = awaitSynced("once").getStatus();
        assertThat(st.getLastSyncKind()).isEqualTo(SyncKind.FULL);
        Instance made = b.getInstance(target);

        // a new generation would copy again: the target exists, so it is AlreadyExists and nothing moves
        a.writeFile(inst, "/root/data.txt", bytes("second"), 0644);
        snapshot(inst, "s2");
        touch("once");
        InstanceCopy refused = awaitReason("once", Reasons.ALREADY_EXISTS);
        assertThat(synced(refused).getMessage())
                .contains(target)
                .contains("refresh: false")
                .contains("delete it");
        assertThat(refused.getStatus().getPhase()).isEqualTo(InstanceCopyPhase.FAILED);
        assertThat(refused.getStatus().getSyncId()).isNull();
        assertThat(refused.getStatus().getLastSuccessfulSyncTime()).isEqualTo(st.getLastSuccessfulSyncTime());
        assertThat(b.getInstance(target).createdAt()).isEqualTo(made.createdAt());
        assertThat(names(b.listSnapshots(target))).containsExactly("s1");
        assertThat(new String(b.readFile(target, "/root/data.txt"), StandardCharsets.UTF_8))
                .isEqualTo("first");
        assertNoLeftovers(target);

        // someone else's instance at the target name: AlreadyExists as well, untouched
        String other = instance("once2");
        String taken = rig.createInstance(b, "taken2");
        onB.add(taken);
        b.writeFile(taken, "/root/mine.txt", bytes("precious"), 0644);
        InstanceCopy d = copy("once-taken", other, taken);
        d.getSpec().setRefresh(false);
        kube.resource(d).create();
        assertThat(synced(awaitReason("once-taken", Reasons.ALREADY_EXISTS)).getMessage())
                .contains("not made by this InstanceCopy");
        assertThat(new String(b.readFile(taken, "/root/mine.txt"), StandardCharsets.UTF_8))
                .isEqualTo("precious");
        assertThat(b.getInstance(taken).config()).doesNotContainKey(CopyNames.OWNER_KEY);
        assertThat(b.instanceExists(CopyNames.staging(taken))).isFalse();
    }

    @Test
    void badInputTable() {
        String inst = instance("bad");
        InstanceCopy noRemote = copy("bad-remote", inst, target(inst));
        noRemote.getSpec().setSourceRemoteRef(new ObjectRef("nope"));
        kube.resource(noRemote).create();
        kube.resource(copy("bad-instance", "no-such-instance", "no-such-instance-bk"))
                .create();
        InstanceCopy once = copy("bad-refresh", inst, target(inst));
        once.getSpec().setSchedule("@hourly");
        once.getSpec().setRefresh(false);
        kube.resource(once).create();
        InstanceCopy cron = copy("bad-cron", inst, target(inst));
        cron.getSpec().setSchedule("61 * * * *");
        kube.resource(cron).create();
        InstanceCopy zone = copy("bad-zone", inst, target(inst));
        zone.getSpec().setSchedule("@hourly");
        zone.getSpec().setTimeZone("Mars/Olympus");
        kube.resource(zone).create();
        InstanceCopy noTarget = copy("bad-target-remote", inst, target(inst));
        noTarget.getSpec().setTargetRemoteRef(new ObjectRef("nowhere"));
        kube.resource(noTarget).create();
        LxdRemote unix = new LxdRemote();
        unix.getMetadata().setName("lxd-a-unix");
        unix.getMetadata().setNamespace(Fixtures.NS);
        LxdRemoteSpec us = new LxdRemoteSpec();
        us.setUrl("unix://" + rig.get("a.socket"));
        us.setProbeInterval("5m");
        unix.setSpec(us);
        kube.resource(unix).create();
        InstanceCopy pullFromSocket = copy("bad-unix", inst, target(inst));
        pullFromSocket.getSpec().setSourceRemoteRef(new ObjectRef("lxd-a-unix"));
        kube.resource(pullFromSocket).create();

        assertThat(synced(awaitReason("bad-remote", Reasons.REMOTE_NOT_FOUND)).getMessage())
                .contains("spec.sourceRemoteRef")
                .contains("nope");
        assertThat(synced(awaitReason("bad-instance", Reasons.INSTANCE_NOT_FOUND))
                        .getMessage())
                .contains("no-such-instance");
        assertThat(synced(awaitReason("bad-refresh", Reasons.INVALID_SPEC)).getMessage())
                .contains("refresh: true");
        assertThat(synced(awaitReason("bad-cron", Reasons.INVALID_SCHEDULE)).getMessage())
                .contains("61");
        assertThat(synced(awaitReason("bad-zone", Reasons.INVALID_SCHEDULE)).getMessage())
                .contains("Mars/Olympus");
        assertThat(synced(awaitReason("bad-target-remote", Reasons.REMOTE_NOT_FOUND))
                        .getMessage())
                .contains("spec.targetRemoteRef")
                .contains("nowhere");
        assertThat(synced(awaitReason("bad-unix", Reasons.INCOMPATIBLE_MODE)).getMessage())
                .contains("lxd-a-unix")
                .contains("mode: relay");
        assertThat(b.instanceExists(target(inst))).isFalse();
        // deleting them is immediate: nothing was in flight
        kube.resources(InstanceCopy.class)
                .inNamespace(Fixtures.NS)
                .withName("bad-cron")
                .delete();
        await().atMost(T).until(() -> get("bad-cron") == null);
    }

    // ------------------------------------------------------------------ schedule

    @Test
    void scheduleFiresAtTheCronTimeOfTheInjectedClockAndSuspendHolds() {
        String inst = instance("sched");
        snapshot(inst, "s1");
        String target = target(inst);
        // make the operator's "now" 40 s before the top of an hour
        Instant real = Instant.now();
        Instant fire = real.truncatedTo(ChronoUnit.HOURS).plus(Duration.ofHours(1));
        clock.offset = Duration.between(real, fire.minusSeconds(40));
        try {
            InstanceCopy c = copy("sched", inst, target);
            c.getSpec().setSchedule("@hourly");
            kube.resource(c).create();
            // the first copy does not wait for the schedule
            InstanceCopyStatus first = awaitSynced("sched").getStatus();
            assertThat(first.getTransferredSnapshots()).containsExactly("s1");
            assertThat(first.getNextSyncTime()).isEqualTo(fire.toString());
            assertThat(Instant.parse(first.getLastScheduleTime())).isBefore(fire);

            snapshot(inst, "s2");
            InstanceCopyStatus fired = awaitStatus(
                            "sched",
                            s -> synced(s) && fire.toString().equals(s.getLastScheduleTime()),
                            Duration.ofSeconds(100))
                    .getStatus();
            assertThat(fired.getLastSyncKind()).isEqualTo(SyncKind.INCREMENTAL);
            assertThat(fired.getTransferredSnapshots()).containsExactly("s2");
            assertThat(fired.getNextSyncTime())
                    .isEqualTo(fire.plus(Duration.ofHours(1)).toString());
            assertThat(names(b.listSnapshots(target))).containsExactly("s1", "s2");

            // suspended: nothing planned; two scheduled times pass; resuming does not catch up
            edit("sched", s -> s.setSuspend(true));
            assertThat(awaitStatus("sched", s -> s.getPhase() == InstanceCopyPhase.SUSPENDED)
                            .getStatus()
                            .getNextSyncTime())
                    .isNull();
            clock.offset = clock.offset.plus(Duration.ofHours(2));
            edit("sched", s -> s.setSuspend(false));
            InstanceCopyStatus resumed = awaitStatus(
                            "sched", s -> s.getPhase() == InstanceCopyPhase.SYNCED && s.getResumeTime() != null)
                    .getStatus();
            assertThat(resumed.getLastScheduleTime()).isEqualTo(fire.toString());
            assertThat(resumed.getLastSuccessfulSyncTime()).isEqualTo(fired.getLastSuccessfulSyncTime());
            assertThat(resumed.getNextSyncTime())
                    .isEqualTo(fire.plus(Duration.ofHours(3)).toString());
        } finally {
            kube.resources(InstanceCopy.class)
                    .inNamespace(Fixtures.NS)
                    .withName("sched")
                    .delete();
            await().atMost(T).until(() -> get("sched") == null);
            clock.offset = Duration.ZERO;
        }
    }

    @Test
    void scheduledTimeMissedPastTheDeadlineIsRecordedLikeTheSchedulesAndNotRun() {
        String inst = instance("missed");
        String target = target(inst);
        // the operator's "now": half past an hour, so the hourly times are 30 min late when looked at
        Instant real = Instant.now();
        Instant hour = real.truncatedTo(ChronoUnit.HOURS).plus(Duration.ofHours(1));
        clock.offset = Duration.between(real, hour.plus(Duration.ofMinutes(30)));
        try {
            InstanceCopy c = copy("missed", inst, target);
            c.getSpec().setSchedule("@hourly");
            kube.resource(c).create();
            InstanceCopyStatus first = awaitSynced("missed").getStatus();
            // two hours pass (operator down); a deadline of 60 s makes both hourly times too late
            clock.offset = clock.offset.plus(Duration.ofHours(2));
            edit("missed", s -> s.setStartingDeadlineSeconds(60L));
            Instant latest = hour.plus(Duration.ofHours(2));
            InstanceCopyStatus st =
                    awaitStatus("missed", s -> s.getMissedRuns() != null).getStatus();
            assertThat(st.getMissedRuns()).isEqualTo(2);
            assertThat(st.getLastMissedTime()).isEqualTo(latest.toString());
            assertThat(st.getLastScheduleTime()).isEqualTo(latest.toString());
            assertThat(st.getNextSyncTime())
                    .isEqualTo(hour.plus(Duration.ofHours(3)).toString());
            assertThat(st.getPhase()).isEqualTo(InstanceCopyPhase.SYNCED);
            assertThat(st.getLastSuccessfulSyncTime()).isEqualTo(first.getLastSuccessfulSyncTime());
            await().atMost(T).until(() -> hasEvent("missed", "MissedRuns", "past startingDeadlineSeconds, not run"));
            // decided once: no copy follows
            await().pollDelay(Duration.ofSeconds(3))
                    .atMost(Duration.ofSeconds(4))
                    .until(() -> true);
            assertThat(get("missed").getStatus().getLastSuccessfulSyncTime())
                    .isEqualTo(first.getLastSuccessfulSyncTime());
        } finally {
            kube.resources(InstanceCopy.class)
                    .inNamespace(Fixtures.NS)
                    .withName("missed")
                    .delete();
            await().atMost(T).until(() -> get("missed") == null);
            clock.offset = Duration.ZERO;
        }
    }

    // ------------------------------------------------------------------ crash safety

    /**
     * The window inside the swap: the copy is complete in the staging instance and our previous
     * copy was set aside as -old, when someone creates an instance under the target name. The
     * restarted operator must not touch it; once it is gone the swap finishes.
     */
    @Test
    void instanceAppearingAtTheTargetBeforeTheSwapIsLeftAloneAndTheFinishedCopyKept() {
        String inst = instance("swap");
        String target = target(inst);
        String staging = CopyNames.staging(target);
        String previous = CopyNames.previous(target);
        String syncId = "a1b2c3d4e5f6";
        Instance foreignBefore;
        op.stop();
        try {
            InstanceCopy c = kube.resource(copy("swap", inst, target)).create();
            String owner = CopyNames.owner(Fixtures.NS, "swap", c.getMetadata().getUid());
            b.waitFor(
                    b.createInstanceFromImage(
                            staging,
                            rig.image(),
                            Map.of(
                                    "security.privileged",
                                    "true",
                                    CopyNames.OWNER_KEY,
                                    owner,
                                    CopyNames.SYNC_KEY,
                                    syncId)),
                    T);
            b.writeFile(staging, "/root/which.txt", bytes("finished copy"), 0644);
            b.waitFor(
                    b.createInstanceFromImage(
                            previous,
                            rig.image(),
                            Map.of(
                                    "security.privileged",
                                    "true",
                                    CopyNames.OWNER_KEY,
                                    owner,
                                    CopyNames.SYNC_KEY,
                                    "000000000000")),
                    T);
            b.writeFile(previous, "/root/which.txt", bytes("previous copy"), 0644);
            b.waitFor(b.createInstanceFromImage(target, rig.image(), Map.of("security.privileged", "true")), T);
            b.writeFile(target, "/root/which.txt", bytes("someone else's"), 0644);
            foreignBefore = b.getInstance(target);
            plantStatus(c, syncId, staging);
        } finally {
            op.start();
        }
        InstanceCopy refused = awaitReason("swap", Reasons.ALREADY_EXISTS);
        assertThat(synced(refused).getMessage())
                .contains(target)
                .contains("not made by this InstanceCopy")
                .contains("kept as " + staging);
        Instance foreignAfter = b.getInstance(target);
        assertThat(foreignAfter.config()).isEqualTo(foreignBefore.config());
        assertThat(foreignAfter.createdAt()).isEqualTo(foreignBefore.createdAt());
        assertThat(new String(b.readFile(target, "/root/which.txt"), StandardCharsets.UTF_8))
                .isEqualTo("someone else's");
        assertThat(new String(b.readFile(staging, "/root/which.txt"), StandardCharsets.UTF_8))
                .isEqualTo("finished copy");
        assertThat(b.instanceExists(previous)).isTrue();

        // the other instance goes: now the state is "-old set aside, target missing"; the swap finishes
        b.waitFor(b.deleteInstance(target), T);
        touch("swap");
        awaitSynced("swap");
        assertThat(new String(b.readFile(target, "/root/which.txt"), StandardCharsets.UTF_8))
                .isEqualTo("finished copy");
        assertThat(b.getInstance(target).isRunning()).isFalse();
        assertNoLeftovers(target);
    }

    @Test
    void operatorRestartMidCopyLeavesOneGoodCopyAndNoStaging() throws Exception {
        String inst = instance("restart");
        sh("head -c 600000000 /dev/urandom > " + POOLS_A + "containers/" + inst + "/rootfs/root/big.bin");
        String target = target(inst);
        String staging = CopyNames.staging(target);
        kube.resource(copy("restart", inst, target)).create();
        awaitStatus("restart", s -> s.getPhase() == InstanceCopyPhase.COPYING && s.getOperationId() != null);

        op.stop();
        try {
            // stopped mid-copy: LXD is still writing the staging instance, the target name is free
            assertThat(b.runningOperationsOn(staging)).isNotEmpty();
            assertThat(b.instanceExists(target)).isFalse();
        } finally {
            op.start();
        }
        InstanceCopy synced = awaitStatus("restart", InstanceCopyControllerLxdTest::synced, Duration.ofMinutes(4));
        assertThat(synced.getStatus().getLastSyncKind()).isEqualTo(SyncKind.FULL);
        assertThat(sha256(Path.of(POOLS_B, "containers", target, "rootfs/root/big.bin")))
                .isEqualTo(sha256(Path.of(POOLS_A, "containers", inst, "rootfs/root/big.bin")));
        // exactly one instance of this copy on the target server
        assertThat(b.listInstances())
                .extracting(Instance::name)
                .filteredOn(n -> n.startsWith(target))
                .containsExactly(target);
        assertThat(b.getInstance(target).isRunning()).isFalse();
    }

    @Test
    void restartWithAHalfCopiedStagingInstanceThrowsItAwayAndCopiesAgain() {
        String inst = instance("half");
        byte[] data = random(16 * 1024);
        a.writeFile(inst, "/root/data.bin", data, 0644);
        String target = target(inst);
        String staging = CopyNames.staging(target);
        op.stop();
        try {
            // As if the operator died mid-copy and LXD's operation is long forgotten: the intent is
            // in the status and a staging instance of ours exists, never marked complete.
            InstanceCopy c = kube.resource(copy("half", inst, target)).create();
            String owner = CopyNames.owner(Fixtures.NS, "half", c.getMetadata().getUid());
            b.waitFor(
                    b.createInstanceFromImage(
                            staging, rig.image(), Map.of("security.privileged", "true", CopyNames.OWNER_KEY, owner)),
                    T);
            onB.add(staging);
            b.writeFile(staging, "/root/half-copied", bytes("x"), 0644);
            InstanceCopyStatus st = new InstanceCopyStatus();
            st.setPhase(InstanceCopyPhase.COPYING);
            st.setSyncId("0123456789ab");
            st.setCopyRequestedAt(Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
            st.setStagingInstance(staging);
            c.setStatus(st);
            StatusWriter.replaceStatus(kube, c, c.getStatus());
        } finally {
            op.start();
        }
        awaitSynced("half");
        assertThat(b.readFile(target, "/root/data.bin")).isEqualTo(data);
        assertThatThrownBy(() -> b.readFile(target, "/root/half-copied")).isInstanceOf(LxdException.NotFound.class);
        assertNoLeftovers(target);
    }

    /**
     * A relay import carries no owner mark until it is complete, so after a restart a staging
     * instance without the mark cannot be told apart from someone else's: neither recovery nor
     * deleting the resource removes it.
     */
    @Test
    void unmarkedStagingInstanceIsNeverDeletedInRelayMode() {
        String inst = instance("unmarked");
        String target = target(inst);
        String staging = CopyNames.staging(target);
        op.stop();
        try {
            InstanceCopy c = copy("unmarked", inst, target);
            c.getSpec().setMode(CopyMode.RELAY);
            c = kube.resource(c).create();
            b.waitFor(b.createInstanceFromImage(staging, rig.image(), Map.of("security.privileged", "true")), T);
            b.writeFile(staging, "/root/mine.txt", bytes("not the operator's"), 0644);
            plantStatus(c, "0a0b0c0d0e0f", staging);
        } finally {
            op.start();
        }
        InstanceCopy refused = awaitReason("unmarked", Reasons.ALREADY_EXISTS);
        assertThat(synced(refused).getMessage()).contains(staging).contains("not marked");
        assertThat(new String(b.readFile(staging, "/root/mine.txt"), StandardCharsets.UTF_8))
                .isEqualTo("not the operator's");
        assertThat(b.instanceExists(target)).isFalse();

        kube.resources(InstanceCopy.class)
                .inNamespace(Fixtures.NS)
                .withName("unmarked")
                .delete();
        await().atMost(T).until(() -> get("unmarked") == null);
        await().atMost(T).until(() -> hasEvent("unmarked", "CopyAbandoned", staging + " is not marked"));
        assertThat(new String(b.readFile(staging, "/root/mine.txt"), StandardCharsets.UTF_8))
                .isEqualTo("not the operator's");
    }

    @Test
    void deletingTheResourceKeepsTheCopy() {
        String inst = instance("keep");
        String target = target(inst);
        kube.resource(copy("keep", inst, target)).create();
        awaitSynced("keep");
        kube.resources(InstanceCopy.class)
                .inNamespace(Fixtures.NS)
                .withName("keep")
                .delete();
        await().atMost(T).until(() -> get("keep") == null);
        assertThat(b.instanceExists(target)).isTrue();
    }

    // ------------------------------------------------------------------ promotion (takeover)

    /**
     * Takeover by the backup server: the copy's source remote goes dead, the copy is promoted,
     * and it runs on daemon "b" with the source's autostart settings. When the main server comes
     * back, nothing is copied over the promoted instance; deleting the resource leaves it.
     */
    @Test
    void promotedCopyRunsOnTheBackupServerWithTheSourceAutostartWhileTheSourceIsGone() {
        String inst = instance("promo");
        a.updateInstanceConfig(
                inst,
                Map.of("boot.autostart", "true", "boot.autostart.priority", "7", "boot.autostart.delay", "3"),
                null);
        byte[] one = random(32 * 1024);
        a.writeFile(inst, "/root/data.bin", one, 0644);
        snapshot(inst, "s1");
        String target = target(inst);
        remoteVia("lxd-a-promo", "a", rig.get("a.url"));
        InstanceCopy c = copy("promo", inst, target);
        c.getSpec().setSourceRemoteRef(new ObjectRef("lxd-a-promo"));
        c.getSpec().setSchedule("@hourly");
        kube.resource(c).create();
        try {
            InstanceCopy synced = awaitSynced("promo");
            String owner =
                    CopyNames.owner(Fixtures.NS, "promo", synced.getMetadata().getUid());
            // what a copy does to the autostart keys today: LXD copies them, the operator turns autostart off
            Map<String, String> copied = b.getInstance(target).config();
            System.out.println("promotion test: target config after the copy: boot.autostart="
                    + copied.get("boot.autostart") + " priority=" + copied.get("boot.autostart.priority")
                    + " delay=" + copied.get("boot.autostart.delay"));
            assertThat(copied).containsEntry("boot.autostart", "false").containsEntry(CopyNames.OWNER_KEY, owner);
            assertThat(synced.getStatus().getSourceAutostart().keys())
                    .containsExactlyInAnyOrderEntriesOf(Map.of(
                            "boot.autostart", "true", "boot.autostart.priority", "7", "boot.autostart.delay", "3"));
            String lastSync = synced.getStatus().getLastSuccessfulSyncTime();

            // the main server fails: its remote points at a dead address, a copy now cannot reach it
            pointRemoteAt("lxd-a-promo", "https://127.0.0.1:1");
            clock.offset = Duration.ofMinutes(61); // past the next hourly copy
            touch("promo");
            awaitReason("promo", Reasons.SOURCE_UNREACHABLE);

            edit("promo", s -> s.setPromote(true));
            InstanceCopy promoted = awaitStatus("promo", s -> s.getPhase() == InstanceCopyPhase.PROMOTED);
            InstanceCopyStatus st = promoted.getStatus();
            Condition cond = st.findCondition(Condition.PROMOTED).orElseThrow();
            assertThat(cond.isTrue()).isTrue();
            assertThat(cond.getReason()).isEqualTo(Reasons.PROMOTED);
            assertThat(cond.getMessage()).contains("boot.autostart=true").contains("started");
            assertThat(st.getPromotedTime()).isNotNull();
            assertThat(st.getNextSyncTime()).isNull();
            assertThat(st.getSyncId()).isNull();
            assertThat(hasEvent("promo", Reasons.PROMOTED, target)).isTrue();

            Instance t = b.getInstance(target);
            assertThat(t.isRunning()).as("promoted copy runs on daemon b").isTrue();
            assertThat(t.config())
                    .containsEntry("boot.autostart", "true")
                    .containsEntry("boot.autostart.priority", "7")
                    .containsEntry("boot.autostart.delay", "3")
                    .containsEntry(CopyNames.PROMOTED_KEY, owner)
                    .doesNotContainKey(CopyNames.OWNER_KEY)
                    .doesNotContainKey(CopyNames.SYNC_KEY);
            assertThat(b.readFile(target, "/root/data.bin")).isEqualTo(one);
            assertNoLeftovers(target);

            // the main server comes back with newer data, and scheduled times pass: nothing is copied
            byte[] marker = bytes("written on the backup server after the takeover");
            b.writeFile(target, "/root/after-takeover.txt", marker, 0644);
            pointRemoteAt("lxd-a-promo", rig.get("a.url"));
            a.writeFile(inst, "/root/data.bin", random(32 * 1024 + 100), 0644);
            snapshot(inst, "s2");
            clock.offset = Duration.ofHours(3);
            touch("promo");
            long gen = get("promo").getMetadata().getGeneration();
            awaitStatus("promo", s -> s.getObservedGeneration() != null && s.getObservedGeneration() >= gen);
            await().pollDelay(Duration.ofSeconds(5))
                    .atMost(Duration.ofSeconds(6))
                    .until(() -> true);
            InstanceCopyStatus after = get("promo").getStatus();
            assertThat(after.getPhase()).isEqualTo(InstanceCopyPhase.PROMOTED);
            assertThat(after.getLastSuccessfulSyncTime()).isEqualTo(lastSync);
            assertThat(after.getNextSyncTime()).isNull();
            assertThat(after.getSyncId()).isNull();
            assertThat(names(b.listSnapshots(target))).containsExactly("s1");
            assertThat(b.readFile(target, "/root/data.bin")).isEqualTo(one);
            assertThat(b.readFile(target, "/root/after-takeover.txt")).isEqualTo(marker);
            assertThat(b.getInstance(target).isRunning()).isTrue();

            // un-promoting (the CRD refuses it; an older CRD lets it through): still nothing is copied
            edit("promo", s -> s.setPromote(false));
            InstanceCopy back = awaitReason("promo", Reasons.ALREADY_PROMOTED);
            assertThat(back.getStatus().getPhase()).isEqualTo(InstanceCopyPhase.PROMOTED);
            assertThat(back.getStatus().getLastSuccessfulSyncTime()).isEqualTo(lastSync);
            assertThat(synced(back).getMessage()).contains("create a new InstanceCopy");

            // deleting the resource never deletes the promoted instance
            kube.resources(InstanceCopy.class)
                    .inNamespace(Fixtures.NS)
                    .withName("promo")
                    .delete();
            await().atMost(T).until(() -> get("promo") == null);
            assertThat(b.instanceExists(target)).isTrue();
            assertThat(b.getInstance(target).isRunning()).isTrue();
            assertThat(b.readFile(target, "/root/after-takeover.txt")).isEqualTo(marker);
        } finally {
            clock.offset = Duration.ZERO;
            kube.resources(InstanceCopy.class)
                    .inNamespace(Fixtures.NS)
                    .withName("promo")
                    .delete();
            kube.resources(LxdRemote.class)
                    .inNamespace(Fixtures.NS)
                    .withName("lxd-a-promo")
                    .delete();
        }
    }

    @Test
    void promotingACopyThatNeverSyncedIsRefusedAndCopiesNothing() {
        String inst = instance("nosync");
        String target = target(inst);
        InstanceCopy c = copy("nosync", inst, target);
        c.getSpec().setPromote(true);
        kube.resource(c).create();
        InstanceCopy refused = awaitStatus(
                "nosync",
                s -> s.findCondition(Condition.PROMOTED)
                        .map(p -> Reasons.NEVER_SYNCED.equals(p.getReason()))
                        .orElse(false));
        assertThat(refused.getStatus().getPhase()).isEqualTo(InstanceCopyPhase.FAILED);
        assertThat(refused.getStatus()
                        .findCondition(Condition.PROMOTED)
                        .orElseThrow()
                        .getMessage())
                .contains("nothing to promote");
        assertThat(hasEvent("nosync", Reasons.NEVER_SYNCED, "nothing to promote"))
                .isTrue();
        await().pollDelay(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).until(() -> true);
        assertThat(b.instanceExists(target)).isFalse();
        assertThat(b.instanceExists(CopyNames.staging(target))).isFalse();
        assertThat(get("nosync").getStatus().getLastSuccessfulSyncTime()).isNull();
    }

    /**
     * Promoted while a copy was unfinished (the operator stopped with a half-written staging
     * instance) and the source gone: the staging instance is deleted and the last complete copy
     * takes over.
     */
    @Test
    void promotionDuringAnUnfinishedCopyDeletesItsStagingAndPromotesTheLastCompleteCopy() {
        String inst = instance("pmid");
        byte[] one = random(16 * 1024);
        a.writeFile(inst, "/root/data.bin", one, 0644);
        String target = target(inst);
        String staging = CopyNames.staging(target);
        remoteVia("lxd-a-pmid", "a", rig.get("a.url"));
        InstanceCopy c = copy("pmid", inst, target);
        c.getSpec().setSourceRemoteRef(new ObjectRef("lxd-a-pmid"));
        kube.resource(c).create();
        try {
            awaitSynced("pmid");
            // what an interrupted copy leaves: a half-written staging instance with our mark
            b.waitFor(b.copyLocal(target, staging, false), T);
            b.writeFile(staging, "/root/data.bin", bytes("half"), 0644);
            op.stop();
            try {
                InstanceCopy cur = get("pmid");
                InstanceCopyStatus st = cur.getStatus();
                st.setPhase(InstanceCopyPhase.COPYING);
                st.setSyncId("0123456789ab");
                st.setCopyRequestedAt(
                        Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
                st.setStagingInstance(staging);
                StatusWriter.replaceStatus(kube, cur, st);
                pointRemoteAt("lxd-a-pmid", "https://127.0.0.1:1");
                edit("pmid", s -> s.setPromote(true));
            } finally {
                op.start();
            }
            InstanceCopy promoted = awaitStatus("pmid", s -> s.getPhase() == InstanceCopyPhase.PROMOTED);
            InstanceCopyStatus st = promoted.getStatus();
            assertThat(st.getSyncId()).isNull();
            assertThat(st.getStagingInstance()).isNull();
            assertThat(st.findCondition(Condition.PROMOTED).orElseThrow().getMessage())
                    .contains("ended the unfinished copy (deleted " + staging + ")");
            assertThat(b.instanceExists(staging)).isFalse();
            assertThat(b.getInstance(target).isRunning()).isTrue();
            assertThat(b.readFile(target, "/root/data.bin")).isEqualTo(one);
        } finally {
            kube.resources(InstanceCopy.class)
                    .inNamespace(Fixtures.NS)
                    .withName("pmid")
                    .delete();
            await().atMost(T).until(() -> get("pmid") == null);
            kube.resources(LxdRemote.class)
                    .inNamespace(Fixtures.NS)
                    .withName("lxd-a-pmid")
                    .delete();
        }
    }

    static void pointRemoteAt(String name, String url) {
        kube.resources(LxdRemote.class).inNamespace(Fixtures.NS).withName(name).edit(r -> {
            r.getSpec().setUrl(url);
            return r;
        });
    }

    // ------------------------------------------------------------------ helpers

    static String instance(String prefix) {
        String n = rig.createInstance(a, prefix);
        onA.add(n);
        return n;
    }

    /** The target name for a source instance, registered for clean-up with its staging names. */
    static String target(String inst) {
        String t = inst + "-bk";
        if (!onB.contains(t)) {
            onB.add(t);
            onB.add(CopyNames.staging(t));
            onB.add(CopyNames.previous(t));
        }
        return t;
    }

    static InstanceCopy copy(String name, String instance, String target) {
        InstanceCopy c = new InstanceCopy();
        c.getMetadata().setName(name);
        c.getMetadata().setNamespace(Fixtures.NS);
        InstanceCopySpec spec = new InstanceCopySpec();
        spec.setSourceRemoteRef(new ObjectRef("lxd-a"));
        spec.setTargetRemoteRef(new ObjectRef("lxd-b"));
        spec.setInstance(instance);
        spec.setTargetInstance(target);
        c.setSpec(spec);
        return c;
    }

    /** An LxdRemote for daemon "a"/"b" at another URL (a proxy in front of it). */
    static void remoteVia(String name, String daemon, String url) {
        LxdRemote r = new LxdRemote();
        r.getMetadata().setName(name);
        r.getMetadata().setNamespace(Fixtures.NS);
        LxdRemoteSpec spec = new LxdRemoteSpec();
        spec.setUrl(url);
        spec.setClientCertificateSecretRef(new ObjectRef("lxd-" + daemon + "-client"));
        spec.setServerCertificateFingerprint(rig.get(daemon + ".fingerprint"));
        spec.setProbeInterval("5m");
        r.setSpec(spec);
        kube.resource(r).create();
    }

    /** The lxc client against daemon "b", for what LxdClient does not do (projects, pools). */
    static void lxcB(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("lxc"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("LXD_DIR", "/var/lib/lxd-rig-b");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(2, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException(cmd + " failed: " + out);
        }
    }

    static void lxcBQuietly(String... args) {
        try {
            lxcB(args);
        } catch (Exception e) {
            System.err.println("clean-up: " + e.getMessage());
        }
    }

    static void plantStatus(InstanceCopy c, String syncId, String staging) {
        InstanceCopyStatus st = new InstanceCopyStatus();
        st.setPhase(InstanceCopyPhase.COPYING);
        st.setSyncId(syncId);
        st.setCopyRequestedAt(Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        st.setStagingInstance(staging);
        c.setStatus(st);
        StatusWriter.replaceStatus(kube, c, c.getStatus());
    }

    static boolean hasEvent(String object, String reason, String text) {
        return kube.v1().events().inNamespace(Fixtures.NS).list().getItems().stream()
                .anyMatch(e -> object.equals(e.getInvolvedObject().getName())
                        && reason.equals(e.getReason())
                        && e.getMessage() != null
                        && e.getMessage().contains(text));
    }

    static void snapshot(String inst, String name) {
        a.waitFor(a.createSnapshot(inst, LxdClient.SnapshotRequest.named(name)), T);
    }

    /** A spec change that means nothing to a copy without schedule: makes it copy again (new generation). */
    static void touch(String name) {
        edit(name, s -> s.setStartingDeadlineSeconds(3600 + edits.incrementAndGet()));
    }

    static void edit(String name, java.util.function.Consumer<InstanceCopySpec> change) {
        kube.resources(InstanceCopy.class)
                .inNamespace(Fixtures.NS)
                .withName(name)
                .edit(c -> {
                    change.accept(c.getSpec());
                    return c;
                });
    }

    static InstanceCopy get(String name) {
        return kube.resources(InstanceCopy.class)
                .inNamespace(Fixtures.NS)
                .withName(name)
                .get();
    }

    static InstanceCopy awaitStatus(String name, Predicate<InstanceCopyStatus> p) {
        return awaitStatus(name, p, T);
    }

    static InstanceCopy awaitStatus(String name, Predicate<InstanceCopyStatus> p, Duration timeout) {
        try {
            await().atMost(timeout).pollInterval(Duration.ofMillis(200)).until(() -> {
                InstanceCopy c = get(name);
                return c != null && c.getStatus() != null && p.test(c.getStatus());
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            InstanceCopy c = get(name);
            throw new AssertionError(
                    "status of " + name + " never matched; last: " + (c == null ? null : c.getStatus()), e);
        }
        return get(name);
    }

    static boolean synced(InstanceCopyStatus s) {
        return s.getPhase() == InstanceCopyPhase.SYNCED && s.isConditionTrue(Condition.SYNCED) && s.getSyncId() == null;
    }

    static InstanceCopy awaitSynced(String name) {
        return awaitStatus(name, InstanceCopyControllerLxdTest::synced);
    }

    static InstanceCopy awaitReason(String name, String reason) {
        return awaitStatus(
                name,
                s -> s.findCondition(Condition.SYNCED)
                        .map(c -> reason.equals(c.getReason()))
                        .orElse(false));
    }

    static Condition synced(InstanceCopy c) {
        return c.getStatus().findCondition(Condition.SYNCED).orElseThrow();
    }

    static void assertNoLeftovers(String target) {
        assertThat(b.instanceExists(CopyNames.staging(target)))
                .as("staging instance left")
                .isFalse();
        assertThat(b.instanceExists(CopyNames.previous(target)))
                .as("previous copy left")
                .isFalse();
    }

    static List<String> names(List<Snapshot> snapshots) {
        List<String> out = new ArrayList<>();
        snapshots.forEach(s -> out.add(s.name()));
        return out;
    }

    static byte[] random(int n) {
        byte[] b = new byte[n];
        new java.util.Random().nextBytes(b);
        return b;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String sha256(Path file) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                sha.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    static void sh(String cmd) throws IOException, InterruptedException {
        Process p =
                new ProcessBuilder("sh", "-c", cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException(cmd + " failed: " + out);
        }
    }
}
