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

/** An export of an instance to object storage. */
// the description of the whole kind (kubectl explain instanceexport); the generator takes it from here only
@SchemaCustomizer(
        value = SchemaCustomizer.MergePatchCustomizer.class,
        input =
                "{\"description\": \"An export of an LXD instance streamed to object storage, with a manifest beside the object.\"}")
@Group("lxdbackup.io")
@Version("v1alpha1")
@ShortNames("iexp")
@Plural("instanceexports")
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
        name = "Store",
        jsonPath = ".spec.storeRef.name",
        type = AdditionalPrinterColumn.Type.STRING,
        priority = 1)
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Key", jsonPath = ".status.object.key", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
        name = "Verified",
        jsonPath = ".status.conditions[?(@.type==\"Verified\")].status",
        type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
        name = "Size",
        jsonPath = ".status.object.size",
        type = AdditionalPrinterColumn.Type.INTEGER,
        priority = 1)
@AdditionalPrinterColumn(
        name = "Progress",
        jsonPath = ".status.progress.percent",
        type = AdditionalPrinterColumn.Type.INTEGER,
        priority = 1)
@AdditionalPrinterColumn(
        name = "Age",
        jsonPath = ".metadata.creationTimestamp",
        type = AdditionalPrinterColumn.Type.DATE)
public class InstanceExport extends CustomResource<InstanceExportSpec, InstanceExportStatus> implements Namespaced {

    // overridden only to carry the schema description and the required flag (kubectl explain)
    @Override
    @Required
    @JsonPropertyDescription(
            "The instance to export and where to; only ttl and deletionPolicy may change after creation.")
    public InstanceExportSpec getSpec() {
        return super.getSpec();
    }

    @Override
    @JsonPropertyDescription("Progress and the verified object.")
    public InstanceExportStatus getStatus() {
        return super.getStatus();
    }
}
