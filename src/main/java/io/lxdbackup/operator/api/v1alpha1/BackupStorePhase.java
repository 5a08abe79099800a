package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Phase of a BackupStore. */
public enum BackupStorePhase {
    @JsonProperty("Available")
    AVAILABLE("Available"),
    @JsonProperty("Unavailable")
    UNAVAILABLE("Unavailable");

    private final String value;

    BackupStorePhase(String value) {
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
    public static BackupStorePhase fromValue(String value) {
        for (BackupStorePhase v : values()) {
            if (v.value.equals(value)) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown BackupStorePhase: " + value);
    }
}
