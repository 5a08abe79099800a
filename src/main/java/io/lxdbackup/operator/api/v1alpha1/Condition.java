package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import lombok.Data;

/** A Kubernetes-style status condition. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
public class Condition {

    @JsonPropertyDescription("Condition type in CamelCase, for example Ready, Available, Complete or Synced.")
    @Required
    private String type;

    @JsonPropertyDescription("Status of the condition: True, False or Unknown.")
    @Required
    private String status;

    @JsonPropertyDescription("One CamelCase word saying why the condition has this status.")
    private String reason;

    @JsonPropertyDescription("Human readable sentence with details and what to do about it.")
    private String message;

    @JsonPropertyDescription("RFC 3339 time the status last changed (kept while the status stays the same).")
    private String lastTransitionTime;

    @JsonPropertyDescription("metadata.generation the condition was computed from.")
    private Long observedGeneration;

    public static final String TRUE = "True";
    public static final String FALSE = "False";
    public static final String UNKNOWN = "Unknown";

    /** LxdRemote, InstanceSnapshot, SnapshotSchedule, ExportSchedule. */
    public static final String READY = "Ready";
    /** BackupStore. */
    public static final String AVAILABLE = "Available";
    /** InstanceExport, InstanceRestore. */
    public static final String COMPLETE = "Complete";
    /** InstanceCopy. */
    public static final String SYNCED = "Synced";
    /** InstanceCopy: the target was promoted (spec.promote). */
    public static final String PROMOTED = "Promoted";
    /** BackupVerification (the last run), and InstanceExport (its object was checked by one). */
    public static final String VERIFIED = "Verified";

    public Condition() {}

    public Condition(String type, String status, String reason, String message) {
        this.type = type;
        this.status = status;
        this.reason = reason;
        this.message = message;
    }

    @JsonIgnore
    public boolean isTrue() {
        return TRUE.equals(status);
    }
}
