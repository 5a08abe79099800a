package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Phase of an InstanceSnapshot. */
public enum InstanceSnapshotPhase {
    @JsonProperty("Pending")
    PENDING("Pending"),
    @JsonProperty("Creating")
    CREATING("Creating"),
    @JsonProperty("Ready")
    READY("Ready"),
    @JsonProperty("Failed")
    FAILED("Failed"),
    @JsonProperty("Deleting")
    DELETING("Deleting");

    private final String value;

    InstanceSnapshotPhase(String value) {
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
    public static InstanceSnapshotPhase fromValue(String value) {
        for (InstanceSnapshotPhase v : values()) {
            if (v.value.equals(value)) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown InstanceSnapshotPhase: " + value);
    }
}
