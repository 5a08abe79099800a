package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import java.util.List;

/** Which InstanceExports a BackupVerification verifies; the criteria combine (all must hold). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class VerificationSelector {

    @JsonPropertyDescription("Only exports made by this ExportSchedule (label lxdbackup.io/schedule).")
    private ObjectRef scheduleRef;

    @JsonPropertyDescription("Only exports to this BackupStore.")
    private ObjectRef storeRef;

    @JsonPropertyDescription("Only exports of these instances.")
    private List<String> instances;

    @JsonPropertyDescription("Only exports completed within this Go duration (for example 168h).")
    @Pattern(SchemaPatterns.DURATION)
    private String maxAge;

    @JsonPropertyDescription("Only the newest N completed exports of each instance (per remote and project).")
    @Min(1)
    private Integer newestPerInstance;

    public ObjectRef getScheduleRef() {
        return scheduleRef;
    }

    public void setScheduleRef(ObjectRef scheduleRef) {
        this.scheduleRef = scheduleRef;
    }

    public ObjectRef getStoreRef() {
        return storeRef;
    }

    public void setStoreRef(ObjectRef storeRef) {
        this.storeRef = storeRef;
    }

    public List<String> getInstances() {
        return instances;
    }

    public void setInstances(List<String> instances) {
        this.instances = instances;
    }

    public String getMaxAge() {
        return maxAge;
    }

    public void setMaxAge(String maxAge) {
        this.maxAge = maxAge;
    }

    public Integer getNewestPerInstance() {
        return newestPerInstance;
    }

    public void setNewestPerInstance(Integer newestPerInstance) {
        this.newestPerInstance = newestPerInstance;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass()) {
            return false;
        }
        VerificationSelector that = (VerificationSelector) o;
        return java.util.Objects.equals(scheduleRef, that.scheduleRef)
                && java.util.Objects.equals(storeRef, that.storeRef)
                && java.util.Objects.equals(instances, that.instances)
                && java.util.Objects.equals(maxAge, that.maxAge)
                && java.util.Objects.equals(newestPerInstance, that.newestPerInstance);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(scheduleRef, storeRef, instances, maxAge, newestPerInstance);
    }
}
