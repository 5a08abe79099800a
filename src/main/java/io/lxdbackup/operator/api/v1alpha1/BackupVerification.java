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

/** Proves exports restorable: re-reads them through SHA-256 and, at level Restore, imports them into a scratch instance. */
// the description of the whole kind (kubectl explain backupverification); the generator takes it from here only
@SchemaCustomizer(
        value = SchemaCustomizer.MergePatchCustomizer.class,
        input =
                "{\"description\": \"Verifies InstanceExports on a schedule: re-reads each object through SHA-256 (level Checksum) and imports the newest export of each instance into a scratch instance that is deleted afterwards (level Restore).\"}")
@Group("lxdbackup.io")
@Version("v1alpha1")
@ShortNames("bver")
@Plural("backupverifications")
@Categories("lxdbackup")
// kubectl shows the columns in JSONPath order: the generator sorts them (fabric8 issue 3974)
@AdditionalPrinterColumn(name = "Level", jsonPath = ".spec.level", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
        name = "Schedule",
        jsonPath = ".spec.schedule",
        type = AdditionalPrinterColumn.Type.STRING,
        priority = 1)
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
        name = "Passed",
        jsonPath = ".status.summary.passed",
        type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
        name = "Failed",
        jsonPath = ".status.summary.failed",
        type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Last Run", jsonPath = ".status.lastRunTime", type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(
        name = "Age",
        jsonPath = ".metadata.creationTimestamp",
        type = AdditionalPrinterColumn.Type.DATE)
public class BackupVerification extends CustomResource<BackupVerificationSpec, BackupVerificationStatus>
        implements Namespaced {

    // overridden only to carry the schema description and the required flag (kubectl explain)
    @Override
    @Required
    @JsonPropertyDescription("Which exports to verify, how deeply and how often.")
    public BackupVerificationSpec getSpec() {
        return super.getSpec();
    }

    @Override
    @JsonPropertyDescription("Results of the last run, per export and in sum, and the restore drill in progress.")
    public BackupVerificationStatus getStatus() {
        return super.getStatus();
    }
}
