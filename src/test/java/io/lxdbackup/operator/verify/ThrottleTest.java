package io.lxdbackup.operator.verify;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ThrottleTest {

    /** A fake clock that advances by what the throttle sleeps. */
    static final class FakeTime {
        long now = 1_000_000_000L;
        final List<Long> sleeps = new ArrayList<>();

        void sleep(long nanos) {
            sleeps.add(nanos);
            now += nanos;
        }
    }

    @Test
    void holdsTheAverageRateOverManyChunks() throws Exception {
        FakeTime t = new FakeTime();
        Throttle th = Throttle.of(1024 * 1024, () -> t.now, t::sleep);
        long start = t.now;
        for (int i = 0; i < 160; i++) {
            th.pace(64 * 1024); // 10 MiB in all
        }
        // 10 MiB at 1 MiB/s: ten seconds, to within one chunk
        assertThat(t.now - start).isBetween(9_900_000_000L, 10_000_000_000L);
    }

    @Test
    void idleTimeEarnsAtMostOneSecondOfBurst() throws Exception {
        FakeTime t = new FakeTime();
        Throttle th = Throttle.of(1000, () -> t.now, t::sleep);
        t.now += 60_000_000_000L; // a minute idle
        long start = t.now;
        th.pace(3000);
        // three seconds' worth, one of them pre-paid by the idle time
        assertThat(t.now - start).isEqualTo(2_000_000_000L);
    }

    @Test
    void unlimitedNeverSleeps() throws Exception {
        Throttle th = Throttle.unlimited();
        assertThat(th.limited()).isFalse();
        th.pace(Long.MAX_VALUE / 2);
        assertThat(Throttle.of(0).limited()).isFalse();
    }
}
