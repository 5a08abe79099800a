package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Who made a snapshot found on the server (SnapshotSchedule inventory). */
public enum SnapshotOrigin {
    /** An InstanceSnapshot of an operator-mode SnapshotSchedule in the schedule's namespace names it. */
    @JsonProperty("Operator")
    OPERATOR("Operator"),
    /** Mode Server: the name matches the instance's snapshots.pattern, so LXD's own schedule took it. */
    @JsonProperty("Server")
    SERVER("Server"),
    /** Anyone else: lxc snapshot by hand, another tool, an InstanceSnapshot made outside a schedule. */
    @JsonProperty("Other")
    OTHER("Other");

    private final String value;

    SnapshotOrigin(String value) {
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
