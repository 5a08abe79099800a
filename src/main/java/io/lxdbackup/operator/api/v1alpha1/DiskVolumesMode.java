package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Which disk volumes an LXD snapshot includes. */
public enum DiskVolumesMode {
    /** Only the root disk. */
    @JsonProperty("root")
    ROOT("root"),
    /** The root disk and all exclusively attached custom volumes. */
    @JsonProperty("all-exclusive")
    ALL_EXCLUSIVE("all-exclusive");

    private final String value;

    DiskVolumesMode(String value) {
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
    public static DiskVolumesMode fromValue(String value) {
        for (DiskVolumesMode v : values()) {
            if (v.value.equals(value)) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown DiskVolumesMode: " + value);
    }
}
