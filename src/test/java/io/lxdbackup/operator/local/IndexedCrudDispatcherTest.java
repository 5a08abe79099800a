package io.lxdbackup.operator.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.mockwebserver.crud.AttributeSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The in-memory API's namespace/name index answers exactly what fabric8's own search of every
 * stored object answers, and the API behaves as before (conflicts, finalizers, watches).
 */
class IndexedCrudDispatcherTest {
    static final String TYPE = "/configmaps";

    static ConfigMap cm(String ns, String name, String label) {
        return new ConfigMapBuilder()
                .withNewMetadata()
                .withNamespace(ns)
                .withName(name)
                .addToLabels("l", label)
                .endMetadata()
                .addToData("k", "v")
                .build();
    }

    @Test
    void indexAnswersWhatAFullSearchAnswersThroughCreatesPatchesAndDeletes() {
        try (InMemoryApiServer api = new InMemoryApiServer(0)) {
            KubernetesClient c = api.client();
            IndexedCrudDispatcher store = api.store(TYPE);
            assertThat(store.indexed())
                    .as("the mock's map was replaced by the indexed one")
                    .isTrue();
            Random rnd = new Random(3);
            List<String> names = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                String ns = i % 2 == 0 ? "a" : "b";
                String name = "cm-" + (i / 2);
                c.configMaps()
                        .inNamespace(ns)
                        .resource(cm(ns, name, "x" + (i % 3)))
                        .create();
                names.add(ns + "/" + name);
            }
            for (int step = 0; step < 200; step++) {
                String[] nn = names.get(rnd.nextInt(names.size())).split("/");
                try {
                    step(c, rnd, nn);
                } catch (KubernetesClientException e) {
                    // editing a deleted object, or creating an existing one
                    assertThat(e.getCode()).isIn(404, 409);
                }
                // every name, stored or not: the index answers what fabric8's full search answers, and it
                // holds exactly the stored objects
                assertThat(store.indexSize()).isEqualTo(store.getMap().size());
                for (String n : names) {
                    String[] p = n.split("/");
                    for (String path : List.of(
                            "/api/v1/namespaces/" + p[0] + "/configmaps/" + p[1],
                            "/api/v1/namespaces/" + p[0] + "/configmaps/" + p[1] + "-missing")) {
                        AttributeSet q = store.getAttributeExtractor().fromPath(path);
                        assertThat(IndexedCrudDispatcher.nameKey(q)).isNotNull();
                        Map.Entry<AttributeSet, String> viaIndex = store.findResource(q);
                        Map.Entry<AttributeSet, String> viaScan = store.getMap().entrySet().stream()
                                .filter(e -> e.getKey().matches(q))
                                .findFirst()
                                .orElse(null);
                        assertThat(viaIndex == null ? null : viaIndex.getValue())
                                .as(path)
                                .isEqualTo(viaScan == null ? null : viaScan.getValue());
                    }
                }
            }
            long stored = store.getMap().size();
            assertThat(c.configMaps().inAnyNamespace().list().getItems()).hasSize((int) stored);
        }
    }

    private static void step(KubernetesClient c, Random rnd, String[] nn) {
        switch (rnd.nextInt(4)) {
            case 0 ->
                c.configMaps().inNamespace(nn[0]).withName(nn[1]).edit(m -> {
                    m.getMetadata().getLabels().put("l", "y" + rnd.nextInt(5));
                    return m;
                });
            case 1 -> c.configMaps().inNamespace(nn[0]).withName(nn[1]).delete();
            case 2 ->
                c.configMaps()
                        .inNamespace(nn[0])
                        .resource(cm(nn[0], nn[1], "z"))
                        .create();
            default ->
                c.configMaps().inNamespace(nn[0]).withName(nn[1]).edit(m -> {
                    m.getData().put("n", Integer.toString(rnd.nextInt()));
                    return m;
                });
        }
    }

    @Test
    void conflictsFinalizersAndWatchesBehaveAsBefore() throws Exception {
        try (InMemoryApiServer api = new InMemoryApiServer(0)) {
            KubernetesClient c = api.client();
            List<String> seen = new CopyOnWriteArrayList<>();
            try (var w = c.configMaps().inNamespace("a").watch(new Watcher<>() {
                @Override
                public void eventReceived(Action action, ConfigMap resource) {
                    seen.add(action + " " + resource.getMetadata().getName());
                }

                @Override
                public void onClose(WatcherException cause) {}
            })) {
                ConfigMap created = c.configMaps()
                        .inNamespace("a")
                        .resource(cm("a", "one", "x"))
                        .create();
                assertThatThrownBy(() -> c.configMaps()
                                .inNamespace("a")
                                .resource(cm("a", "one", "x"))
                                .create())
                        .isInstanceOfSatisfying(
                                KubernetesClientException.class,
                                e -> assertThat(e.getCode()).isEqualTo(409));
                // a write from a stale copy is refused
                c.configMaps().inNamespace("a").withName("one").edit(m -> {
                    m.getData().put("k", "w");
                    return m;
                });
                created.getData().put("k", "stale");
                assertThatThrownBy(() -> c.configMaps()
                                .inNamespace("a")
                                .resource(created)
                                .update())
                        .isInstanceOfSatisfying(
                                KubernetesClientException.class,
                                e -> assertThat(e.getCode()).isEqualTo(409));
                assertThat(c.configMaps().inNamespace("a").withName("one").get().getData())
                        .containsEntry("k", "w");
                // a finalizer holds the object, marked for deletion, until it is removed
                c.configMaps().inNamespace("a").withName("one").edit(m -> {
                    m.getMetadata().setFinalizers(List.of("test/hold"));
                    return m;
                });
                c.configMaps().inNamespace("a").withName("one").delete();
                ConfigMap held = c.configMaps().inNamespace("a").withName("one").get();
                assertThat(held).isNotNull();
                assertThat(held.getMetadata().getDeletionTimestamp()).isNotNull();
                c.configMaps().inNamespace("a").withName("one").edit(m -> {
                    m.getMetadata().setFinalizers(List.of());
                    return m;
                });
                assertThat(c.configMaps().inNamespace("a").withName("one").get())
                        .isNull();
                assertThat(api.store(TYPE).getMap()).isEmpty();
                Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> seen.contains("DELETED one"));
                assertThat(seen).startsWith("ADDED one", "MODIFIED one");
            }
        }
    }

    @Test
    void deletingOneObjectDeletesExactlyThatOne() throws Exception {
        try (InMemoryApiServer api = new InMemoryApiServer(0)) {
            KubernetesClient c = api.client();
            for (String[] nn : new String[][] {{"a", "x"}, {"b", "x"}, {"a", "y"}, {"a", "x2"}}) {
                c.configMaps()
                        .inNamespace(nn[0])
                        .resource(cm(nn[0], nn[1], "l"))
                        .create();
            }
            List<String> seen = new CopyOnWriteArrayList<>();
            try (var w = c.configMaps().inAnyNamespace().watch(new Watcher<>() {
                @Override
                public void eventReceived(Action action, ConfigMap resource) {
                    if (action == Action.DELETED) {
                        seen.add(resource.getMetadata().getNamespace() + "/"
                                + resource.getMetadata().getName());
                    }
                }

                @Override
                public void onClose(WatcherException cause) {}
            })) {
                assertThat(c.configMaps().inNamespace("a").withName("x").delete())
                        .hasSize(1);
                assertThat(c.configMaps().inNamespace("a").withName("missing").delete())
                        .isEmpty();
                Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> seen.contains("a/x"));
                assertThat(c.configMaps().inNamespace("a").withName("x").get()).isNull();
                assertThat(c.configMaps().inNamespace("b").withName("x").get()).isNotNull();
                assertThat(c.configMaps().inNamespace("a").withName("y").get()).isNotNull();
                assertThat(c.configMaps().inNamespace("a").withName("x2").get()).isNotNull();
                // a collection delete is not narrowed to one name
                c.configMaps().inNamespace("a").delete();
                assertThat(c.configMaps().inNamespace("a").list().getItems()).isEmpty();
                assertThat(c.configMaps().inNamespace("b").list().getItems()).hasSize(1);
                Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> seen.size() >= 3);
                assertThat(seen).containsExactlyInAnyOrder("a/x", "a/y", "a/x2");
            }
        }
    }

    @Test
    void aStatusMergePatchReplacesListsAndNullRemovesAField() {
        try (InMemoryApiServer api = new InMemoryApiServer(0)) {
            KubernetesClient k = api.client();
            k.namespaces()
                    .resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                            .withNewMetadata()
                            .withName("mp")
                            .endMetadata()
                            .build())
                    .create();
            var s = new io.lxdbackup.operator.api.v1alpha1.InstanceSnapshot();
            s.getMetadata().setName("x");
            s.getMetadata().setNamespace("mp");
            var spec = new io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotSpec();
            spec.setRemoteRef(new io.lxdbackup.operator.api.v1alpha1.ObjectRef("r"));
            spec.setInstance("i");
            s.setSpec(spec);
            s = k.resource(s).create();
            var status = new io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotStatus();
            status.setSnapshotName("snap0");
            status.setVolumes(new ArrayList<>(List.of(
                    new io.lxdbackup.operator.api.v1alpha1.IncludedVolume("d1", "p", "a", "/a"),
                    new io.lxdbackup.operator.api.v1alpha1.IncludedVolume("d2", "p", "b", "/b"))));
            s.setStatus(status);
            io.lxdbackup.operator.controller.StatusWriter.patchStatus(k, s);
            status.getVolumes().get(0).setDone(true);
            io.lxdbackup.operator.controller.StatusWriter.patchStatus(k, s);
            var stored = k.resource(s).get().getStatus();
            // written twice, held once: the second list replaced the first
            assertThat(stored.getVolumes()).hasSize(2);
            assertThat(stored.getVolumes().get(0).getDone()).isTrue();
            k.resource(s)
                    .subresource("status")
                    .patch(
                            io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                                    io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                            "{\"status\":{\"snapshotName\":null}}");
            assertThat(k.resource(s).get().getStatus().getSnapshotName()).isNull();
            assertThat(k.resource(s).get().getStatus().getVolumes()).hasSize(2);
        }
    }
}
