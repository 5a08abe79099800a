package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import java.util.Objects;

/** Per-instance (status.instances) or per-volume (status.volumes) result of a schedule. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class InstanceRunStatus {

    @JsonPropertyDescription("Instance name (status.instances) or custom volume name (status.volumes).")
    @Required
    private String name;

    @JsonPropertyDescription("status.volumes: the storage pool holding the volume; absent for instances.")
    private String pool;

    @JsonPropertyDescription(
            "SnapshotSchedule: the newest snapshot taken (InstanceSnapshot name in Operator mode; in Server mode the newest snapshot the server holds, whoever made it).")
    private String lastSnapshot;

    @JsonPropertyDescription(
            "SnapshotSchedule: RFC 3339 creation time on the server of lastSnapshot (Operator mode: once it is ready).")
    private String lastSnapshotTime;

    @JsonPropertyDescription(
            "SnapshotSchedule: the snapshots the server holds for this instance, whoever made them, newest first and bounded; as of status.inventoryTime.")
    private SnapshotInventory snapshots;

    @JsonPropertyDescription("ExportSchedule: name of the newest InstanceExport created.")
    private String lastExport;

    @JsonPropertyDescription("ExportSchedule: object key of the newest successful export.")
    private String lastObject;

    @JsonPropertyDescription("Outcome of the last run: Succeeded, Failed, Skipped or Running.")
    private RunResult lastResult;

    @JsonPropertyDescription("Details about the last result, for example the error.")
    private String message;

    @JsonPropertyDescription("RFC 3339 time of the last run.")
    private String lastRunTime;

    @JsonPropertyDescription("RFC 3339 time of the last successful run.")
    private String lastSuccessfulTime;

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public String getPool() {
        return pool;
    }

    public void setPool(String pool) {
        this.pool = pool;
    }

    public String getLastSnapshot() {
        return lastSnapshot;
    }

    public void setLastSnapshot(String lastSnapshot) {
        this.lastSnapshot = lastSnapshot;
    }

    public String getLastSnapshotTime() {
        return lastSnapshotTime;
    }

    public void setLastSnapshotTime(String lastSnapshotTime) {
        this.lastSnapshotTime = lastSnapshotTime;
    }

    public SnapshotInventory getSnapshots() {
        return snapshots;
    }

    public void setSnapshots(SnapshotInventory snapshots) {
        this.snapshots = snapshots;
    }

    public String getLastExport() {
        return lastExport;
    }

    public void setLastExport(String lastExport) {
        this.lastExport = lastExport;
    }

    public String getLastObject() {
        return lastObject;
    }

    public void setLastObject(String lastObject) {
        this.lastObject = lastObject;
    }

    public RunResult getLastResult() {
        return lastResult;
    }

    public void setLastResult(RunResult lastResult) {
        this.lastResult = lastResult;
    }

    public String getMessage() {
        return message;
    }

    public void setMessage(String message) {
        this.message = message;
    }

    public String getLastRunTime() {
        return lastRunTime;
    }

    public void setLastRunTime(String lastRunTime) {
        this.lastRunTime = lastRunTime;
    }

    public String getLastSuccessfulTime() {
        return lastSuccessfulTime;
    }

    public void setLastSuccessfulTime(String lastSuccessfulTime) {
        this.lastSuccessfulTime = lastSuccessfulTime;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass()) {
            return false;
        }
        InstanceRunStatus that = (InstanceRunStatus) o;
        return Objects.equals(name, that.name)
                && Objects.equals(pool, that.pool)
                && Objects.equals(lastSnapshot, that.lastSnapshot)
                && Objects.equals(lastSnapshotTime, that.lastSnapshotTime)
                && Objects.equals(snapshots, that.snapshots)
                && Objects.equals(lastExport, that.lastExport)
                && Objects.equals(lastObject, that.lastObject)
                && Objects.equals(lastResult, that.lastResult)
                && Objects.equals(message, that.message)
                && Objects.equals(lastRunTime, that.lastRunTime)
                && Objects.equals(lastSuccessfulTime, that.lastSuccessfulTime);
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                name,
                pool,
                lastSnapshot,
                lastSnapshotTime,
                snapshots,
                lastExport,
                lastObject,
                lastResult,
                message,
                lastRunTime,
                lastSuccessfulTime);
    }

    @Override
    public String toString() {
        return "InstanceRunStatus{" + "name=" + name
                + ", pool=" + pool
                + ", lastSnapshot=" + lastSnapshot
                + ", lastSnapshotTime=" + lastSnapshotTime
                + ", snapshots=" + snapshots
                + ", lastExport=" + lastExport
                + ", lastObject=" + lastObject
                + ", lastResult=" + lastResult
                + ", message=" + message
                + ", lastRunTime=" + lastRunTime
                + ", lastSuccessfulTime=" + lastSuccessfulTime + "}";
    }
}
