package io.lxdbackup.operator.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A watch that resumes from a resource version (an informer after its connection dropped) does
 * not miss deletions made meanwhile: the in-memory API refuses it with 410 Gone, as a real API
 * server does when it cannot replay, and the informer lists again.
 */
class ResumedWatchTest {
    static final String NS = "w";

    @Test
    void watchFromBeforeADeletionIsRefusedWithGoneAndOneFromAfterItIsServed() throws Exception {
        try (InMemoryApiServer api = new InMemoryApiServer(0)) {
            KubernetesClient c = api.client();
            c.configMaps()
                    .inNamespace(NS)
                    .resource(IndexedCrudDispatcherTest.cm(NS, "a", "x"))
                    .create();
            c.configMaps()
                    .inNamespace(NS)
                    .resource(IndexedCrudDispatcherTest.cm(NS, "b", "x"))
                    .create();
            String before = c.configMaps().inNamespace(NS).list().getMetadata().getResourceVersion();
            // a change that keeps the object (data only) does not expire older versions
            c.configMaps().inNamespace(NS).withName("a").edit(m -> {
                m.getData().put("k", "changed");
                return m;
            });
            CompletableFuture<WatcherException> closed = new CompletableFuture<>();
            List<String> seen = new CopyOnWriteArrayList<>();
            try (Watch w = c.configMaps()
                    .inNamespace(NS)
                    .watch(new ListOptionsBuilder().withResourceVersion(before).build(), recorder(seen, closed))) {
                Awaitility.await()
                        .atMost(10, TimeUnit.SECONDS)
                        .until(() -> seen.contains("ADDED a") && seen.contains("ADDED b"));
                assertThat(closed).isNotDone();
            }

            c.configMaps().inNamespace(NS).withName("a").delete();
            CompletableFuture<WatcherException> gone = new CompletableFuture<>();
            try (Watch w = c.configMaps()
                    .inNamespace(NS)
                    .watch(
                            new ListOptionsBuilder().withResourceVersion(before).build(),
                            recorder(new CopyOnWriteArrayList<>(), gone))) {
                WatcherException e = gone.get(10, TimeUnit.SECONDS);
                assertThat(e.isHttpGone())
                        .as("refused with 410: %s", e.getMessage())
                        .isTrue();
                assertThat(e.getMessage()).contains("too old resource version");
            }
            assertThat(api.store("/configmaps").refusedWatches()).isEqualTo(1);

            // from a version taken after the deletion: served, and later deletions arrive as events
            String after = c.configMaps().inNamespace(NS).list().getMetadata().getResourceVersion();
            List<String> events = new CopyOnWriteArrayList<>();
            CompletableFuture<WatcherException> open = new CompletableFuture<>();
            try (Watch w = c.configMaps()
                    .inNamespace(NS)
                    .watch(new ListOptionsBuilder().withResourceVersion(after).build(), recorder(events, open))) {
                Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> events.contains("ADDED b"));
                c.configMaps().inNamespace(NS).withName("b").delete();
                Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> events.contains("DELETED b"));
                assertThat(open).isNotDone();
                assertThat(events).doesNotContain("ADDED a");
            }
        }
    }

    @Test
    void informerDropsObjectsDeletedWhileItsWatchWasDown() {
        try (InMemoryApiServer api = new InMemoryApiServer(0);
                KubernetesClient watcher = api.newClient()) {
            KubernetesClient c = api.client();
            for (int i = 0; i < 20; i++) {
                c.configMaps()
                        .inNamespace(NS)
                        .resource(IndexedCrudDispatcherTest.cm(NS, "cm-" + i, i % 2 == 0 ? "even" : "odd"))
                        .create();
            }
            SharedIndexInformer<ConfigMap> all =
                    watcher.configMaps().inNamespace(NS).inform();
            SharedIndexInformer<ConfigMap> even =
                    watcher.configMaps().inNamespace(NS).withLabel("l", "even").inform();
            Awaitility.await()
                    .atMost(10, TimeUnit.SECONDS)
                    .until(() -> all.getStore().list().size() == 20
                            && even.getStore().list().size() == 10);
            IndexedCrudDispatcher store = api.store("/configmaps");
            // the connections drop; while the informers wait to reconnect (a second, fabric8's
            // default), half the objects are deleted and one leaves the label selection
            assertThat(store.closeWatches()).isEqualTo(2);
            for (int i = 0; i < 10; i++) {
                c.configMaps().inNamespace(NS).withName("cm-" + i).delete();
            }
            c.configMaps().inNamespace(NS).withName("cm-10").edit(m -> {
                m.getMetadata().getLabels().put("l", "other");
                return m;
            });
            Awaitility.await().atMost(20, TimeUnit.SECONDS).untilAsserted(() -> {
                assertThat(all.getStore().list())
                        .extracting(m -> m.getMetadata().getName())
                        .hasSize(10)
                        .allMatch(n -> Integer.parseInt(n.substring(3)) >= 10);
                assertThat(even.getStore().list())
                        .extracting(m -> m.getMetadata().getName())
                        .containsExactlyInAnyOrder("cm-12", "cm-14", "cm-16", "cm-18");
            });
            assertThat(store.refusedWatches())
                    .as("both resumed watches were refused, so both informers listed again")
                    .isGreaterThanOrEqualTo(2);
            all.close();
            even.close();
        }
    }

    private static Watcher<ConfigMap> recorder(List<String> seen, CompletableFuture<WatcherException> closed) {
        return new Watcher<>() {
            @Override
            public void eventReceived(Action action, ConfigMap resource) {
                seen.add(action + " " + resource.getMetadata().getName());
            }

            @Override
            public void onClose(WatcherException cause) {
                closed.complete(cause);
            }

            @Override
            public void onClose() {
                closed.complete(null);
            }
        };
    }
}
