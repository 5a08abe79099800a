package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Who takes the snapshots of a SnapshotSchedule. */
public enum SnapshotScheduleMode {
    /** The operator creates one InstanceSnapshot per run and instance and applies retention. */
    @JsonProperty("Operator")
    OPERATOR("Operator"),
    /** The operator writes snapshots.schedule, .pattern, .expiry and .schedule.stopped on the instances and LXD takes the snapshots. */
    @JsonProperty("Server")
    SERVER("Server");

    private final String value;

    SnapshotScheduleMode(String value) {
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
    public static SnapshotScheduleMode fromValue(String value) {
        for (SnapshotScheduleMode v : values()) {
            if (v.value.equals(value)) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown SnapshotScheduleMode: " + value);
    }
}
