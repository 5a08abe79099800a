package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.Setter;

/** A custom storage volume: its storage pool and name (as in {@code lxc storage volume ... <pool> <name>}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Getter
@Setter
@EqualsAndHashCode
public class VolumeRef {

    @JsonPropertyDescription("Storage pool holding the custom volume; required.")
    @Required
    @Size(min = 1, max = 63)
    @Pattern("^[^/]+$")
    private String pool;

    @JsonPropertyDescription("Name of the custom volume (type custom) in that pool; required.")
    @Required
    @Size(min = 1, max = 63)
    @Pattern("^[^/]+$")
    private String name;

    public VolumeRef() {}

    public VolumeRef(String pool, String name) {
        this.pool = pool;
        this.name = name;
    }

    @Override
    public String toString() {
        return pool + "/" + name;
    }
}
