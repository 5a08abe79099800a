package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import lombok.Data;

/** Names an LXD snapshot directly on the server (not an InstanceSnapshot object). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
public class LxdSnapshotRef {

    @JsonPropertyDescription("Name of the snapshot on the LXD server (without the \"instance/\" prefix); required.")
    @Required
    @Size(min = 1, max = 255)
    @Pattern("^[^/]+$")
    private String name;
}
