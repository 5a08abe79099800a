package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import java.util.Objects;

/** S3 Object Lock retention for uploaded objects (the bucket must have Object Lock enabled). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class ObjectLock {

    @JsonPropertyDescription("Object Lock mode: GOVERNANCE or COMPLIANCE; required.")
    @Required
    private ObjectLockMode mode;

    @JsonPropertyDescription("Retention in days set on each uploaded object; required.")
    @Required
    @Min(1)
    private Integer retainDays;

    public ObjectLockMode getMode() {
        return mode;
    }

    public void setMode(ObjectLockMode mode) {
        this.mode = mode;
    }

    public Integer getRetainDays() {
        return retainDays;
    }

    public void setRetainDays(Integer retainDays) {
        this.retainDays = retainDays;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass()) {
            return false;
        }
        ObjectLock that = (ObjectLock) o;
        return Objects.equals(mode, that.mode) && Objects.equals(retainDays, that.retainDays);
    }

    @Override
    public int hashCode() {
        return Objects.hash(mode, retainDays);
    }

    @Override
    public String toString() {
        return "ObjectLock{" + "mode=" + mode + ", retainDays=" + retainDays + "}";
    }
}
