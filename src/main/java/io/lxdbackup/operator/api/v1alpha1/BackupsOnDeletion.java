package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** What becomes of a schedule's backups (its children) when the schedule or its namespace is deleted. */
public enum BackupsOnDeletion {
    /** The children and what they made (LXD snapshots, stored objects) stay. */
    @JsonProperty("Retain")
    RETAIN("Retain"),
    /** The children are deleted with the schedule, and their own deletionPolicy applies. */
    @JsonProperty("Delete")
    DELETE("Delete");

    private final String value;

    BackupsOnDeletion(String value) {
        this.value = value;
    }

    @Override
    public String toString() {
        return value;
    }
}
