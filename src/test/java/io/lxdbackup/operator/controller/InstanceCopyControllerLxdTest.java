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
import io.lxdbackup.operator.testing.Fixtures;
import io.lxdbackup.operator.testing.LxdRig;
import io.lxdbackup.operator.testing.OperatorHarness;
import java.io.IOException;
import java.io.InputStream;
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
    assertThat(t.config()).containsEntry("boot.autostart", "false")
        .containsEntry(CopyNames.OWNER_KEY, CopyNames.owner(Fixtures.NS, "first", synced.getMetadata().getUid()));
    assertThat(b.readFile(target, "/root/data.bin")).isEqualTo(one);
    assertThat(names(b.listSnapshots(target))).containsExactly("s1");
    Instant s1OnTarget = b.getSnapshot(target, "s1").createdAt();
    assertNoLeftovers(target);

    // a resync of an unchanged spec copies nothing
    String lastSync = st.getLastSuccessfulSyncTime();
    await().pollDelay(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).until(() -> true);
    assertThat(get("first").getStatus().getLastSuccessfulSyncTime()).isEqualTo(lastSync);

    byte[] two = random(64 * 1024);
    a.writeFile(inst, "/root/data.bin", two, 0644);
    snapshot(inst, "s2");
    touch("first");
    long genFirst = get("first").getMetadata().getGeneration();
    InstanceCopyStatus refreshed = awaitStatus("first", s -> synced(s) && s.getObservedGeneration() != null && s.getObservedGeneration() >= genFirst)
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
    InstanceCopyStatus st = awaitStatus("inplace", s -> synced(s) && s.getObservedGeneration() != null && s.getObservedGeneration() >= genInplace)
        .getStatus();
    assertThat(st.getLastSyncKind()).isEqualTo(SyncKind.INCREMENTAL);
    assertThat(st.getTransferredSnapshots()).containsExactly("s3");
    // LXD 5.0.2 refresh mirrors the source: a snapshot deleted there goes on the target too
    assertThat(st.getRemovedSnapshots()).containsExactly("s2");
    assertThat(names(b.listSnapshots(target))).containsExactly("s1", "s3");
    assertThat(Files.getAttribute(s1File, "unix:ino")).isEqualTo(s1Inode);
    assertThat(b.getSnapshot(target, "s1").createdAt()).isEqualTo(s1Created);
    assertThat(new String(b.readFile(target, "/root/data.txt"), StandardCharsets.UTF_8)).isEqualTo("second version");
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
    InstanceCopy copying = awaitStatus("failref", s -> s.getPhase() == InstanceCopyPhase.COPYING
        && s.getSourceOperationId() != null && s.getProgress() != null && s.getProgress().contains("transferring"));
    a.cancelOperation(copying.getStatus().getSourceOperationId());

    InstanceCopy failed = awaitReason("failref", Reasons.COPY_FAILED);
    assertThat(failed.getStatus().getPhase()).isEqualTo(InstanceCopyPhase.FAILED);
    assertThat(synced(failed).getMessage()).contains("unchanged");
    assertThat(failed.getStatus().getNextRetryTime()).isNotNull();
    // the previous copy is exactly as it was; the half-refreshed staging copy is gone
    assertThat(names(b.listSnapshots(target))).containsExactly("s1");
    assertThat(new String(b.readFile(target, "/root/data.txt"), StandardCharsets.UTF_8)).isEqualTo("good");
    assertThatThrownBy(() -> b.readFile(target, "/root/big.bin")).isInstanceOf(LxdException.NotFound.class);
    assertThat(b.instanceExists(CopyNames.staging(target))).isFalse();

    // the retry (back-off) completes it
    awaitStatus("failref", s -> synced(s) && s.getSnapshotsOnTarget().contains("s2"), Duration.ofMinutes(3));
    assertThat(new String(b.readFile(target, "/root/data.txt"), StandardCharsets.UTF_8)).isEqualTo("newer");
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
    InstanceCopyStatus again = awaitStatus("relay", s -> synced(s) && s.getObservedGeneration() != null && s.getObservedGeneration() >= genRelay)
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
    assertThat(synced(refused).getMessage()).contains(taken).contains("not made by this InstanceCopy")
        .contains("spec.targetInstance");
    assertThat(refused.getStatus().getSyncId()).isNull();
    Instance after = b.getInstance(taken);
    assertThat(after.config()).isEqualTo(before.config());
    assertThat(after.createdAt()).isEqualTo(before.createdAt());
    assertThat(new String(b.readFile(taken, "/root/mine.txt"), StandardCharsets.UTF_8)).isEqualTo("precious");
    assertThat(b.instanceExists(CopyNames.staging(taken))).isFalse();
    // permanent: not retried in a loop
    int failures = get("taken").getStatus().getFailures();
    await().pollDelay(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(7)).until(() -> true);
    assertThat(get("taken").getStatus().getFailures()).isEqualTo(failures);
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
  void badInputTable() {
    String inst = instance("bad");
    InstanceCopy noRemote = copy("bad-remote", inst, target(inst));
    noRemote.getSpec().setSourceRemoteRef(new ObjectRef("nope"));
    kube.resource(noRemote).create();
    kube.resource(copy("bad-instance", "no-such-instance", "no-such-instance-bk")).create();
    InstanceCopy once = copy("bad-refresh", inst, target(inst));
    once.getSpec().setSchedule("@hourly");
    once.getSpec().setRefresh(false);
    kube.resource(once).create();
    InstanceCopy cron = copy("bad-cron", inst, target(inst));
    cron.getSpec().setSchedule("61 * * * *");
    kube.resource(cron).create();
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
        .contains("spec.sourceRemoteRef").contains("nope");
    assertThat(synced(awaitReason("bad-instance", Reasons.INSTANCE_NOT_FOUND)).getMessage()).contains("no-such-instance");
    assertThat(synced(awaitReason("bad-refresh", Reasons.INVALID_SPEC)).getMessage()).contains("refresh: true");
    assertThat(synced(awaitReason("bad-cron", Reasons.INVALID_SPEC)).getMessage()).contains("61");
    assertThat(synced(awaitReason("bad-unix", Reasons.INCOMPATIBLE_MODE)).getMessage())
        .contains("lxd-a-unix").contains("mode: relay");
    assertThat(b.instanceExists(target(inst))).isFalse();
    // deleting them is immediate: nothing was in flight
    kube.resources(InstanceCopy.class).inNamespace(Fixtures.NS).withName("bad-cron").delete();
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
      InstanceCopyStatus fired = awaitStatus("sched", s -> synced(s) && fire.toString().equals(s.getLastScheduleTime()),
          Duration.ofSeconds(100)).getStatus();
      assertThat(fired.getLastSyncKind()).isEqualTo(SyncKind.INCREMENTAL);
      assertThat(fired.getTransferredSnapshots()).containsExactly("s2");
      assertThat(fired.getNextSyncTime()).isEqualTo(fire.plus(Duration.ofHours(1)).toString());
      assertThat(names(b.listSnapshots(target))).containsExactly("s1", "s2");

      // suspended: nothing planned; two scheduled times pass; resuming does not catch up
      edit("sched", s -> s.setSuspend(true));
      assertThat(awaitStatus("sched", s -> s.getPhase() == InstanceCopyPhase.SUSPENDED).getStatus().getNextSyncTime())
          .isNull();
      clock.offset = clock.offset.plus(Duration.ofHours(2));
      edit("sched", s -> s.setSuspend(false));
      InstanceCopyStatus resumed = awaitStatus("sched", s -> s.getPhase() == InstanceCopyPhase.SYNCED
          && s.getResumeTime() != null).getStatus();
      assertThat(resumed.getLastScheduleTime()).isEqualTo(fire.toString());
      assertThat(resumed.getLastSuccessfulSyncTime()).isEqualTo(fired.getLastSuccessfulSyncTime());
      assertThat(resumed.getNextSyncTime()).isEqualTo(fire.plus(Duration.ofHours(3)).toString());
    } finally {
      kube.resources(InstanceCopy.class).inNamespace(Fixtures.NS).withName("sched").delete();
      await().atMost(T).until(() -> get("sched") == null);
      clock.offset = Duration.ZERO;
    }
  }

  // ------------------------------------------------------------------ crash safety

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
    assertThat(b.listInstances()).extracting(Instance::name).filteredOn(n -> n.startsWith(target)).containsExactly(target);
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
      b.waitFor(b.createInstanceFromImage(staging, rig.image(), Map.of("security.privileged", "true",
          CopyNames.OWNER_KEY, owner)), T);
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

  @Test
  void deletingTheResourceKeepsTheCopy() {
    String inst = instance("keep");
    String target = target(inst);
    kube.resource(copy("keep", inst, target)).create();
    awaitSynced("keep");
    kube.resources(InstanceCopy.class).inNamespace(Fixtures.NS).withName("keep").delete();
    await().atMost(T).until(() -> get("keep") == null);
    assertThat(b.instanceExists(target)).isTrue();
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

  static void snapshot(String inst, String name) {
    a.waitFor(a.createSnapshot(inst, LxdClient.SnapshotRequest.named(name)), T);
  }

  /** A spec change that means nothing to a copy without schedule: makes it copy again (new generation). */
  static void touch(String name) {
    edit(name, s -> s.setStartingDeadlineSeconds(3600 + edits.incrementAndGet()));
  }

  static void edit(String name, java.util.function.Consumer<InstanceCopySpec> change) {
    kube.resources(InstanceCopy.class).inNamespace(Fixtures.NS).withName(name).edit(c -> {
      change.accept(c.getSpec());
      return c;
    });
  }

  static InstanceCopy get(String name) {
    return kube.resources(InstanceCopy.class).inNamespace(Fixtures.NS).withName(name).get();
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
      throw new AssertionError("status of " + name + " never matched; last: " + (c == null ? null : c.getStatus()), e);
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
    return awaitStatus(name, s -> s.findCondition(Condition.SYNCED).map(c -> reason.equals(c.getReason())).orElse(false));
  }

  static Condition synced(InstanceCopy c) {
    return c.getStatus().findCondition(Condition.SYNCED).orElseThrow();
  }

  static void assertNoLeftovers(String target) {
    assertThat(b.instanceExists(CopyNames.staging(target))).as("staging instance left").isFalse();
    assertThat(b.instanceExists(CopyNames.previous(target))).as("previous copy left").isFalse();
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
    Process p = new ProcessBuilder("sh", "-c", cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException(cmd + " failed: " + out);
    }
  }
}
