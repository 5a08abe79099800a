package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.Setter;

/** A custom storage volume attached to an instance as a disk device. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Getter
@Setter
@EqualsAndHashCode
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

    @Override
    public String toString() {
        return pool + "/" + name;
    }
}
