package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How data flows in an InstanceCopy (LXD migration mode). */
public enum CopyMode {
    /** The target server pulls from the source. */
    @JsonProperty("pull")
    PULL("pull"),
    /** The source server pushes to the target. */
    @JsonProperty("push")
    PUSH("push"),
    /** The operator relays between servers that cannot reach each other. */
    @JsonProperty("relay")
    RELAY("relay");

    private final String value;

    CopyMode(String value) {
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
    public static CopyMode fromValue(String value) {
        for (CopyMode v : values()) {
            if (v.value.equals(value)) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown CopyMode: " + value);
    }
}
