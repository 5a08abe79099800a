package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import java.util.Objects;

/**
 * Which of a schedule's own backups to keep; everything not kept by some rule is deleted.
 * There are no hidden defaults, and the newest successful backup is always kept.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class RetentionPolicy {

    @JsonPropertyDescription("Keep this many most recent successful backups; absent or 0 = no count-based keeping.")
    @Min(0)
    private Integer keepLast;

    @JsonPropertyDescription("Keep the newest backup of each of this many most recent hours; absent or 0 = none.")
    @Min(0)
    private Integer keepHourly;

    @JsonPropertyDescription(
            "Keep the newest backup of each of this many most recent days (in spec.timeZone); absent or 0 = none.")
    @Min(0)
    private Integer keepDaily;

    @JsonPropertyDescription("Keep the newest backup of each of this many most recent ISO weeks; absent or 0 = none.")
    @Min(0)
    private Integer keepWeekly;

    @JsonPropertyDescription("Keep the newest backup of each of this many most recent months; absent or 0 = none.")
    @Min(0)
    private Integer keepMonthly;

    @JsonPropertyDescription("Keep the newest backup of each of this many most recent years; absent or 0 = none.")
    @Min(0)
    private Integer keepYearly;

    public Integer getKeepLast() {
        return keepLast;
    }

    public void setKeepLast(Integer keepLast) {
        this.keepLast = keepLast;
    }

    public Integer getKeepHourly() {
        return keepHourly;
    }

    public void setKeepHourly(Integer keepHourly) {
        this.keepHourly = keepHourly;
    }

    public Integer getKeepDaily() {
        return keepDaily;
    }

    public void setKeepDaily(Integer keepDaily) {
        this.keepDaily = keepDaily;
    }

    public Integer getKeepWeekly() {
        return keepWeekly;
    }

    public void setKeepWeekly(Integer keepWeekly) {
        this.keepWeekly = keepWeekly;
    }

    public Integer getKeepMonthly() {
        return keepMonthly;
    }

    public void setKeepMonthly(Integer keepMonthly) {
        this.keepMonthly = keepMonthly;
    }

    public Integer getKeepYearly() {
        return keepYearly;
    }

    public void setKeepYearly(Integer keepYearly) {
        this.keepYearly = keepYearly;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass()) {
            return false;
        }
        RetentionPolicy that = (RetentionPolicy) o;
        return Objects.equals(keepLast, that.keepLast)
                && Objects.equals(keepHourly, that.keepHourly)
                && Objects.equals(keepDaily, that.keepDaily)
                && Objects.equals(keepWeekly, that.keepWeekly)
                && Objects.equals(keepMonthly, that.keepMonthly)
                && Objects.equals(keepYearly, that.keepYearly);
    }

    @Override
    public int hashCode() {
        return Objects.hash(keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly);
    }

    @Override
    public String toString() {
        return "RetentionPolicy{" + "keepLast=" + keepLast
                + ", keepHourly=" + keepHourly
                + ", keepDaily=" + keepDaily
                + ", keepWeekly=" + keepWeekly
                + ", keepMonthly=" + keepMonthly
                + ", keepYearly=" + keepYearly + "}";
    }
}
