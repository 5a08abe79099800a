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

/** Periodic snapshots with retention. */
// the description of the whole kind (kubectl explain snapshotschedule); the generator takes it from here only
@SchemaCustomizer(
        value = SchemaCustomizer.MergePatchCustomizer.class,
        input =
                "{\"description\": \"Periodic LXD snapshots of selected instances, with retention of the schedule's own snapshots.\"}")
@Group("lxdbackup.io")
@Version("v1alpha1")
@ShortNames("ssched")
@Plural("snapshotschedules")
@Categories("lxdbackup")
// kubectl shows the columns in JSONPath order: the generator sorts them (fabric8 issue 3974)
@AdditionalPrinterColumn(
        name = "Remote",
        jsonPath = ".spec.remoteRef.name",
        type = AdditionalPrinterColumn.Type.STRING,
        priority = 1)
@AdditionalPrinterColumn(name = "Schedule", jsonPath = ".spec.schedule", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
        name = "Mode",
        jsonPath = ".spec.mode",
        type = AdditionalPrinterColumn.Type.STRING,
        priority = 1)
@AdditionalPrinterColumn(name = "Suspend", jsonPath = ".spec.suspend", type = AdditionalPrinterColumn.Type.BOOLEAN)
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
        name = "Last Schedule",
        jsonPath = ".status.lastScheduleTime",
        type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(
        name = "Last Snapshot",
        jsonPath = ".status.lastSnapshotTime",
        type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(
        name = "Next Schedule",
        jsonPath = ".status.nextScheduleTime",
        type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
        name = "Age",
        jsonPath = ".metadata.creationTimestamp",
        type = AdditionalPrinterColumn.Type.DATE)
public class SnapshotSchedule extends CustomResource<SnapshotScheduleSpec, SnapshotScheduleStatus>
        implements Namespaced {

    // overridden only to carry the schema description and the required flag (kubectl explain)
    @Override
    @Required
    @JsonPropertyDescription("Which instances to snapshot, when, and what to keep.")
    public SnapshotScheduleSpec getSpec() {
        return super.getSpec();
    }

    @Override
    @JsonPropertyDescription("Schedule times and per-instance results.")
    public SnapshotScheduleStatus getStatus() {
        return super.getStatus();
    }
}
