package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import lombok.Data;

/** A reference to an object in the same namespace (cross-namespace references are not allowed). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
public class ObjectRef {

    @JsonPropertyDescription("Name of the referenced object in the same namespace; required.")
    @Required
    @Size(min = 1, max = 253)
    private String name;

    public ObjectRef() {}

    public ObjectRef(String name) {
        this.name = name;
    }
}
