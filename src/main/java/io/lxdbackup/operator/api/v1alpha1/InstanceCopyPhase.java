package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Phase of an InstanceCopy. */
public enum InstanceCopyPhase {
    @JsonProperty("Pending")
    PENDING("Pending"),
    @JsonProperty("Copying")
    COPYING("Copying"),
    @JsonProperty("Synced")
    SYNCED("Synced"),
    @JsonProperty("Failed")
    FAILED("Failed"),
    @JsonProperty("Suspended")
    SUSPENDED("Suspended"),
    @JsonProperty("Promoted")
    PROMOTED("Promoted");

    private final String value;

    InstanceCopyPhase(String value) {
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
    public static InstanceCopyPhase fromValue(String value) {
        for (InstanceCopyPhase v : values()) {
            if (v.value.equals(value)) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown InstanceCopyPhase: " + value);
    }
}
