package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lxdbackup.operator.lxd.Instance;
import io.lxdbackup.operator.lxd.LxdException;
import io.lxdbackup.operator.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class SharedListingsTest {
    static final Instant T = Instant.parse("2026-11-27T00:00:00Z");
    final MutableClock clock = new MutableClock(T);
    final SharedListings listings = new SharedListings(clock);
    final AtomicInteger calls = new AtomicInteger();
    final Object client = new Object();

    static Instance instance(String name) {
        return new Instance(
                name,
                "container",
                "Running",
                "x86_64",
                null,
                "default",
                T,
                false,
                false,
                List.of(),
                Map.of(),
                Map.of(),
                Map.of(),
                Map.of(),
                null,
                null);
    }

    Supplier<List<Instance>> fetch(String... names) {
        return () -> {
            calls.incrementAndGet();
            List<Instance> l = new ArrayList<>();
            for (String n : names) {
                l.add(instance(n));
            }
            return l;
        };
    }

    @Test
    void runsOfOneScheduledTimeShareOneListingMadeAtOrAfterThatTime() {
        assertThat(listings.list("ns/r/p", client, T, fetch("a")))
                .extracting(Instance::name)
                .containsExactly("a");
        clock.advance(Duration.ofSeconds(2));
        // the second run of the same time reuses it, even though LXD now has another instance
        assertThat(listings.list("ns/r/p", client, T, fetch("a", "b")))
                .extracting(Instance::name)
                .containsExactly("a");
        assertThat(calls).hasValue(1);
        // a run for a later time never sees a listing made before that time
        assertThat(listings.list("ns/r/p", client, T.plusSeconds(1), fetch("a", "b")))
                .extracting(Instance::name)
                .containsExactly("a", "b");
        assertThat(calls).hasValue(2);
    }

    @Test
    void otherRemotesConnectionsAndOldListingsAreNotReused() {
        listings.list("ns/r/p", client, T, fetch("a"));
        listings.list("ns/other/p", client, T, fetch("a"));
        listings.list("ns/r/p", new Object(), T, fetch("a"));
        assertThat(calls).hasValue(3);
        // a clock set back (as an injected clock in tests, or NTP) makes the listing one "from the
        // future": not reused
        clock.set(T.minusSeconds(30));
        listings.list("ns/r/p", client, T.minusSeconds(40), fetch("a"));
        assertThat(calls).hasValue(4);
    }

    @Test
    void aListingOlderThanMaxAgeInRealTimeIsNotReused() throws Exception {
        SharedListings shortLived = new SharedListings(clock, Duration.ofMillis(100));
        shortLived.list("ns/r/p", client, T, fetch("a"));
        shortLived.list("ns/r/p", client, T, fetch("a"));
        assertThat(calls).hasValue(1);
        Thread.sleep(300);
        shortLived.list("ns/r/p", client, T, fetch("a"));
        assertThat(calls).hasValue(2);
    }

    @Test
    void aFailedListingFailsItsRunAndIsNotKept() {
        assertThatThrownBy(() -> listings.list("ns/r/p", client, T, () -> {
                    calls.incrementAndGet();
                    throw new LxdException.Unreachable("connection refused", null);
                }))
                .isInstanceOf(LxdException.Unreachable.class);
        assertThat(listings.list("ns/r/p", client, T, fetch("a"))).hasSize(1);
        assertThat(calls).hasValue(2);
    }

    @Test
    void concurrentRunsWaitForTheListingInFlight() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            Future<List<Instance>> first = pool.submit(() -> listings.list("ns/r/p", client, T, () -> {
                calls.incrementAndGet();
                entered.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                return List.of(instance("a"));
            }));
            assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
            List<Future<List<Instance>>> others = new ArrayList<>();
            for (int i = 0; i < 7; i++) {
                others.add(pool.submit(() -> listings.list("ns/r/p", client, T, fetch("never"))));
            }
            release.countDown();
            assertThat(first.get(10, TimeUnit.SECONDS))
                    .extracting(Instance::name)
                    .containsExactly("a");
            for (Future<List<Instance>> f : others) {
                assertThat(f.get(10, TimeUnit.SECONDS))
                        .extracting(Instance::name)
                        .containsExactly("a");
            }
            assertThat(calls).hasValue(1);
        } finally {
            pool.shutdownNow();
        }
    }
}
