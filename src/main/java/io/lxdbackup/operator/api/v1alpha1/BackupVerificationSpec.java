package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;

/** Desired state of a BackupVerification. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class BackupVerificationSpec {

    @JsonPropertyDescription(
            "Checksum (default): re-read every selected export from its store through SHA-256 and compare with the export's status and its manifest. Restore: that, and also import the newest selected export of each instance into a scratch instance on restore.remoteRef, check it, and delete it.")
    @Default("Checksum")
    private VerificationLevel level;

    @JsonPropertyDescription("Which InstanceExports of this namespace to verify; absent = every completed export.")
    private VerificationSelector selector;

    @JsonPropertyDescription(
            "Verify again on this 5-field cron or @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually; the first run starts at once. Absent = verify once, and again after every spec change.")
    @Size(min = 1, max = 128)
    private String schedule;

    @JsonPropertyDescription("IANA time zone for schedule; default UTC.")
    @Default("UTC")
    @Size(min = 1, max = 64)
    private String timeZone;

    @JsonPropertyDescription("true = start no new runs; default false.")
    @Default("false")
    private Boolean suspend;

    @JsonPropertyDescription(
            "A run missed by more than this many seconds is skipped, not started late; absent = only the latest missed run starts late.")
    @Min(1)
    private Long startingDeadlineSeconds;

    @JsonPropertyDescription(
            "Rate limit for reading objects from the store, in bytes per second (applies to checksum reads and drill imports); absent = unlimited.")
    @Min(1024)
    private Long bytesPerSecond;

    @JsonPropertyDescription(
            "Level Restore: where and how the scratch instance is imported and checked; required for that level.")
    private RestoreDrillSpec restore;

    public VerificationLevel getLevel() {
        return level;
    }

    public void setLevel(VerificationLevel level) {
        this.level = level;
    }

    public VerificationSelector getSelector() {
        return selector;
    }

    public void setSelector(VerificationSelector selector) {
        this.selector = selector;
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

    public Long getBytesPerSecond() {
        return bytesPerSecond;
    }

    public void setBytesPerSecond(Long bytesPerSecond) {
        this.bytesPerSecond = bytesPerSecond;
    }

    public RestoreDrillSpec getRestore() {
        return restore;
    }

    public void setRestore(RestoreDrillSpec restore) {
        this.restore = restore;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass()) {
            return false;
        }
        BackupVerificationSpec that = (BackupVerificationSpec) o;
        return java.util.Objects.equals(level, that.level)
                && java.util.Objects.equals(selector, that.selector)
                && java.util.Objects.equals(schedule, that.schedule)
                && java.util.Objects.equals(timeZone, that.timeZone)
                && java.util.Objects.equals(suspend, that.suspend)
                && java.util.Objects.equals(startingDeadlineSeconds, that.startingDeadlineSeconds)
                && java.util.Objects.equals(bytesPerSecond, that.bytesPerSecond)
                && java.util.Objects.equals(restore, that.restore);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(
                level, selector, schedule, timeZone, suspend, startingDeadlineSeconds, bytesPerSecond, restore);
    }
}
