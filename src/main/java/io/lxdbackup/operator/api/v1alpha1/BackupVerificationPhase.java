package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Phase of a BackupVerification. */
public enum BackupVerificationPhase {
    @JsonProperty("Pending")
    PENDING("Pending"),
    @JsonProperty("Running")
    RUNNING("Running"),
    @JsonProperty("Passed")
    PASSED("Passed"),
    @JsonProperty("Failed")
    FAILED("Failed"),
    @JsonProperty("Suspended")
    SUSPENDED("Suspended"),
    @JsonProperty("Invalid")
    INVALID("Invalid");

    private final String value;

    BackupVerificationPhase(String value) {
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
