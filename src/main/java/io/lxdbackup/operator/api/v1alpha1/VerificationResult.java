package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Outcome of verifying one export. */
public enum VerificationResult {
    @JsonProperty("Passed")
    PASSED("Passed"),
    @JsonProperty("Failed")
    FAILED("Failed");

    private final String value;

    VerificationResult(String value) {
        this.value = value;
    }

    /** The value as written in YAML. */
    public String value() {
        return value;
    }

    @Override
    public String toString() {
        return value;
    }
}
