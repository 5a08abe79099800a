package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.Setter;
import lombok.ToString;

/** Observed state of a SnapshotSchedule. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Getter
@Setter
@EqualsAndHashCode(callSuper = true)
@ToString(callSuper = true)
public class SnapshotScheduleStatus extends AbstractScheduleStatus {

    @JsonPropertyDescription("Server mode: instances whose snapshots.* keys this schedule manages.")
    private List<String> configuredInstances;

    @JsonPropertyDescription("Server mode: custom volumes (pool/name) whose snapshots.* keys this schedule manages.")
    private List<String> configuredVolumes;

    @JsonPropertyDescription(
            "Server mode: keys found changed by hand on the server and restored, as instance/key=found or pool/volume/key=found (latest reconcile).")
    private List<String> drift;

    @JsonPropertyDescription(
            "RFC 3339 time of the LXD listing at which instances[].snapshots last changed (LXD is listed at each run in Operator mode, at each check in Server mode).")
    private String inventoryTime;

    @JsonPropertyDescription(
            "RFC 3339 creation time of the newest snapshot the server holds of any selected instance, whoever made it.")
    private String lastSnapshotTime;

    @JsonPropertyDescription(
            "Selected instances left out of the inventory (beyond the first 100 by name, or past 1000 listed snapshots).")
    private Integer inventoryOmittedInstances;
}
