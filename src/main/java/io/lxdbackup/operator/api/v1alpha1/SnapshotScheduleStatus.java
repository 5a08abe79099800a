package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;
import java.util.Objects;

/** Observed state of a SnapshotSchedule. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class SnapshotScheduleStatus extends AbstractScheduleStatus {

    @JsonPropertyDescription("Server mode: instances whose snapshots.* keys this schedule manages.")
    private List<String> configuredInstances;

    @JsonPropertyDescription("Server mode: custom volumes (pool/name) whose snapshots.* keys this schedule manages.")
    private List<String> configuredVolumes;

    @JsonPropertyDescription(
            "Server mode: keys found changed by hand on the server and restored, as instance/key=found or pool/volume/key=found (latest reconcile).")
    private List<String> drift;

    @JsonPropertyDescription(
            "RFC 3339 time of the LXD listing at which instances[].snapshots last changed (LXD is listed at each run in Operator mode, at each check in Server mode).")
    private String inventoryTime;

    @JsonPropertyDescription(
            "RFC 3339 creation time of the newest snapshot the server holds of any selected instance, whoever made it.")
    private String lastSnapshotTime;

    @JsonPropertyDescription(
            "Selected instances left out of the inventory (beyond the first 100 by name, or past 1000 listed snapshots).")
    private Integer inventoryOmittedInstances;

    public List<String> getConfiguredInstances() {
        return configuredInstances;
    }

    public void setConfiguredInstances(List<String> configuredInstances) {
        this.configuredInstances = configuredInstances;
    }

    public List<String> getConfiguredVolumes() {
        return configuredVolumes;
    }

    public void setConfiguredVolumes(List<String> configuredVolumes) {
        this.configuredVolumes = configuredVolumes;
    }

    public List<String> getDrift() {
        return drift;
    }

    public void setDrift(List<String> drift) {
        this.drift = drift;
    }

    public String getInventoryTime() {
        return inventoryTime;
    }

    public void setInventoryTime(String inventoryTime) {
        this.inventoryTime = inventoryTime;
    }

    public String getLastSnapshotTime() {
        return lastSnapshotTime;
    }

    public void setLastSnapshotTime(String lastSnapshotTime) {
        this.lastSnapshotTime = lastSnapshotTime;
    }

    public Integer getInventoryOmittedInstances() {
        return inventoryOmittedInstances;
    }

    public void setInventoryOmittedInstances(Integer inventoryOmittedInstances) {
        this.inventoryOmittedInstances = inventoryOmittedInstances;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass() || !super.equals(o)) {
            return false;
        }
        SnapshotScheduleStatus that = (SnapshotScheduleStatus) o;
        return Objects.equals(configuredInstances, that.configuredInstances)
                && Objects.equals(configuredVolumes, that.configuredVolumes)
                && Objects.equals(drift, that.drift)
                && Objects.equals(inventoryTime, that.inventoryTime)
                && Objects.equals(lastSnapshotTime, that.lastSnapshotTime)
                && Objects.equals(inventoryOmittedInstances, that.inventoryOmittedInstances);
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                super.hashCode(),
                configuredInstances,
                configuredVolumes,
                drift,
                inventoryTime,
                lastSnapshotTime,
                inventoryOmittedInstances);
    }

    @Override
    public String toString() {
        return "SnapshotScheduleStatus{" + "" + ", " + super.toString() + "}";
    }
}
