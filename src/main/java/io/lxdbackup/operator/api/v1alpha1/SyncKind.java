package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** What the last copy of an InstanceCopy transferred. */
public enum SyncKind {
    /** Everything: a first copy, or a relay copy (relay cannot be incremental). */
    @JsonProperty("Full")
    FULL("Full"),
    /** Only new snapshots and changed data (LXD refresh). */
    @JsonProperty("Incremental")
    INCREMENTAL("Incremental");

    private final String value;

    SyncKind(String value) {
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

    /** Parses the YAML value; throws {@link IllegalArgumentException} for unknown values. */
    public static SyncKind fromValue(String value) {
        for (SyncKind v : values()) {
            if (v.value.equals(value)) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown SyncKind: " + value);
    }
}
