package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.Setter;
import lombok.ToString;

/** Observed state of a BackupVerification. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Getter
@Setter
@EqualsAndHashCode(callSuper = true)
@ToString(callSuper = true)
public class BackupVerificationStatus extends BaseStatus<BackupVerificationPhase> {

    @JsonPropertyDescription(
            "RFC 3339 scheduled time of the last run the schedule started (the start time for the first run).")
    private String lastScheduleTime;

    @JsonPropertyDescription("RFC 3339 time of the next scheduled run; absent without schedule or while suspended.")
    private String nextScheduleTime;

    @JsonPropertyDescription("RFC 3339 time a run that could not finish (store or server unreachable) is tried again.")
    private String nextRetryTime;

    @JsonPropertyDescription("RFC 3339 time suspend was last turned off; scheduled times before it are not caught up.")
    private String resumeTime;

    @JsonPropertyDescription("Scheduled times of the latest decision that were not run.")
    private Integer missedRuns;

    @JsonPropertyDescription("RFC 3339 time of the most recent scheduled time that was not run.")
    private String lastMissedTime;

    @JsonPropertyDescription("RFC 3339 time the run in progress, or the last run, started.")
    private String runStartTime;

    @JsonPropertyDescription("RFC 3339 time the last run finished.")
    private String lastRunTime;

    @JsonPropertyDescription("metadata.generation of the spec the last finished run used.")
    private Long lastRunGeneration;

    @JsonPropertyDescription("RFC 3339 time the last run in which every check passed finished.")
    private String lastSuccessfulTime;

    @JsonPropertyDescription("Counts of the last run.")
    private VerificationSummary summary;

    @JsonPropertyDescription("Per export checked by the last run: result, reason and time.")
    private List<VerifiedExport> exports;

    @JsonPropertyDescription(
            "The restore drill in progress, recorded before its scratch instance is created so that a restarted operator removes it; absent when no drill runs.")
    private DrillStatus drill;
}
