package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import lombok.Data;

/**
 * Which of a schedule's own backups to keep; everything not kept by some rule is deleted.
 * There are no hidden defaults, and the newest successful backup is always kept.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
public class RetentionSpec {

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
}
