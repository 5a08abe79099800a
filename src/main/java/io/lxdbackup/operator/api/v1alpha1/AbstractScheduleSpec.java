package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.List;
import lombok.Data;

/** Fields shared by SnapshotSchedule and ExportSchedule (the YAML names are identical in both kinds). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
public abstract class AbstractScheduleSpec {

    @JsonPropertyDescription("Reference to the LxdRemote (same namespace) hosting the instances; required.")
    @Required
    private ObjectRef remoteRef;

    @JsonPropertyDescription("LXD project; default: the LxdRemote's spec.project.")
    @Size(min = 1, max = 63)
    private String project;

    @JsonPropertyDescription("Instance names to back up; combined (union) with instanceSelector.")
    @Size(max = 1000)
    private List<@Size(min = 1, max = 63) String> instances;

    @JsonPropertyDescription("Selects instances by config and name; combined (union) with instances.")
    private InstanceSelector instanceSelector;

    @JsonPropertyDescription(
            "Custom storage volumes ({pool, name}) to back up, each as its own child (InstanceSnapshot or InstanceExport with spec.volume); combined (union) with volumeSelector. A schedule may select instances, volumes, or both.")
    @Size(max = 1000)
    private List<VolumeRef> volumes;

    @JsonPropertyDescription(
            "Selects the custom volumes of one storage pool by config and name; combined (union) with volumes.")
    private VolumeSelector volumeSelector;

    @JsonPropertyDescription(
            "When to run: 5-field cron (minute hour day-of-month month day-of-week) or @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually; required.")
    @Required
    @Size(min = 1, max = 128)
    private String schedule;

    @JsonPropertyDescription(
            "IANA time zone the schedule and the retention calendar use, for example Europe/Berlin; default UTC.")
    @Default("UTC")
    @Size(min = 1, max = 64)
    private String timeZone;

    @JsonPropertyDescription("true = start no new runs (running ones finish; retention still applies); default false.")
    @Default("false")
    private Boolean suspend;

    @JsonPropertyDescription(
            "A run missed by more than this many seconds is skipped, not fired late; absent = only the latest missed run fires late.")
    @Min(1)
    private Long startingDeadlineSeconds;

    @JsonPropertyDescription(
            "Forbid skips a run while the previous run for the same instance is active, Allow overlaps; default Forbid.")
    @Default("Forbid")
    private ConcurrencyPolicy concurrencyPolicy;

    @JsonPropertyDescription(
            "Which of the schedule's own backups to keep per instance and per volume; absent = keep all.")
    private RetentionSpec retention;

    @JsonPropertyDescription(
            "What deleting this schedule, or its namespace, does to the backups it made. Retain (default): its InstanceSnapshots/InstanceExports and their LXD snapshots and stored objects stay (they no longer belong to the schedule; delete them by the label lxdbackup.io/schedule=<name>). Delete: they are deleted with the schedule, and each one's deletionPolicy decides about the snapshot or object. Retention prunes as configured either way; may be changed at any time.")
    @Default("Retain")
    private BackupsOnDeletion backupsOnDeletion;
}
