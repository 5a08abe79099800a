package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How the operator may use a BackupStore. */
public enum AccessMode {
    @JsonProperty("ReadWrite")
    READ_WRITE("ReadWrite"),
    /** Only restores; exports to the store are refused (for example a store shared with another cluster). */
    @JsonProperty("ReadOnly")
    READ_ONLY("ReadOnly");

    private final String value;

    AccessMode(String value) {
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
    public static AccessMode fromValue(String value) {
        for (AccessMode v : values()) {
            if (v.value.equals(value)) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown AccessMode: " + value);
    }
}
