package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import lombok.Data;

/** Per-instance (status.instances) or per-volume (status.volumes) result of a schedule. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
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
}
