package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/**
 * A custom volume attached to the instance that was backed up with it (attachedVolumes:
 * Include): its snapshot, or its export object. Recorded before the snapshot or object is
 * made, so a restarted operator finds it instead of making a second one, and deletion removes
 * exactly these.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
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

    public String getRestoredName() {
        return restoredName;
    }

    public void setRestoredName(String restoredName) {
        this.restoredName = restoredName;
    }

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

    public String getSnapshotName() {
        return snapshotName;
    }

    public void setSnapshotName(String snapshotName) {
        this.snapshotName = snapshotName;
    }

    public String getKey() {
        return key;
    }

    public void setKey(String key) {
        this.key = key;
    }

    public String getSha256() {
        return sha256;
    }

    public void setSha256(String sha256) {
        this.sha256 = sha256;
    }

    public Long getSize() {
        return size;
    }

    public void setSize(Long size) {
        this.size = size;
    }

    public Boolean getDone() {
        return done;
    }

    public void setDone(Boolean done) {
        this.done = done;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IncludedVolume v
                && Objects.equals(device, v.device)
                && Objects.equals(pool, v.pool)
                && Objects.equals(name, v.name)
                && Objects.equals(path, v.path)
                && Objects.equals(snapshotName, v.snapshotName)
                && Objects.equals(key, v.key)
                && Objects.equals(sha256, v.sha256)
                && Objects.equals(size, v.size)
                && Objects.equals(restoredName, v.restoredName)
                && Objects.equals(done, v.done);
    }

    @Override
    public int hashCode() {
        return Objects.hash(device, pool, name, path, snapshotName, key, sha256, size, restoredName, done);
    }

    @Override
    public String toString() {
        return pool + "/" + name + " (device " + device + ")";
    }
}
