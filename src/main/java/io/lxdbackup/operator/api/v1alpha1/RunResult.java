package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Outcome of the last scheduled run for one instance. */
public enum RunResult {
    @JsonProperty("Succeeded")
    SUCCEEDED("Succeeded"),
    @JsonProperty("Failed")
    FAILED("Failed"),
    /** Not run: missed the starting deadline, forbidden by the concurrency policy, or the instance was stopped. */
    @JsonProperty("Skipped")
    SKIPPED("Skipped"),
    /** Started and not finished yet. */
    @JsonProperty("Running")
    RUNNING("Running");

    private final String value;

    RunResult(String value) {
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
    public static RunResult fromValue(String value) {
        for (RunResult v : values()) {
            if (v.value.equals(value)) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown RunResult: " + value);
    }
}
