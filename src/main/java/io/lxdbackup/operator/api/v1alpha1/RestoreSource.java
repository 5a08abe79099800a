package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;
import lombok.Data;

/** Where to restore from; exactly one field is set. */
@ValidationRule(
        value =
                "(has(self.snapshot) ? 1 : 0) + (has(self.snapshotRef) ? 1 : 0) + (has(self.exportRef) ? 1 : 0) + (has(self.object) ? 1 : 0) == 1",
        message = "set exactly one of snapshot, snapshotRef, exportRef and object")
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
public class RestoreSource {

    @JsonPropertyDescription("Restore the instance in place to this LXD snapshot.")
    private LxdSnapshotRef snapshot;

    @JsonPropertyDescription("Restore the instance in place to the snapshot of this InstanceSnapshot.")
    private ObjectRef snapshotRef;

    @JsonPropertyDescription("Import the object of this (Completed) InstanceExport.")
    private ObjectRef exportRef;

    @JsonPropertyDescription("Import any export object in a BackupStore.")
    private ObjectSource object;
}
