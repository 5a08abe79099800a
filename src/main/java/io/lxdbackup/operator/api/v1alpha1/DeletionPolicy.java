package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** What happens to the LXD snapshot or stored object when its custom resource is deleted. */
public enum DeletionPolicy {
    /** Deleting the custom resource also deletes what it created (LXD snapshot or stored object). */
    @JsonProperty("Delete")
    DELETE("Delete"),
    /** Deleting the custom resource keeps what it created. */
    @JsonProperty("Retain")
    RETAIN("Retain");

    private final String value;

    DeletionPolicy(String value) {
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
    public static DeletionPolicy fromValue(String value) {
        for (DeletionPolicy v : values()) {
            if (v.value.equals(value)) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown DeletionPolicy: " + value);
    }
}
