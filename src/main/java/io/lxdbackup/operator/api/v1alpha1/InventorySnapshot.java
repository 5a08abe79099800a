package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** One snapshot the LXD server holds, as a SnapshotSchedule's inventory reports it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
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

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public String getCreatedAt() {
        return createdAt;
    }

    public void setCreatedAt(String createdAt) {
        this.createdAt = createdAt;
    }

    public String getExpiresAt() {
        return expiresAt;
    }

    public void setExpiresAt(String expiresAt) {
        this.expiresAt = expiresAt;
    }

    public Long getSize() {
        return size;
    }

    public void setSize(Long size) {
        this.size = size;
    }

    public SnapshotOrigin getOrigin() {
        return origin;
    }

    public void setOrigin(SnapshotOrigin origin) {
        this.origin = origin;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass()) {
            return false;
        }
        InventorySnapshot that = (InventorySnapshot) o;
        return Objects.equals(name, that.name)
                && Objects.equals(createdAt, that.createdAt)
                && Objects.equals(expiresAt, that.expiresAt)
                && Objects.equals(size, that.size)
                && origin == that.origin;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, createdAt, expiresAt, size, origin);
    }

    @Override
    public String toString() {
        return "InventorySnapshot{name=" + name + ", createdAt=" + createdAt + ", expiresAt=" + expiresAt + ", size="
                + size + ", origin=" + origin + "}";
    }
}
