package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** One LXD snapshot, declaratively. */
// the description of the whole kind (kubectl explain instancesnapshot); the generator takes it from here only
@SchemaCustomizer(
        value = SchemaCustomizer.MergePatchCustomizer.class,
        input =
                "{\"description\": \"One LXD snapshot of an instance, declaratively: created once, its expiry kept in step with the spec, and deleted with this object unless deletionPolicy is Retain.\"}")
@Group("lxdbackup.io")
@Version("v1alpha1")
@ShortNames("isnap")
@Plural("instancesnapshots")
@Categories("lxdbackup")
// kubectl shows the columns in JSONPath order: the generator sorts them (fabric8 issue 3974)
@AdditionalPrinterColumn(
        name = "Remote",
        jsonPath = ".spec.remoteRef.name",
        type = AdditionalPrinterColumn.Type.STRING,
        priority = 1)
@AdditionalPrinterColumn(name = "Instance", jsonPath = ".spec.instance", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Volume", jsonPath = ".spec.volume.name", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
        name = "Snapshot",
        jsonPath = ".status.snapshotName",
        type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
        name = "Expires",
        jsonPath = ".status.expiresAt",
        type = AdditionalPrinterColumn.Type.STRING,
        priority = 1)
@AdditionalPrinterColumn(
        name = "Age",
        jsonPath = ".metadata.creationTimestamp",
        type = AdditionalPrinterColumn.Type.DATE)
public class InstanceSnapshot extends CustomResource<InstanceSnapshotSpec, InstanceSnapshotStatus>
        implements Namespaced {

    // overridden only to carry the schema description and the required flag (kubectl explain)
    @Override
    @Required
    @JsonPropertyDescription("The snapshot to take; only expiresAt, ttl and noExpiry may change after creation.")
    public InstanceSnapshotSpec getSpec() {
        return super.getSpec();
    }

    @Override
    @JsonPropertyDescription("Observed state of the snapshot on the server.")
    public InstanceSnapshotStatus getStatus() {
        return super.getStatus();
    }
}
