package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;
import java.util.Optional;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.Setter;
import lombok.ToString;

/** Status fields shared by SnapshotSchedule and ExportSchedule. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Getter
@Setter
@EqualsAndHashCode(callSuper = true)
@ToString(callSuper = true)
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

    /** The entry for the given volume, if present. */
    public Optional<InstanceRunStatus> findVolume(String pool, String name) {
        if (volumes == null) {
            return Optional.empty();
        }
        return volumes.stream()
                .filter(v -> pool.equals(v.getPool()) && name.equals(v.getName()))
                .findFirst();
    }

    /** The entry for the given instance, if present. */
    public Optional<InstanceRunStatus> findInstance(String name) {
        if (instances == null) {
            return Optional.empty();
        }
        return instances.stream().filter(i -> name.equals(i.getName())).findFirst();
    }
}
