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

/** S3-compatible object storage for exports. */
// the description of the whole kind (kubectl explain backupstore); the generator takes it from here only
@SchemaCustomizer(
        value = SchemaCustomizer.MergePatchCustomizer.class,
        input =
                "{\"description\": \"S3-compatible object storage that instance exports are written to and restored from.\"}")
@Group("lxdbackup.io")
@Version("v1alpha1")
@ShortNames("bstore")
@Plural("backupstores")
@Categories("lxdbackup")
// kubectl shows the columns in JSONPath order: the generator sorts them (fabric8 issue 3974)
@AdditionalPrinterColumn(name = "Bucket", jsonPath = ".spec.s3.bucket", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
        name = "Prefix",
        jsonPath = ".spec.s3.prefix",
        type = AdditionalPrinterColumn.Type.STRING,
        priority = 1)
@AdditionalPrinterColumn(name = "Access", jsonPath = ".spec.accessMode", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
        name = "Validated",
        jsonPath = ".status.lastValidationTime",
        type = AdditionalPrinterColumn.Type.DATE,
        priority = 1)
@AdditionalPrinterColumn(
        name = "Age",
        jsonPath = ".metadata.creationTimestamp",
        type = AdditionalPrinterColumn.Type.DATE)
public class BackupStore extends CustomResource<BackupStoreSpec, BackupStoreStatus> implements Namespaced {

    // overridden only to carry the schema description and the required flag (kubectl explain)
    @Override
    @Required
    @JsonPropertyDescription("S3-compatible bucket, credentials and access mode.")
    public BackupStoreSpec getSpec() {
        return super.getSpec();
    }

    @Override
    @JsonPropertyDescription("Result of the last store check and the exports found in it.")
    public BackupStoreStatus getStatus() {
        return super.getStatus();
    }
}
