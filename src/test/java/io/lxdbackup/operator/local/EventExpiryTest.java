package io.lxdbackup.operator.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** Events expire in the in-memory API as in a real one (event TTL); other objects stay. */
class EventExpiryTest {

    static Event event(String name) {
        return new EventBuilder()
                .withNewMetadata()
                .withNamespace("e")
                .withName(name)
                .endMetadata()
                .withReason("Test")
                .withMessage("m")
                .withType("Normal")
                .build();
    }

    @Test
    void eventsAreDeletedAfterTheTtlAndWatchersSeeThemGo() {
        try (InMemoryApiServer api = new InMemoryApiServer(0, Duration.ofSeconds(3));
                KubernetesClient watcher = api.newClient()) {
            KubernetesClient c = api.client();
            Instant created = Instant.now();
            Event first =
                    c.v1().events().inNamespace("e").resource(event("first")).create();
            assertThat(first.getMetadata().getCreationTimestamp())
                    .as("set by the server")
                    .isNotNull();
            c.configMaps()
                    .inNamespace("e")
                    .resource(IndexedCrudDispatcherTest.cm("e", "stays", "x"))
                    .create();
            SharedIndexInformer<Event> inf =
                    watcher.v1().events().inNamespace("e").inform();
            Awaitility.await()
                    .atMost(10, TimeUnit.SECONDS)
                    .until(() -> inf.getStore().list().size() == 1);
            Awaitility.await()
                    .atMost(15, TimeUnit.SECONDS)
                    .until(() ->
                            c.v1().events().inNamespace("e").withName("first").get() == null);
            // creation times have whole seconds: at most a second early
            assertThat(Duration.between(created, Instant.now()))
                    .as("not before the TTL")
                    .isGreaterThanOrEqualTo(Duration.ofSeconds(2));
            Awaitility.await()
                    .atMost(10, TimeUnit.SECONDS)
                    .until(() -> inf.getStore().list().isEmpty());
            assertThat(c.configMaps().inNamespace("e").withName("stays").get()).isNotNull();
            // a new one lives its own TTL
            c.v1().events().inNamespace("e").resource(event("second")).create();
            assertThat(api.expireEvents()).isZero();
            assertThat(c.v1().events().inNamespace("e").withName("second").get())
                    .isNotNull();
            inf.close();
        }
    }

    @Test
    void creationTimestampIsReadWithoutParsingTheObject() {
        assertThat(InMemoryApiServer.creationTimestamp(
                        "{\"metadata\":{\"creationTimestamp\":\"2026-11-27T01:02:03Z\",\"name\":\"x\"}}"))
                .isEqualTo(Instant.parse("2026-11-27T01:02:03Z"));
        assertThat(InMemoryApiServer.creationTimestamp("{\"metadata\":{\"name\":\"x\"}}"))
                .isNull();
        assertThat(InMemoryApiServer.creationTimestamp("{\"metadata\":{\"creationTimestamp\":\"yesterday\"}}"))
                .isNull();
    }
}
