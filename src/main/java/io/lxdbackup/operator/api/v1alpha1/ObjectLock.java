package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import lombok.Data;

/** S3 Object Lock retention for uploaded objects (the bucket must have Object Lock enabled). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
public class ObjectLock {

    @JsonPropertyDescription("Object Lock mode: GOVERNANCE or COMPLIANCE; required.")
    @Required
    private ObjectLockMode mode;

    @JsonPropertyDescription("Retention in days set on each uploaded object; required.")
    @Required
    @Min(1)
    private Integer retainDays;
}
