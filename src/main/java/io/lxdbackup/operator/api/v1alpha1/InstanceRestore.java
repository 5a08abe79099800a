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

/** A restore of an instance from a snapshot or an export. */
// the description of the whole kind (kubectl explain instancerestore); the generator takes it from here only
@SchemaCustomizer(
        value = SchemaCustomizer.MergePatchCustomizer.class,
        input =
                "{\"description\": \"Restores an instance in place from an LXD snapshot, or imports it from an exported object.\"}")
@Group("lxdbackup.io")
@Version("v1alpha1")
@ShortNames("irestore")
@Plural("instancerestores")
@Categories("lxdbackup")
// kubectl shows the columns in JSONPath order: the generator sorts them (fabric8 issue 3974)
@AdditionalPrinterColumn(
        name = "Remote",
        jsonPath = ".spec.remoteRef.name",
        type = AdditionalPrinterColumn.Type.STRING,
        priority = 1)
@AdditionalPrinterColumn(name = "Instance", jsonPath = ".spec.instance", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Volume", jsonPath = ".spec.volume.name", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Restored", jsonPath = ".status.restoredAt", type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(
        name = "Age",
        jsonPath = ".metadata.creationTimestamp",
        type = AdditionalPrinterColumn.Type.DATE)
public class InstanceRestore extends CustomResource<InstanceRestoreSpec, InstanceRestoreStatus> implements Namespaced {

    // overridden only to carry the schema description and the required flag (kubectl explain)
    @Override
    @Required
    @JsonPropertyDescription("What to restore and where to; immutable, create a new object to restore again.")
    public InstanceRestoreSpec getSpec() {
        return super.getSpec();
    }

    @Override
    @JsonPropertyDescription("Progress and result of the restore.")
    public InstanceRestoreStatus getStatus() {
        return super.getStatus();
    }
}
