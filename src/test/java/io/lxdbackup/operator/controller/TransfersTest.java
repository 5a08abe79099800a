package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportStatus;
import io.lxdbackup.operator.config.OperatorSettings;
import io.lxdbackup.operator.lxd.LxdTimeouts;
import io.lxdbackup.operator.store.UploadOptions;
import io.lxdbackup.operator.transfer.TransferLimiter;
import io.lxdbackup.operator.transfer.TransferLimits;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TransfersTest {
    static final long MIB = TransferLimits.MIB;
    static final long GIB = 1024 * MIB;

    @Test
    void partsAreSizedToTheObjectWithinTheLimitsAndTheMemory() {
        TransferLimiter limiter = new TransferLimiter(new TransferLimits(4, 2, 160 * MIB, 64 * MIB), Clock.systemUTC());
        Transfers t = new Transfers(limiter);
        UploadOptions base = UploadOptions.defaults();
        // small or unknown: the default 8 MiB parts, 4 on the wire: 40 MiB
        assertThat(t.uploadDemand(base, 512 * MIB)).isEqualTo(40 * MIB);
        assertThat(t.uploadDemand(base, -1)).isEqualTo(40 * MIB);
        try (TransferLimiter.Permit p = t.admit("a", "InstanceExport", "ns", "r", 40 * MIB)) {
            UploadOptions o = t.sizeUpload(p, base, 512 * MIB, "backup");
            assertThat(o.partSize()).isEqualTo(8 * MIB);
            assertThat(o.parallelism()).isEqualTo(4);
            // 500 GiB: 10,000 parts need 52 MiB each; the permit grows to 5 of them if the budget has room,
            // else on the wire go as many as it holds
            UploadOptions big = t.sizeUpload(p, base, 500 * GIB, "backup");
            assertThat(big.partSize()).isEqualTo(52 * MIB);
            assertThat(big.partSize() * 10_000).isGreaterThanOrEqualTo(500 * GIB);
            assertThat(p.bytes()).isLessThanOrEqualTo(160 * MIB);
            assertThat((big.parallelism() + 1) * big.partSize()).isLessThanOrEqualTo(p.bytes());
            assertThat(limiter.memoryInUse()).isLessThanOrEqualTo(160 * MIB);
        }
    }

    @Test
    void aClaimedSizeBeyondTheLimitIsRefusedWithAClearReason() {
        Transfers t = new Transfers(new TransferLimiter(TransferLimits.defaults(), Clock.systemUTC()));
        try (TransferLimiter.Permit p = t.admit("a", "InstanceExport", "ns", "r", 40 * MIB)) {
            // LXD claiming an 8 EiB backup: no part size grows to that
            assertThatThrownBy(() ->
                            t.sizeUpload(p, UploadOptions.defaults(), Long.MAX_VALUE / 2, "the LXD backup of web1"))
                    .isInstanceOfSatisfying(Failure.class, f -> {
                        assertThat(f.reason()).isEqualTo(Reasons.TOO_LARGE);
                        assertThat(f.isTransient()).isFalse();
                        assertThat(f.getMessage())
                                .contains("the LXD backup of web1")
                                .contains("--max-part-size");
                    });
        }
    }

    @Test
    void whenTheBudgetHasNoRoomForLargerPartsTheUploadWaits() {
        TransferLimiter limiter = new TransferLimiter(new TransferLimits(4, 4, 160 * MIB, 64 * MIB), Clock.systemUTC());
        Transfers t = new Transfers(limiter);
        try (TransferLimiter.Permit a = t.admit("a", "InstanceExport", "ns", "r", 40 * MIB);
                TransferLimiter.Permit b = t.admit("b", "InstanceExport", "ns", "r2", 40 * MIB)) {
            // 600 GiB wants 62 MiB parts: two of them (124 MiB) do not fit into the 40 MiB it holds and the 80 MiB left
            assertThatThrownBy(() -> t.sizeUpload(a, UploadOptions.defaults(), 600 * GIB, "backup"))
                    .isInstanceOf(Transfers.Queued.class)
                    .hasMessageContaining("Waiting for transfer memory");
        }
    }

    @Test
    void queuedIsNoFailureAndPatchesOnlyWhenTheMessageChanges() {
        InstanceExportStatus st = new InstanceExportStatus();
        st.setFailures(2);
        assertThat(Transfers.markQueued(st, 1, Clock.systemUTC(), Condition.COMPLETE, "number 2 of 3 waiting"))
                .isTrue();
        assertThat(Transfers.markQueued(st, 1, Clock.systemUTC(), Condition.COMPLETE, "number 2 of 3 waiting"))
                .isFalse();
        assertThat(Transfers.markQueued(st, 1, Clock.systemUTC(), Condition.COMPLETE, "number 1 of 3 waiting"))
                .isTrue();
        assertThat(st.getFailures()).isEqualTo(2);
        assertThat(st.getLastError()).isNull();
        assertThat(st.findCondition(Condition.COMPLETE).orElseThrow().getReason())
                .isEqualTo("Queued");
    }

    @Test
    void flagsAndEnvironmentSetTheLimits() {
        OperatorSettings s = OperatorSettings.from(
                new String[] {"--max-transfers=3", "--transfer-memory=200Mi"},
                Map.of("LXDBACKUP_MAX_TRANSFERS_PER_REMOTE", "1", "LXDBACKUP_MAX_PART_SIZE", "32Mi"),
                false);
        assertThat(s.transfers()).isEqualTo(new TransferLimits(3, 1, 200 * MIB, 32 * MIB));
        assertThat(OperatorSettings.from(new String[0], Map.of(), false).transfers())
                .isEqualTo(TransferLimits.defaults());
        assertThatThrownBy(() -> OperatorSettings.from(new String[] {"--max-transfers=many"}, Map.of(), false))
                .hasMessageContaining("--max-transfers must be a number");
    }

    @Test
    void flagsAndEnvironmentSetTheDeadlinesAndTheReconcilePool() {
        OperatorSettings s = OperatorSettings.from(
                new String[] {"--lxd-request-timeout=15s", "--reconcile-threads=8"},
                Map.of("LXDBACKUP_LXD_STREAM_IDLE_TIMEOUT", "2m"),
                false);
        assertThat(s.lxdTimeouts()).isEqualTo(new LxdTimeouts(Duration.ofSeconds(15), Duration.ofMinutes(2)));
        assertThat(s.reconcileThreads()).isEqualTo(8);
        OperatorSettings d = OperatorSettings.from(new String[0], Map.of(), false);
        assertThat(d.lxdTimeouts()).isEqualTo(new LxdTimeouts(Duration.ofSeconds(60), Duration.ofMinutes(5)));
        assertThat(d.reconcileThreads()).isEqualTo(50);
        assertThatThrownBy(() -> OperatorSettings.from(new String[] {"--lxd-request-timeout=soon"}, Map.of(), false))
                .hasMessageContaining("--lxd-request-timeout must be a duration");
        assertThatThrownBy(() -> OperatorSettings.from(new String[] {"--lxd-stream-idle-timeout=0s"}, Map.of(), false))
                .hasMessageContaining("--lxd-stream-idle-timeout must be at least 1s");
    }

    @Test
    void anUnresponsiveServerIsARetryableConditionOfItsOwn() {
        Failure f = Failure.from(
                new io.lxdbackup.operator.lxd.LxdException.Unresponsive("LXD at h:1 did not answer in time", null),
                "snapshot of c1");
        assertThat(f.reason()).isEqualTo(Reasons.SERVER_UNRESPONSIVE);
        assertThat(f.isTransient()).isTrue();
        assertThat(f.getMessage()).startsWith("snapshot of c1: LXD at h:1 did not answer in time");
    }
}
