package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.Setter;
import lombok.ToString;

/** Desired state of a SnapshotSchedule. */
@ValidationRule(
        value =
                "(has(self.instances) && size(self.instances) > 0) || has(self.instanceSelector) || (has(self.volumes) && size(self.volumes) > 0) || has(self.volumeSelector)",
        message = "set instances, instanceSelector, volumes or volumeSelector (any combination)")
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Getter
@Setter
@EqualsAndHashCode(callSuper = true)
@ToString(callSuper = true)
public class SnapshotScheduleSpec extends AbstractScheduleSpec {

    @JsonPropertyDescription("true = also snapshot stopped instances (like snapshots.schedule.stopped); default false.")
    @Default("false")
    private Boolean includeStopped;

    @JsonPropertyDescription("true = stateful snapshots (VMs, needs server support); default false.")
    @Default("false")
    private Boolean stateful;

    @JsonPropertyDescription(
            "LXD snapshot name pattern, for example auto-{{ creation_date|date:'2006-01-02-1504' }} or auto-%d (%d: one more than the highest number in use, as LXD); absent = the server's snapshots.pattern.")
    @Size(min = 1, max = 255)
    private String snapshotNamePattern;

    @JsonPropertyDescription(
            "Server-side expiry set on each snapshot as a Go duration (for example 168h); absent = none.")
    @Pattern(SchemaPatterns.DURATION)
    private String expiry;

    @JsonPropertyDescription(
            "Operator creates InstanceSnapshot objects and applies retention; Server configures LXD to snapshot by itself; default Operator.")
    @Default("Operator")
    private SnapshotScheduleMode mode;

    @JsonPropertyDescription(
            "What status reports of the snapshots the server holds per selected instance (whoever made them); absent = the defaults.")
    private InventorySpec inventory;

    @JsonPropertyDescription(
            "attachedVolumes of each InstanceSnapshot (Report or Include; Operator mode only); default Report.")
    private AttachedVolumesMode attachedVolumes;
}
