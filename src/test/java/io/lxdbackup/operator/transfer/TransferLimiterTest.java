package io.lxdbackup.operator.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lxdbackup.operator.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class TransferLimiterTest {
    static final long MIB = TransferLimits.MIB;
    final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));

    static TransferLimiter.Request req(String id, String remote, long mib) {
        return new TransferLimiter.Request(id, "InstanceExport", remote, mib * MIB);
    }

    TransferLimiter limiter(int max, int perRemote, long memoryMib) {
        return new TransferLimiter(new TransferLimits(max, perRemote, memoryMib * MIB, 64 * MIB), clock);
    }

    @Test
    void queuesBeyondTheOverallLimitAndAdmitsInOrderOnRelease() {
        TransferLimiter l = limiter(2, 10, 1000);
        TransferLimiter.Permit a = (TransferLimiter.Permit) l.tryAcquire(req("a", "ns/r1", 40));
        TransferLimiter.Permit b = (TransferLimiter.Permit) l.tryAcquire(req("b", "ns/r2", 40));
        TransferLimiter.Decision c = l.tryAcquire(req("c", "ns/r3", 40));
        TransferLimiter.Decision d = l.tryAcquire(req("d", "ns/r4", 40));
        assertThat(c).isInstanceOf(TransferLimiter.Queued.class);
        assertThat(((TransferLimiter.Queued) c).position()).isEqualTo(1);
        assertThat(((TransferLimiter.Queued) c).message())
                .contains("number 1 of 1")
                .contains("2 of 2 transfers running (--max-transfers)");
        assertThat(((TransferLimiter.Queued) d).position()).isEqualTo(2);
        // asking again keeps the place
        assertThat(((TransferLimiter.Queued) l.tryAcquire(req("d", "ns/r4", 40))).position())
                .isEqualTo(2);
        assertThat(((TransferLimiter.Queued) l.tryAcquire(req("c", "ns/r3", 40))).position())
                .isEqualTo(1);

        a.close();
        // d asked later: c, which fits now, goes first
        assertThat(l.tryAcquire(req("d", "ns/r4", 40))).isInstanceOf(TransferLimiter.Queued.class);
        TransferLimiter.Decision c2 = l.tryAcquire(req("c", "ns/r3", 40));
        assertThat(c2).isInstanceOf(TransferLimiter.Permit.class);
        assertThat(l.runningIds()).containsExactlyInAnyOrder("b", "c");
        assertThat(l.waitingCount()).isEqualTo(1);

        b.close();
        b.close(); // released once only
        assertThat(l.tryAcquire(req("d", "ns/r4", 40))).isInstanceOf(TransferLimiter.Permit.class);
        assertThat(l.runningCount()).isEqualTo(2);
        assertThat(l.waitingCount()).isZero();
        assertThat(l.memoryInUse()).isEqualTo(80 * MIB);
    }

    @Test
    void perRemoteLimitHoldsBackOnlyThatRemote() {
        TransferLimiter l = limiter(10, 1, 1000);
        TransferLimiter.Permit a = (TransferLimiter.Permit) l.tryAcquire(req("a", "ns/r1", 10));
        TransferLimiter.Decision b = l.tryAcquire(req("b", "ns/r1", 10));
        assertThat(b).isInstanceOf(TransferLimiter.Queued.class);
        assertThat(((TransferLimiter.Queued) b).message())
                .contains("1 of 1 transfers running on remote ns/r1 (--max-transfers-per-remote)");
        // b waits for its remote, not for a slot: c on another remote is not held back by it
        assertThat(l.tryAcquire(req("c", "ns/r2", 10))).isInstanceOf(TransferLimiter.Permit.class);
        a.close();
        assertThat(l.tryAcquire(req("b", "ns/r1", 10))).isInstanceOf(TransferLimiter.Permit.class);
    }

    @Test
    void memoryBudgetQueuesAndGrowsWithinIt() {
        TransferLimiter l = limiter(10, 10, 100);
        TransferLimiter.Permit a = (TransferLimiter.Permit) l.tryAcquire(req("a", "ns/r", 40));
        TransferLimiter.Permit b = (TransferLimiter.Permit) l.tryAcquire(req("b", "ns/r2", 40));
        TransferLimiter.Decision c = l.tryAcquire(req("c", "ns/r3", 40));
        assertThat(((TransferLimiter.Queued) c).message())
                .contains("transfer memory 80 MiB of 100 MiB in use, 40 MiB needed (--transfer-memory)");
        assertThat(a.tryGrow(60 * MIB)).isTrue();
        assertThat(a.bytes()).isEqualTo(60 * MIB);
        assertThat(b.tryGrow(41 * MIB)).isFalse();
        assertThat(b.bytes()).isEqualTo(40 * MIB);
        assertThat(l.memoryInUse()).isEqualTo(100 * MIB);
        a.close();
        assertThat(l.memoryInUse()).isEqualTo(40 * MIB);
        assertThat(l.tryAcquire(req("c", "ns/r3", 40))).isInstanceOf(TransferLimiter.Permit.class);
        // more than the whole budget is trimmed to it (the caller sizes its buffers from the permit)
        b.close();
        TransferLimiter big = limiter(10, 10, 100);
        assertThat(((TransferLimiter.Permit) big.tryAcquire(req("x", "ns/r", 500))).bytes())
                .isEqualTo(100 * MIB);
    }

    @Test
    void aWaiterThatStopsAskingLeavesTheLine() {
        TransferLimiter l = limiter(1, 1, 100);
        TransferLimiter.Permit a = (TransferLimiter.Permit) l.tryAcquire(req("a", "ns/r", 10));
        assertThat(l.tryAcquire(req("gone", "ns/r2", 10))).isInstanceOf(TransferLimiter.Queued.class);
        assertThat(((TransferLimiter.Queued) l.tryAcquire(req("b", "ns/r3", 10))).position())
                .isEqualTo(2);
        a.close();
        clock.advance(TransferLimiter.STALE_AFTER.plus(Duration.ofSeconds(1)));
        // "gone" (a deleted resource) never came back: b is not held behind it for ever
        assertThat(l.tryAcquire(req("b", "ns/r3", 10))).isInstanceOf(TransferLimiter.Permit.class);
    }

    @Test
    void limitsAreCheckedAndSizesParsed() {
        assertThat(TransferLimits.parseSize("transfer-memory", "160Mi")).isEqualTo(160 * MIB);
        assertThat(TransferLimits.parseSize("transfer-memory", "1Gi")).isEqualTo(1024 * MIB);
        assertThat(TransferLimits.parseSize("transfer-memory", "5000000")).isEqualTo(5_000_000);
        assertThatThrownBy(() -> TransferLimits.parseSize("transfer-memory", "lots"))
                .hasMessageContaining("--transfer-memory");
        assertThatThrownBy(() -> new TransferLimits(0, 1, 100 * MIB, 8 * MIB)).hasMessageContaining("--max-transfers");
        assertThatThrownBy(() -> new TransferLimits(1, 1, 100 * MIB, 2 * MIB)).hasMessageContaining("--max-part-size");
        assertThat(TransferLimits.defaults().maxObjectSize()).isEqualTo(10_000 * 64 * MIB);
    }
}
