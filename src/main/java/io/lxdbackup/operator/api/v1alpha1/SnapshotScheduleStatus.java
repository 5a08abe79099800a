package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;
import java.util.Objects;

/** Observed state of a SnapshotSchedule. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class SnapshotScheduleStatus extends AbstractScheduleStatus {

    @JsonPropertyDescription("Server mode: instances whose snapshots.* keys this schedule manages.")
    private List<String> configuredInstances;

    @JsonPropertyDescription(
            "Server mode: keys found changed by hand on the server and restored, as instance/key=found (latest reconcile).")
    private List<String> drift;

    public List<String> getConfiguredInstances() {
        return configuredInstances;
    }

    public void setConfiguredInstances(List<String> configuredInstances) {
        this.configuredInstances = configuredInstances;
    }

    public List<String> getDrift() {
        return drift;
    }

    public void setDrift(List<String> drift) {
        this.drift = drift;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass() || !super.equals(o)) {
            return false;
        }
        return true;
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode());
    }

    @Override
    public String toString() {
        return "SnapshotScheduleStatus{" + "" + ", " + super.toString() + "}";
    }
}
