package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.lxdbackup.operator.local.InMemoryApiServer;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventRecorderTest {
    static ConfigMap about(String name) {
        return new ConfigMapBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace("default")
                .withUid("uid-" + name)
                .endMetadata()
                .build();
    }

    @Test
    void aServersHugeErrorTextIsCutBeforeItBecomesAnEvent() {
        try (InMemoryApiServer api = new InMemoryApiServer(0)) {
            EventRecorder events = new EventRecorder(api.client(), Clock.systemUTC());
            events.warning(about("big"), "LxdError", "LXD said: " + "x".repeat(5 * 1024 * 1024));
            assertThat(events.flush(Duration.ofSeconds(30))).isTrue();
            List<Event> written =
                    api.client().v1().events().inNamespace("default").list().getItems();
            assertThat(written).hasSize(1);
            assertThat(written.getFirst().getMessage())
                    .hasSize(Messages.MAX_EVENT)
                    .startsWith("LXD said: xxx")
                    .endsWith("(truncated)");
        }
    }

    @Test
    void eventsAreWrittenInTheBackgroundInTheOrderRecorded() {
        try (InMemoryApiServer api = new InMemoryApiServer(0)) {
            EventRecorder events = new EventRecorder(api.client(), Clock.systemUTC());
            for (int i = 0; i < 50; i++) {
                if (i % 2 == 0) {
                    events.normal(about("obj"), "Step", "step " + i);
                } else {
                    events.warning(about("obj"), "Failed", "step " + i);
                }
            }
            assertThat(events.flush(Duration.ofSeconds(30))).isTrue();
            List<Event> written =
                    api.client().v1().events().inNamespace("default").list().getItems();
            assertThat(written).hasSize(50).allSatisfy(e -> {
                assertThat(e.getInvolvedObject().getName()).isEqualTo("obj");
                assertThat(e.getInvolvedObject().getUid()).isEqualTo("uid-obj");
                assertThat(e.getSource().getComponent()).isEqualTo("lxd-backup-operator");
                assertThat(e.getType()).isEqualTo(e.getReason().equals("Step") ? "Normal" : "Warning");
            });
            // one writer: the API server saw them in the order they were recorded
            List<String> order = written.stream()
                    .sorted(Comparator.comparingLong(
                            e -> Long.parseLong(e.getMetadata().getResourceVersion())))
                    .map(Event::getMessage)
                    .toList();
            assertThat(order)
                    .containsExactlyElementsOf(java.util.stream.IntStream.range(0, 50)
                            .mapToObj(i -> "step " + i)
                            .toList());
        }
    }

    @Test
    void manyEventsAboutOneObjectAtOneInstantAreAllWritten() {
        // a clock standing still, as at a simulated instant when a thousand schedules fire
        Clock still = Clock.fixed(java.time.Instant.parse("2026-01-01T00:00:00Z"), java.time.ZoneOffset.UTC);
        try (InMemoryApiServer api = new InMemoryApiServer(0)) {
            EventRecorder events = new EventRecorder(api.client(), still);
            for (int i = 0; i < 2000; i++) {
                events.normal(about("obj"), "Run", "run " + i);
            }
            assertThat(events.flush(Duration.ofSeconds(120))).isTrue();
            assertThat(api.client().v1().events().inNamespace("default").list().getItems())
                    .hasSize(2000);
        }
    }

    @Test
    void anUnreachableApiServerNeverHoldsUpTheCaller() {
        KubernetesClient dead = new KubernetesClientBuilder()
                .withConfig(new ConfigBuilder()
                        .withMasterUrl("http://127.0.0.1:1")
                        .withRequestRetryBackoffLimit(0)
                        .withConnectionTimeout(2000)
                        .withRequestTimeout(2000)
                        .build())
                .build();
        try (dead) {
            EventRecorder events = new EventRecorder(dead, Clock.systemUTC());
            long t0 = System.nanoTime();
            for (int i = 0; i < 20; i++) {
                events.warning(about("obj"), "Failed", "attempt " + i);
            }
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofMillis(500));
            // each write fails and is logged; the recorder keeps going
            assertThat(events.flush(Duration.ofSeconds(60))).isTrue();
        }
    }
}
