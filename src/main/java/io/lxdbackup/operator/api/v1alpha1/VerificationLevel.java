package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How deeply a BackupVerification proves the selected exports: Checksum re-reads them, Restore also imports the newest export of each instance into a scratch instance. */
public enum VerificationLevel {
    @JsonProperty("Checksum")
    CHECKSUM("Checksum"),
    @JsonProperty("Restore")
    RESTORE("Restore");

    private final String value;

    VerificationLevel(String value) {
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
