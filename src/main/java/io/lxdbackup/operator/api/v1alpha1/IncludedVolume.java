package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.Setter;

/**
 * A custom volume attached to the instance that was backed up with it (attachedVolumes:
 * Include): its snapshot, or its export object. Recorded before the snapshot or object is
 * made, so a restarted operator finds it instead of making a second one, and deletion removes
 * exactly these.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Getter
@Setter
@EqualsAndHashCode
public class IncludedVolume {

    @JsonPropertyDescription("Disk device of the instance (or of one of its profiles) that attaches the volume.")
    private String device;

    @JsonPropertyDescription("Storage pool of the custom volume.")
    private String pool;

    @JsonPropertyDescription("Name of the custom volume.")
    private String name;

    @JsonPropertyDescription("Where the volume is mounted in the instance.")
    private String path;

    @JsonPropertyDescription("InstanceSnapshot: name of the volume snapshot this resource made.")
    private String snapshotName;

    @JsonPropertyDescription("InstanceExport: key of the volume's export object, next to the instance's object.")
    private String key;

    @JsonPropertyDescription("InstanceExport: SHA-256 (hex) of the volume's export object; set once it is verified.")
    private String sha256;

    @JsonPropertyDescription("Bytes of the volume snapshot (when the server reports it) or of the export object.")
    private Long size;

    @JsonPropertyDescription(
            "InstanceRestore: the name the volume was imported under (the original name unless a volume of that name existed).")
    private String restoredName;

    @JsonPropertyDescription(
            "true once the snapshot exists, or the object is uploaded and verified (restored, for a restore).")
    private Boolean done;

    public IncludedVolume() {}

    public IncludedVolume(String device, String pool, String name, String path) {
        this.device = device;
        this.pool = pool;
        this.name = name;
        this.path = path;
    }

    @Override
    public String toString() {
        return pool + "/" + name + " (device " + device + ")";
    }
}
