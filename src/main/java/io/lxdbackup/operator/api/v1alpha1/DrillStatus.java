package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import lombok.Data;

/** A restore drill in progress. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
public class DrillStatus {

    @JsonPropertyDescription(
            "Name of the scratch instance (lxdbackup-drill-...); it carries config key user.lxdbackup.drill set to this BackupVerification's uid.")
    private String scratchInstance;

    @JsonPropertyDescription("LxdRemote it is imported on.")
    private String remote;

    @JsonPropertyDescription("LXD project.")
    private String project;

    @JsonPropertyDescription("The InstanceExport imported.")
    private String export;

    @JsonPropertyDescription("RFC 3339 time the drill started.")
    private String startTime;
}
