package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.Objects;

/** A custom storage volume: its storage pool and name (as in {@code lxc storage volume ... <pool> <name>}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
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

    public String getPool() {
        return pool;
    }

    public void setPool(String pool) {
        this.pool = pool;
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VolumeRef v && Objects.equals(pool, v.pool) && Objects.equals(name, v.name);
    }

    @Override
    public int hashCode() {
        return Objects.hash(pool, name);
    }

    @Override
    public String toString() {
        return pool + "/" + name;
    }
}
