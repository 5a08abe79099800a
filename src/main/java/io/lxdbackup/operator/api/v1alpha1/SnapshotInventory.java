package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;
import lombok.Data;

/** The snapshots one instance has on the server, bounded (SnapshotSchedule status). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
public class SnapshotInventory {

    @JsonPropertyDescription("How many snapshots the instance has on the server, whoever made them.")
    private Integer count;

    @JsonPropertyDescription("true = items lists only the newest spec.inventory.maxSnapshotsPerInstance of them.")
    private Boolean truncated;

    @JsonPropertyDescription("The newest snapshots, newest first.")
    private List<InventorySnapshot> items;
}
