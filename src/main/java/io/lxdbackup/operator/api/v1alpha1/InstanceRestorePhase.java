package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Phase of an InstanceRestore. */
public enum InstanceRestorePhase {
    @JsonProperty("Pending")
    PENDING("Pending"),
    @JsonProperty("Running")
    RUNNING("Running"),
    @JsonProperty("Completed")
    COMPLETED("Completed"),
    @JsonProperty("Failed")
    FAILED("Failed");

    private final String value;

    InstanceRestorePhase(String value) {
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
    public static InstanceRestorePhase fromValue(String value) {
        for (InstanceRestorePhase v : values()) {
            if (v.value.equals(value)) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown InstanceRestorePhase: " + value);
    }
}
