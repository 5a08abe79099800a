package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** What an instance snapshot or export does with the custom volumes attached to the instance. */
public enum AttachedVolumesMode {
    /** Leave them out (LXD does) and list them in status.volumesNotIncluded. */
    @JsonProperty("Report")
    REPORT("Report"),
    /** Snapshot (or export) each of them in the same run, linked in status.volumes. */
    @JsonProperty("Include")
    INCLUDE("Include");

    private final String value;

    AttachedVolumesMode(String value) {
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
}
