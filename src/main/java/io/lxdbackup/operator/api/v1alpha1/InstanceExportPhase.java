package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Phase of an InstanceExport. */
public enum InstanceExportPhase {
    @JsonProperty("Pending")
    PENDING("Pending"),
    @JsonProperty("CreatingBackup")
    CREATING_BACKUP("CreatingBackup"),
    @JsonProperty("Uploading")
    UPLOADING("Uploading"),
    /** The object and its manifest are uploaded and verified. */
    @JsonProperty("Completed")
    COMPLETED("Completed"),
    @JsonProperty("Failed")
    FAILED("Failed"),
    @JsonProperty("Deleting")
    DELETING("Deleting");

    private final String value;

    InstanceExportPhase(String value) {
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
    public static InstanceExportPhase fromValue(String value) {
        for (InstanceExportPhase v : values()) {
            if (v.value.equals(value)) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown InstanceExportPhase: " + value);
    }
}
