package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** What an import does when the target instance exists. */
public enum ExistingInstancePolicy {
    /** Refuse to import over an existing instance. */
    @JsonProperty("Fail")
    FAIL("Fail"),
    /** Delete the existing instance and import in its place. */
    @JsonProperty("Replace")
    REPLACE("Replace");

    private final String value;

    ExistingInstancePolicy(String value) {
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
    public static ExistingInstancePolicy fromValue(String value) {
        for (ExistingInstancePolicy v : values()) {
            if (v.value.equals(value)) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown ExistingInstancePolicy: " + value);
    }
}
