package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.Objects;

/** Where to restore from; exactly one field is set. */
@ValidationRule(
        value =
                "(has(self.snapshot) ? 1 : 0) + (has(self.snapshotRef) ? 1 : 0) + (has(self.exportRef) ? 1 : 0) + (has(self.object) ? 1 : 0) == 1",
        message = "set exactly one of snapshot, snapshotRef, exportRef and object")
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class RestoreSource {

    @JsonPropertyDescription("Restore the instance in place to this LXD snapshot.")
    private LxdSnapshotRef snapshot;

    @JsonPropertyDescription("Restore the instance in place to the snapshot of this InstanceSnapshot.")
    private ObjectRef snapshotRef;

    @JsonPropertyDescription("Import the object of this (Completed) InstanceExport.")
    private ObjectRef exportRef;

    @JsonPropertyDescription("Import any export object in a BackupStore.")
    private ObjectSource object;

    public LxdSnapshotRef getSnapshot() {
        return snapshot;
    }

    public void setSnapshot(LxdSnapshotRef snapshot) {
        this.snapshot = snapshot;
    }

    public ObjectRef getSnapshotRef() {
        return snapshotRef;
    }

    public void setSnapshotRef(ObjectRef snapshotRef) {
        this.snapshotRef = snapshotRef;
    }

    public ObjectRef getExportRef() {
        return exportRef;
    }

    public void setExportRef(ObjectRef exportRef) {
        this.exportRef = exportRef;
    }

    public ObjectSource getObject() {
        return object;
    }

    public void setObject(ObjectSource object) {
        this.object = object;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass()) {
            return false;
        }
        RestoreSource that = (RestoreSource) o;
        return Objects.equals(snapshot, that.snapshot)
                && Objects.equals(snapshotRef, that.snapshotRef)
                && Objects.equals(exportRef, that.exportRef)
                && Objects.equals(object, that.object);
    }

    @Override
    public int hashCode() {
        return Objects.hash(snapshot, snapshotRef, exportRef, object);
    }

    @Override
    public String toString() {
        return "RestoreSource{" + "snapshot=" + snapshot
                + ", snapshotRef=" + snapshotRef
                + ", exportRef=" + exportRef
                + ", object=" + object + "}";
    }
}
