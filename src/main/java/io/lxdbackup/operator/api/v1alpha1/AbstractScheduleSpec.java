package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.List;
import java.util.Objects;

/** Fields shared by SnapshotSchedule and ExportSchedule (the YAML names are identical in both kinds). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
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
    private RetentionPolicy retention;

    @JsonPropertyDescription(
            "What deleting this schedule, or its namespace, does to the backups it made. Retain (default): its InstanceSnapshots/InstanceExports and their LXD snapshots and stored objects stay (they no longer belong to the schedule; delete them by the label lxdbackup.io/schedule=<name>). Delete: they are deleted with the schedule, and each one's deletionPolicy decides about the snapshot or object. Retention prunes as configured either way; may be changed at any time.")
    @Default("Retain")
    private BackupsOnDeletion backupsOnDeletion;

    public ObjectRef getRemoteRef() {
        return remoteRef;
    }

    public void setRemoteRef(ObjectRef remoteRef) {
        this.remoteRef = remoteRef;
    }

    public String getProject() {
        return project;
    }

    public void setProject(String project) {
        this.project = project;
    }

    public List<String> getInstances() {
        return instances;
    }

    public void setInstances(List<String> instances) {
        this.instances = instances;
    }

    public InstanceSelector getInstanceSelector() {
        return instanceSelector;
    }

    public void setInstanceSelector(InstanceSelector instanceSelector) {
        this.instanceSelector = instanceSelector;
    }

    public List<VolumeRef> getVolumes() {
        return volumes;
    }

    public void setVolumes(List<VolumeRef> volumes) {
        this.volumes = volumes;
    }

    public VolumeSelector getVolumeSelector() {
        return volumeSelector;
    }

    public void setVolumeSelector(VolumeSelector volumeSelector) {
        this.volumeSelector = volumeSelector;
    }

    public String getSchedule() {
        return schedule;
    }

    public void setSchedule(String schedule) {
        this.schedule = schedule;
    }

    public String getTimeZone() {
        return timeZone;
    }

    public void setTimeZone(String timeZone) {
        this.timeZone = timeZone;
    }

    public Boolean getSuspend() {
        return suspend;
    }

    public void setSuspend(Boolean suspend) {
        this.suspend = suspend;
    }

    public Long getStartingDeadlineSeconds() {
        return startingDeadlineSeconds;
    }

    public void setStartingDeadlineSeconds(Long startingDeadlineSeconds) {
        this.startingDeadlineSeconds = startingDeadlineSeconds;
    }

    public ConcurrencyPolicy getConcurrencyPolicy() {
        return concurrencyPolicy;
    }

    public void setConcurrencyPolicy(ConcurrencyPolicy concurrencyPolicy) {
        this.concurrencyPolicy = concurrencyPolicy;
    }

    public RetentionPolicy getRetention() {
        return retention;
    }

    public void setRetention(RetentionPolicy retention) {
        this.retention = retention;
    }

    public BackupsOnDeletion getBackupsOnDeletion() {
        return backupsOnDeletion;
    }

    public void setBackupsOnDeletion(BackupsOnDeletion backupsOnDeletion) {
        this.backupsOnDeletion = backupsOnDeletion;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass()) {
            return false;
        }
        AbstractScheduleSpec that = (AbstractScheduleSpec) o;
        return Objects.equals(remoteRef, that.remoteRef)
                && Objects.equals(project, that.project)
                && Objects.equals(instances, that.instances)
                && Objects.equals(instanceSelector, that.instanceSelector)
                && Objects.equals(volumes, that.volumes)
                && Objects.equals(volumeSelector, that.volumeSelector)
                && Objects.equals(schedule, that.schedule)
                && Objects.equals(timeZone, that.timeZone)
                && Objects.equals(suspend, that.suspend)
                && Objects.equals(startingDeadlineSeconds, that.startingDeadlineSeconds)
                && Objects.equals(concurrencyPolicy, that.concurrencyPolicy)
                && Objects.equals(retention, that.retention)
                && Objects.equals(backupsOnDeletion, that.backupsOnDeletion);
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                remoteRef,
                project,
                instances,
                instanceSelector,
                volumes,
                volumeSelector,
                schedule,
                timeZone,
                suspend,
                startingDeadlineSeconds,
                concurrencyPolicy,
                retention,
                backupsOnDeletion);
    }

    @Override
    public String toString() {
        return "AbstractScheduleSpec{" + "remoteRef=" + remoteRef
                + ", project=" + project
                + ", instances=" + instances
                + ", instanceSelector=" + instanceSelector
                + ", volumes=" + volumes
                + ", volumeSelector=" + volumeSelector
                + ", schedule=" + schedule
                + ", timeZone=" + timeZone
                + ", suspend=" + suspend
                + ", startingDeadlineSeconds=" + startingDeadlineSeconds
                + ", concurrencyPolicy=" + concurrencyPolicy
                + ", retention=" + retention
                + ", backupsOnDeletion=" + backupsOnDeletion + "}";
    }
}
