package io.lxdbackup.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ReconcileExecutorTest {

    /** A task described as the operator SDK describes its reconciles. */
    record Task(String description, List<String> ran) implements Runnable {
        @Override
        public void run() {
            ran.add(description);
        }

        @Override
        public String toString() {
            return description;
        }
    }

    @Test
    void queuedScheduleReconcilesRunBeforeOtherQueuedReconcilesInArrivalOrder() throws Exception {
        ReconcileExecutor pool = new ReconcileExecutor(1, Set.of("snapshotschedule", "exportschedule"));
        try {
            CountDownLatch busy = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            pool.execute(() -> {
                busy.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertThat(busy.await(5, TimeUnit.SECONDS)).isTrue();
            List<String> ran = new CopyOnWriteArrayList<>();
            for (String d : List.of(
                    "instancesnapshot -> a",
                    "snapshotschedule -> b",
                    "some other task",
                    "instancesnapshot -> c",
                    "exportschedule -> d",
                    "snapshotschedule -> e",
                    "snapshotschedules -> f")) {
                pool.execute(new Task(d, ran));
            }
            release.countDown();
            pool.shutdown();
            assertThat(pool.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
            assertThat(ran)
                    .containsExactly(
                            "snapshotschedule -> b",
                            "exportschedule -> d",
                            "snapshotschedule -> e",
                            "instancesnapshot -> a",
                            "some other task",
                            "instancesnapshot -> c",
                            "snapshotschedules -> f");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void runsTasksOnAsManyThreadsAsConfigured() throws Exception {
        ReconcileExecutor pool = new ReconcileExecutor(3, Set.of());
        try {
            CountDownLatch allRunning = new CountDownLatch(3);
            CountDownLatch release = new CountDownLatch(1);
            for (int i = 0; i < 3; i++) {
                pool.execute(() -> {
                    allRunning.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
            assertThat(allRunning.await(5, TimeUnit.SECONDS))
                    .as("three tasks at once")
                    .isTrue();
            release.countDown();
        } finally {
            pool.shutdown();
            assertThat(pool.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        }
    }
}
