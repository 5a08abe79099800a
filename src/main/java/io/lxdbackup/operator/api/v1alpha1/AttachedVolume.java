package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** A custom storage volume attached to an instance as a disk device. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class AttachedVolume {

    @JsonPropertyDescription(
            "Name of the disk device of the instance (or of one of its profiles) that attaches the volume.")
    private String device;

    @JsonPropertyDescription("Storage pool of the custom volume.")
    private String pool;

    @JsonPropertyDescription("Name of the custom volume.")
    private String name;

    @JsonPropertyDescription("Where the volume is mounted in the instance.")
    private String path;

    public AttachedVolume() {}

    public AttachedVolume(String device, String pool, String name, String path) {
        this.device = device;
        this.pool = pool;
        this.name = name;
        this.path = path;
    }

    public String getDevice() {
        return device;
    }

    public void setDevice(String device) {
        this.device = device;
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

    public String getPath() {
        return path;
    }

    public void setPath(String path) {
        this.path = path;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AttachedVolume a
                && Objects.equals(device, a.device)
                && Objects.equals(pool, a.pool)
                && Objects.equals(name, a.name)
                && Objects.equals(path, a.path);
    }

    @Override
    public int hashCode() {
        return Objects.hash(device, pool, name, path);
    }

    @Override
    public String toString() {
        return pool + "/" + name;
    }
}
