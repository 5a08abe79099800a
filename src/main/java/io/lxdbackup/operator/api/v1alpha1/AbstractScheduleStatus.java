package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** Status fields shared by SnapshotSchedule and ExportSchedule. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public abstract class AbstractScheduleStatus extends BaseStatus<SchedulePhase> {

    @JsonPropertyDescription(
            "RFC 3339 time the operator saw suspend turn true; runs due while suspended are not caught up.")
    private String suspendedAt;

    @JsonPropertyDescription(
            "RFC 3339 time the operator saw suspend turn false; scheduled times before it are never run late.")
    private String resumedAt;

    @JsonPropertyDescription(
            "Scheduled times of the latest decision that were not run (operator down past startingDeadlineSeconds, or older than the one catch-up run).")
    private Integer missedRuns;

    @JsonPropertyDescription("RFC 3339 time of the most recent scheduled time that was not run.")
    private String lastMissedTime;

    public String getSuspendedAt() {
        return suspendedAt;
    }

    public void setSuspendedAt(String suspendedAt) {
        this.suspendedAt = suspendedAt;
    }

    public String getResumedAt() {
        return resumedAt;
    }

    public void setResumedAt(String resumedAt) {
        this.resumedAt = resumedAt;
    }

    public Integer getMissedRuns() {
        return missedRuns;
    }

    public void setMissedRuns(Integer missedRuns) {
        this.missedRuns = missedRuns;
    }

    public String getLastMissedTime() {
        return lastMissedTime;
    }

    public void setLastMissedTime(String lastMissedTime) {
        this.lastMissedTime = lastMissedTime;
    }

    @JsonPropertyDescription("RFC 3339 time the schedule last fired.")
    private String lastScheduleTime;

    @JsonPropertyDescription("RFC 3339 time the schedule fires next; absent while suspended or invalid.")
    private String nextScheduleTime;

    @JsonPropertyDescription("RFC 3339 time of the last run in which every instance and volume succeeded.")
    private String lastSuccessfulTime;

    @JsonPropertyDescription("Per-instance result of the latest runs.")
    private List<InstanceRunStatus> instances;

    @JsonPropertyDescription(
            "Per-volume result of the latest runs (volumes and volumeSelector), each named by pool and name.")
    private List<InstanceRunStatus> volumes;

    @JsonPropertyDescription("Names of child objects whose run has not finished yet.")
    private List<String> active;

    public String getLastScheduleTime() {
        return lastScheduleTime;
    }

    public void setLastScheduleTime(String lastScheduleTime) {
        this.lastScheduleTime = lastScheduleTime;
    }

    public String getNextScheduleTime() {
        return nextScheduleTime;
    }

    public void setNextScheduleTime(String nextScheduleTime) {
        this.nextScheduleTime = nextScheduleTime;
    }

    public String getLastSuccessfulTime() {
        return lastSuccessfulTime;
    }

    public void setLastSuccessfulTime(String lastSuccessfulTime) {
        this.lastSuccessfulTime = lastSuccessfulTime;
    }

    public List<InstanceRunStatus> getInstances() {
        return instances;
    }

    public void setInstances(List<InstanceRunStatus> instances) {
        this.instances = instances;
    }

    public List<InstanceRunStatus> getVolumes() {
        return volumes;
    }

    public void setVolumes(List<InstanceRunStatus> volumes) {
        this.volumes = volumes;
    }

    /** The entry for the given volume, if present. */
    public Optional<InstanceRunStatus> findVolume(String pool, String name) {
        if (volumes == null) {
            return Optional.empty();
        }
        return volumes.stream()
                .filter(v -> pool.equals(v.getPool()) && name.equals(v.getName()))
                .findFirst();
    }

    public List<String> getActive() {
        return active;
    }

    public void setActive(List<String> active) {
        this.active = active;
    }

    /** The entry for the given instance, if present. */
    public Optional<InstanceRunStatus> findInstance(String name) {
        if (instances == null) {
            return Optional.empty();
        }
        return instances.stream().filter(i -> name.equals(i.getName())).findFirst();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass() || !super.equals(o)) {
            return false;
        }
        AbstractScheduleStatus that = (AbstractScheduleStatus) o;
        return Objects.equals(lastScheduleTime, that.lastScheduleTime)
                && Objects.equals(nextScheduleTime, that.nextScheduleTime)
                && Objects.equals(lastSuccessfulTime, that.lastSuccessfulTime)
                && Objects.equals(instances, that.instances)
                && Objects.equals(volumes, that.volumes)
                && Objects.equals(active, that.active);
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                super.hashCode(), lastScheduleTime, nextScheduleTime, lastSuccessfulTime, instances, volumes, active);
    }

    @Override
    public String toString() {
        return "AbstractScheduleStatus{" + "lastScheduleTime=" + lastScheduleTime
                + ", nextScheduleTime=" + nextScheduleTime
                + ", lastSuccessfulTime=" + lastSuccessfulTime
                + ", instances=" + instances
                + ", volumes=" + volumes
                + ", active=" + active + ", " + super.toString() + "}";
    }
}
