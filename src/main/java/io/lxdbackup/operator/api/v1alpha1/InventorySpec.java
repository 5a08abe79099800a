package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import lombok.Data;

/** How much of the server's snapshots a SnapshotSchedule reports in its status. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
public class InventorySpec {

    /** Default of {@link #maxSnapshotsPerInstance}. */
    public static final int DEFAULT_MAX_PER_INSTANCE = 10;
    /** Largest {@link #maxSnapshotsPerInstance} accepted. */
    public static final int MAX_PER_INSTANCE = 50;

    @JsonPropertyDescription(
            "Newest snapshots listed per instance in status.instances[].snapshots.items (0-50, default 10; 0 = counts only).")
    @Min(0)
    @Max(MAX_PER_INSTANCE)
    private Integer maxSnapshotsPerInstance;

    /** The effective limit. */
    public static int maxPerInstance(InventorySpec spec) {
        return spec == null || spec.maxSnapshotsPerInstance == null
                ? DEFAULT_MAX_PER_INSTANCE
                : Math.max(0, Math.min(MAX_PER_INSTANCE, spec.maxSnapshotsPerInstance));
    }
}
