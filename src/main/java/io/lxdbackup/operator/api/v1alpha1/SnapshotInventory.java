package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;
import java.util.Objects;

/** The snapshots one instance has on the server, bounded (SnapshotSchedule status). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class SnapshotInventory {

    @JsonPropertyDescription("How many snapshots the instance has on the server, whoever made them.")
    private Integer count;

    @JsonPropertyDescription("true = items lists only the newest spec.inventory.maxSnapshotsPerInstance of them.")
    private Boolean truncated;

    @JsonPropertyDescription("The newest snapshots, newest first.")
    private List<InventorySnapshot> items;

    public Integer getCount() {
        return count;
    }

    public void setCount(Integer count) {
        this.count = count;
    }

    public Boolean getTruncated() {
        return truncated;
    }

    public void setTruncated(Boolean truncated) {
        this.truncated = truncated;
    }

    public List<InventorySnapshot> getItems() {
        return items;
    }

    public void setItems(List<InventorySnapshot> items) {
        this.items = items;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass()) {
            return false;
        }
        SnapshotInventory that = (SnapshotInventory) o;
        return Objects.equals(count, that.count)
                && Objects.equals(truncated, that.truncated)
                && Objects.equals(items, that.items);
    }

    @Override
    public int hashCode() {
        return Objects.hash(count, truncated, items);
    }

    @Override
    public String toString() {
        return "SnapshotInventory{count=" + count + ", truncated=" + truncated + ", items=" + items + "}";
    }
}
