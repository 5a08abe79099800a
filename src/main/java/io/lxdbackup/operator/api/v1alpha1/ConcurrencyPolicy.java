package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Whether runs of a schedule may overlap. */
public enum ConcurrencyPolicy {
    /** Skip a run while the previous run for the same instance is still active. */
    @JsonProperty("Forbid")
    FORBID("Forbid"),
    /** Start runs even while earlier ones are active. */
    @JsonProperty("Allow")
    ALLOW("Allow");

    private final String value;

    ConcurrencyPolicy(String value) {
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
    public static ConcurrencyPolicy fromValue(String value) {
        for (ConcurrencyPolicy v : values()) {
            if (v.value.equals(value)) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown ConcurrencyPolicy: " + value);
    }
}
