package io.lxdbackup.operator.controller;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes Kubernetes Events for notable transitions (created, failed, deleted, recovered). An
 * event that cannot be written is logged and dropped: events are for humans, never a reason
 * to fail a reconcile.
 *
 * <p>Events are written in the background, one at a time and in the order they were recorded
 * (their timestamps are taken when they are recorded): a reconcile never waits for one, and
 * when a thousand schedules fire in the same second, the API requests that create the runs do
 * not queue behind their events. At most {@link #QUEUE_CAPACITY} wait; beyond that, new ones
 * are dropped and counted in a log line.
 */
public final class EventRecorder implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);
    static final int QUEUE_CAPACITY = 10_000;
    private final KubernetesClient client;
    private final Clock clock;
    private final ThreadPoolExecutor writer;
    private final AtomicLong dropped = new AtomicLong();

    public EventRecorder(KubernetesClient client, Clock clock) {
        this.client = client;
        this.clock = clock;
        // the writer thread ends after a minute without events (and starts again with the next)
        this.writer = new ThreadPoolExecutor(
                1,
                1,
                60,
                TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(QUEUE_CAPACITY),
                r -> {
                    Thread t = new Thread(r, "event-writer");
                    t.setDaemon(true);
                    return t;
                },
                (task, executor) -> {
                    if (dropped.getAndIncrement() % 1000 == 0) {
                        LOG.warn(
                                "{} event(s) waiting to be written; dropping new ones ({} dropped so far)",
                                QUEUE_CAPACITY,
                                dropped.get());
                    }
                });
        writer.allowCoreThreadTimeOut(true);
    }

    public void normal(HasMetadata about, String reason, String message) {
        record(about, "Normal", reason, message);
    }

    public void warning(HasMetadata about, String reason, String message) {
        record(about, "Warning", reason, message);
    }

    /** Waits up to {@code timeout} for the events recorded so far to be written. */
    public boolean flush(Duration timeout) {
        try {
            return writer.submit(() -> {}).get(timeout.toMillis(), TimeUnit.MILLISECONDS) == null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException | TimeoutException | RejectedExecutionException e) {
            return false;
        }
    }

    /** Writes what is queued (up to 5 s); the recorder stays usable. */
    @Override
    public void close() {
        if (!flush(Duration.ofSeconds(5))) {
            LOG.warn("some events were not written before shutdown");
        }
    }

    private void record(HasMetadata about, String type, String reason, String text) {
        String message = Messages.truncate(text, Messages.MAX_EVENT);
        String now = Conditions.timestamp(clock.instant());
        // 64 random bits after the time: events about one object recorded in the same millisecond
        // (a thousand schedules firing at once, or a clock standing still in tests) never collide
        String name = about.getMetadata().getName() + "." + Long.toHexString(clock.millis()) + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
        String ns = about.getMetadata().getNamespace();
        Event event = new EventBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(ns)
                .endMetadata()
                .withInvolvedObject(new ObjectReferenceBuilder()
                        .withApiVersion(about.getApiVersion())
                        .withKind(about.getKind())
                        .withName(about.getMetadata().getName())
                        .withNamespace(ns)
                        .withUid(about.getMetadata().getUid())
                        .build())
                .withType(type)
                .withReason(reason)
                .withMessage(message)
                .withFirstTimestamp(now)
                .withLastTimestamp(now)
                .withCount(1)
                .withNewSource()
                .withComponent("lxd-backup-operator")
                .endSource()
                .withReportingComponent("lxd-backup-operator")
                .build();
        // the task holds the event only, not the resource it is about: up to QUEUE_CAPACITY wait
        String kind = about.getKind();
        String subject = about.getMetadata().getName();
        writer.execute(() -> {
            try {
                client.v1().events().inNamespace(ns).resource(event).create();
            } catch (KubernetesClientException e) {
                LOG.warn("could not record event {} for {}/{}: HTTP {}", reason, kind, subject, e.getCode());
            } catch (RuntimeException e) {
                LOG.warn("could not record event {} for {}/{}: {}", reason, kind, subject, e.toString());
            }
        });
    }
}
