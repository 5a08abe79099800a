package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** An export found in a BackupStore through its manifest. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class StoredExport {

    @JsonPropertyDescription("Object key of the export.")
    private String key;

    @JsonPropertyDescription("Instance name recorded in the manifest.")
    private String instance;

    @JsonPropertyDescription("LxdRemote name recorded in the manifest.")
    private String remote;

    @JsonPropertyDescription("LXD project recorded in the manifest.")
    private String project;

    @JsonPropertyDescription("Compression of the export recorded in the manifest.")
    private String compression;

    @JsonPropertyDescription("Object size in bytes.")
    private Long size;

    @JsonPropertyDescription("SHA-256 of the object as 64 hex digits.")
    private String sha256;

    @JsonPropertyDescription("RFC 3339 time the export was created.")
    private String createdAt;

    public String getKey() {
        return key;
    }

    public void setKey(String key) {
        this.key = key;
    }

    public String getInstance() {
        return instance;
    }

    public void setInstance(String instance) {
        this.instance = instance;
    }

    public String getRemote() {
        return remote;
    }

    public void setRemote(String remote) {
        this.remote = remote;
    }

    public String getProject() {
        return project;
    }

    public void setProject(String project) {
        this.project = project;
    }

    public String getCompression() {
        return compression;
    }

    public void setCompression(String compression) {
        this.compression = compression;
    }

    public Long getSize() {
        return size;
    }

    public void setSize(Long size) {
        this.size = size;
    }

    public String getSha256() {
        return sha256;
    }

    public void setSha256(String sha256) {
        this.sha256 = sha256;
    }

    public String getCreatedAt() {
        return createdAt;
    }

    public void setCreatedAt(String createdAt) {
        this.createdAt = createdAt;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass()) {
            return false;
        }
        StoredExport that = (StoredExport) o;
        return Objects.equals(key, that.key)
                && Objects.equals(instance, that.instance)
                && Objects.equals(remote, that.remote)
                && Objects.equals(project, that.project)
                && Objects.equals(compression, that.compression)
                && Objects.equals(size, that.size)
                && Objects.equals(sha256, that.sha256)
                && Objects.equals(createdAt, that.createdAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, instance, remote, project, compression, size, sha256, createdAt);
    }

    @Override
    public String toString() {
        return "StoredExport{" + "key=" + key
                + ", instance=" + instance
                + ", remote=" + remote
                + ", project=" + project
                + ", compression=" + compression
                + ", size=" + size
                + ", sha256=" + sha256
                + ", createdAt=" + createdAt + "}";
    }
}
