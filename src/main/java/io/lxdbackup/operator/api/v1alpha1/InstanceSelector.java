package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import java.util.Map;
import lombok.Data;

/** Selects instances on the remote by config and name; both conditions must hold. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
public class InstanceSelector {

    @JsonPropertyDescription(
            "Instance config keys and values that must all match exactly, for example {\"user.backup\": \"true\"}; absent = no config condition.")
    @Size(max = 64)
    private Map<String, String> matchConfig;

    @JsonPropertyDescription("Shell-style glob (* and ?) the instance name must match; absent = any name.")
    @Size(min = 1, max = 253)
    private String namePattern;
}
