package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.Map;
import lombok.Data;

/**
 * Selects custom storage volumes of one storage pool by config and name, as {@link
 * InstanceSelector} selects instances; all conditions must hold.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
public class VolumeSelector {

    @JsonPropertyDescription("Storage pool whose custom volumes are selected; required.")
    @Required
    @Size(min = 1, max = 63)
    @Pattern("^[^/]+$")
    private String pool;

    @JsonPropertyDescription(
            "Volume config keys and values that must all match exactly, for example {\"user.backup\": \"true\"}; absent = no config condition.")
    @Size(max = 64)
    private Map<String, String> matchConfig;

    @JsonPropertyDescription("Shell-style glob (* and ?) the volume name must match; absent = any name.")
    @Size(min = 1, max = 253)
    private String namePattern;
}
