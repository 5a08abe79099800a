package io.lxdbackup.operator.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.LxdRemote;
import io.lxdbackup.operator.api.v1alpha1.LxdRemoteSpec;
import io.lxdbackup.operator.api.v1alpha1.LxdRemoteStatus;
import org.junit.jupiter.api.Test;

class PartitionedDispatcherTest {

    @Test
    void requestPathsMapToTheirResourceType() {
        assertThat(PartitionedDispatcher.typeOf("/api/v1/namespaces/ns/events/x"))
                .isEqualTo("/events");
        assertThat(PartitionedDispatcher.typeOf("/api/v1/namespaces/ns/events?watch=true"))
                .isEqualTo("/events");
        assertThat(PartitionedDispatcher.typeOf("/api/v1/events")).isEqualTo("/events");
        assertThat(PartitionedDispatcher.typeOf("/api/v1/namespaces/ns")).isEqualTo("/namespaces");
        assertThat(PartitionedDispatcher.typeOf("/api/v1/namespaces")).isEqualTo("/namespaces");
        assertThat(PartitionedDispatcher.typeOf("/apis/lxdbackup.io/v1alpha1/namespaces/ns/snapshotschedules/s/status"))
                .isEqualTo("lxdbackup.io/snapshotschedules");
        assertThat(PartitionedDispatcher.typeOf("/apis/lxdbackup.io/v1alpha1/instancesnapshots?labelSelector=a%3Db"))
                .isEqualTo("lxdbackup.io/instancesnapshots");
        assertThat(PartitionedDispatcher.typeOf("/apis/coordination.k8s.io/v1/namespaces/ops/leases/l"))
                .isEqualTo("coordination.k8s.io/leases");
        assertThat(PartitionedDispatcher.typeOf("/apis/lxdbackup.io/v1alpha1")).isEqualTo("lxdbackup.io/");
        assertThat(PartitionedDispatcher.typeOf("/version")).isEmpty();
    }

    @Test
    void eachTypeIsStoredAndWatchedOnItsOwnWithStatusAsASubresource() {
        try (InMemoryApiServer api = new InMemoryApiServer(0)) {
            KubernetesClient c = api.client();
            c.configMaps()
                    .inNamespace("ns")
                    .resource(new ConfigMapBuilder()
                            .withNewMetadata()
                            .withName("same")
                            .endMetadata()
                            .addToData("k", "v")
                            .build())
                    .create();
            c.v1().events()
                    .inNamespace("ns")
                    .resource(new EventBuilder()
                            .withNewMetadata()
                            .withName("same")
                            .endMetadata()
                            .withReason("R")
                            .build())
                    .create();
            LxdRemote r = new LxdRemote();
            r.getMetadata().setName("same");
            r.getMetadata().setNamespace("ns");
            LxdRemoteSpec spec = new LxdRemoteSpec();
            spec.setUrl("https://127.0.0.1:8443");
            r.setSpec(spec);
            c.resource(r).create();
            assertThat(c.configMaps().inNamespace("ns").list().getItems()).hasSize(1);
            assertThat(c.v1().events().inNamespace("ns").list().getItems()).hasSize(1);
            assertThat(c.resources(LxdRemote.class).inAnyNamespace().list().getItems())
                    .hasSize(1);
            // the CRDs' status subresource still applies: a status write leaves the spec alone
            LxdRemote withStatus = c.resources(LxdRemote.class)
                    .inNamespace("ns")
                    .withName("same")
                    .get();
            withStatus.setStatus(new LxdRemoteStatus());
            withStatus.getStatus().setServerVersion("5.0.2");
            withStatus.getSpec().setUrl("https://changed:1");
            c.resource(withStatus).updateStatus();
            LxdRemote after = c.resources(LxdRemote.class)
                    .inNamespace("ns")
                    .withName("same")
                    .get();
            assertThat(after.getStatus().getServerVersion()).isEqualTo("5.0.2");
            assertThat(after.getSpec().getUrl()).isEqualTo("https://127.0.0.1:8443");
            c.v1().events().inNamespace("ns").withName("same").delete();
            assertThat(c.configMaps().inNamespace("ns").withName("same").get()).isNotNull();
        }
    }
}
