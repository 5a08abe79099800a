package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RecentReadsTest {
    final AtomicLong now = new AtomicLong();
    final RecentReads reads = new RecentReads(Duration.ofSeconds(2), now::get);

    @Test
    void aReadIsReusedWithinTheTtlAndRepeatedAfterIt() {
        AtomicInteger loads = new AtomicInteger();
        assertThat(reads.get("k", () -> "v" + loads.incrementAndGet())).isEqualTo("v1");
        now.addAndGet(Duration.ofMillis(1999).toNanos());
        assertThat(reads.get("k", () -> "v" + loads.incrementAndGet())).isEqualTo("v1");
        now.addAndGet(Duration.ofMillis(1).toNanos());
        assertThat(reads.get("k", () -> "v" + loads.incrementAndGet())).isEqualTo("v2");
        assertThat(loads).hasValue(2);
    }

    @Test
    void notFoundIsAnAnswerTooButAFailureIsNotKept() {
        AtomicInteger loads = new AtomicInteger();
        assertThat((String) reads.get("missing", () -> {
                    loads.incrementAndGet();
                    return null;
                }))
                .isNull();
        assertThat((String) reads.get("missing", () -> "created")).isNull();
        assertThat(loads).hasValue(1);

        assertThatThrownBy(() -> reads.get("flaky", () -> {
                    throw new IllegalStateException("API server unreachable");
                }))
                .hasMessageContaining("unreachable");
        assertThat(reads.get("flaky", () -> "ok")).isEqualTo("ok");
    }

    @Test
    void invalidateMakesTheNextLookupRead() {
        assertThat(reads.get("k", () -> "old")).isEqualTo("old");
        reads.invalidate("k");
        assertThat(reads.get("k", () -> "new")).isEqualTo("new");
    }

    @Test
    void concurrentLookupsOfOneKeyShareOneRead() throws Exception {
        RecentReads real = new RecentReads(Duration.ofSeconds(30));
        AtomicInteger loads = new AtomicInteger();
        CountDownLatch inLoad = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<String>> results = new ArrayList<>();
            results.add(pool.submit(() -> real.get("remote", () -> {
                loads.incrementAndGet();
                inLoad.countDown();
                await(release);
                return "remote-v1";
            })));
            assertThat(inLoad.await(10, TimeUnit.SECONDS)).isTrue();
            for (int i = 0; i < 15; i++) {
                results.add(pool.submit(() -> real.get("remote", () -> {
                    loads.incrementAndGet();
                    return "second read";
                })));
            }
            Thread.sleep(200);
            release.countDown();
            for (Future<String> f : results) {
                assertThat(f.get(10, TimeUnit.SECONDS)).isEqualTo("remote-v1");
            }
            assertThat(loads).hasValue(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void zeroTtlReadsEveryTime() {
        RecentReads none = new RecentReads(Duration.ZERO);
        AtomicInteger loads = new AtomicInteger();
        none.get("k", loads::incrementAndGet);
        none.get("k", loads::incrementAndGet);
        assertThat(loads).hasValue(2);
    }

    private static void await(CountDownLatch l) {
        try {
            l.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
