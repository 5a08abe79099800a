package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import lombok.Data;

/** One snapshot the LXD server holds, as a SnapshotSchedule's inventory reports it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
public class InventorySnapshot {

    @JsonPropertyDescription("Snapshot name on the server (without the \"instance/\" prefix).")
    private String name;

    @JsonPropertyDescription("RFC 3339 creation time reported by LXD.")
    private String createdAt;

    @JsonPropertyDescription("RFC 3339 time LXD deletes the snapshot; absent = never.")
    private String expiresAt;

    @JsonPropertyDescription("Size in bytes; absent when the server does not report it (dir pools).")
    private Long size;

    @JsonPropertyDescription(
            "Who made it: Operator (an InstanceSnapshot of an operator-mode SnapshotSchedule in this namespace), Server (mode Server: matches the instance's snapshots.pattern), or Other.")
    private SnapshotOrigin origin;

    public InventorySnapshot() {}

    public InventorySnapshot(String name, String createdAt, String expiresAt, Long size, SnapshotOrigin origin) {
        this.name = name;
        this.createdAt = createdAt;
        this.expiresAt = expiresAt;
        this.size = size;
        this.origin = origin;
    }
}
