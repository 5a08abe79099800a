package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Phase of SnapshotSchedule and ExportSchedule. */
public enum SchedulePhase {
    @JsonProperty("Active")
    ACTIVE("Active"),
    @JsonProperty("Suspended")
    SUSPENDED("Suspended"),
    /** The spec cannot be acted on (bad cron, unknown time zone, missing remote); see the Ready condition. */
    @JsonProperty("Invalid")
    INVALID("Invalid");

    private final String value;

    SchedulePhase(String value) {
        this.value = value;
    }

    /** The value as written in YAML and sent to LXD or S3. */
    public String value() {
        return value;
    }

    @Override
    public String toString() {
        return value;
    }

    /** Parses the YAML value; throws {@link IllegalArgumentException} for unknown values. */
    public static SchedulePhase fromValue(String value) {
        for (SchedulePhase v : values()) {
            if (v.value.equals(value)) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown SchedulePhase: " + value);
    }
}
