package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How an InstanceCopy brings an existing copy up to date. */
public enum RefreshStrategy {
    /** Refresh a local copy of the target under a staging name and swap it in on success; a failed refresh leaves the target untouched. */
    @JsonProperty("Staging")
    STAGING("Staging"),
    /** Refresh the target itself (cheaper; a failed refresh can leave its root volume half-updated until the next successful one). */
    @JsonProperty("InPlace")
    IN_PLACE("InPlace");

    private final String value;

    RefreshStrategy(String value) {
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
    public static RefreshStrategy fromValue(String value) {
        for (RefreshStrategy v : values()) {
            if (v.value.equals(value)) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown RefreshStrategy: " + value);
    }
}
