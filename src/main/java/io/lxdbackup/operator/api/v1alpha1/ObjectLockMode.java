package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** S3 Object Lock retention mode. */
public enum ObjectLockMode {
    @JsonProperty("GOVERNANCE")
    GOVERNANCE("GOVERNANCE"),
    @JsonProperty("COMPLIANCE")
    COMPLIANCE("COMPLIANCE");

    private final String value;

    ObjectLockMode(String value) {
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
    public static ObjectLockMode fromValue(String value) {
        for (ObjectLockMode v : values()) {
            if (v.value.equals(value)) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown ObjectLockMode: " + value);
    }
}
