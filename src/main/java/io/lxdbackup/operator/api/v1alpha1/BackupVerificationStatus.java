package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;

/** Observed state of a BackupVerification. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
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

    public String getNextRetryTime() {
        return nextRetryTime;
    }

    public void setNextRetryTime(String nextRetryTime) {
        this.nextRetryTime = nextRetryTime;
    }

    public String getResumeTime() {
        return resumeTime;
    }

    public void setResumeTime(String resumeTime) {
        this.resumeTime = resumeTime;
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

    public String getRunStartTime() {
        return runStartTime;
    }

    public void setRunStartTime(String runStartTime) {
        this.runStartTime = runStartTime;
    }

    public String getLastRunTime() {
        return lastRunTime;
    }

    public void setLastRunTime(String lastRunTime) {
        this.lastRunTime = lastRunTime;
    }

    public Long getLastRunGeneration() {
        return lastRunGeneration;
    }

    public void setLastRunGeneration(Long lastRunGeneration) {
        this.lastRunGeneration = lastRunGeneration;
    }

    public String getLastSuccessfulTime() {
        return lastSuccessfulTime;
    }

    public void setLastSuccessfulTime(String lastSuccessfulTime) {
        this.lastSuccessfulTime = lastSuccessfulTime;
    }

    public VerificationSummary getSummary() {
        return summary;
    }

    public void setSummary(VerificationSummary summary) {
        this.summary = summary;
    }

    public List<VerifiedExport> getExports() {
        return exports;
    }

    public void setExports(List<VerifiedExport> exports) {
        this.exports = exports;
    }

    public DrillStatus getDrill() {
        return drill;
    }

    public void setDrill(DrillStatus drill) {
        this.drill = drill;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass() || !super.equals(o)) {
            return false;
        }
        BackupVerificationStatus that = (BackupVerificationStatus) o;
        return java.util.Objects.equals(lastScheduleTime, that.lastScheduleTime)
                && java.util.Objects.equals(nextScheduleTime, that.nextScheduleTime)
                && java.util.Objects.equals(nextRetryTime, that.nextRetryTime)
                && java.util.Objects.equals(resumeTime, that.resumeTime)
                && java.util.Objects.equals(missedRuns, that.missedRuns)
                && java.util.Objects.equals(lastMissedTime, that.lastMissedTime)
                && java.util.Objects.equals(runStartTime, that.runStartTime)
                && java.util.Objects.equals(lastRunTime, that.lastRunTime)
                && java.util.Objects.equals(lastRunGeneration, that.lastRunGeneration)
                && java.util.Objects.equals(lastSuccessfulTime, that.lastSuccessfulTime)
                && java.util.Objects.equals(summary, that.summary)
                && java.util.Objects.equals(exports, that.exports)
                && java.util.Objects.equals(drill, that.drill);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(
                super.hashCode(),
                lastScheduleTime,
                nextScheduleTime,
                nextRetryTime,
                resumeTime,
                missedRuns,
                lastMissedTime,
                runStartTime,
                lastRunTime,
                lastRunGeneration,
                lastSuccessfulTime,
                summary,
                exports,
                drill);
    }
}
