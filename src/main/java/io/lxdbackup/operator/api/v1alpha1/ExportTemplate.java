package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import java.util.Objects;

/**
 * The InstanceExport spec fields a schedule copies into each export.
 * deletionPolicy defaults to Delete here (unlike InstanceExport) so that retention frees storage.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class ExportTemplate {

    @JsonPropertyDescription("BackupStore (same namespace) to upload to; required.")
    @Required
    private ObjectRef storeRef;

    @JsonPropertyDescription("Compression: auto, none, gzip, bzip2, xz, zstd or lz4; default auto.")
    @Default("auto")
    private Compression compression;

    @JsonPropertyDescription("true = leave out the instance snapshots; default false.")
    @Default("false")
    private Boolean instanceOnly;

    @JsonPropertyDescription("true = storage-driver-specific format; default false.")
    @Default("false")
    private Boolean optimizedStorage;

    @JsonPropertyDescription("Backup format version: 0 = server default, 1 or 2 where supported; default 0.")
    @Default("0")
    @Min(0)
    @Max(2)
    private Integer exportVersion;

    @JsonPropertyDescription(
            "Delete each export this long after completion (Go duration, for example 720h); absent = retention only.")
    @Pattern(SchemaPatterns.DURATION)
    private String ttl;

    @JsonPropertyDescription(
            "Delete removes the object when retention deletes the InstanceExport, Retain keeps it; default Delete.")
    @Default("Delete")
    private DeletionPolicy deletionPolicy;

    @JsonPropertyDescription("attachedVolumes of each InstanceExport (Report or Include); default Report.")
    private AttachedVolumesMode attachedVolumes;

    public AttachedVolumesMode getAttachedVolumes() {
        return attachedVolumes;
    }

    public void setAttachedVolumes(AttachedVolumesMode attachedVolumes) {
        this.attachedVolumes = attachedVolumes;
    }

    public ObjectRef getStoreRef() {
        return storeRef;
    }

    public void setStoreRef(ObjectRef storeRef) {
        this.storeRef = storeRef;
    }

    public Compression getCompression() {
        return compression;
    }

    public void setCompression(Compression compression) {
        this.compression = compression;
    }

    public Boolean getInstanceOnly() {
        return instanceOnly;
    }

    public void setInstanceOnly(Boolean instanceOnly) {
        this.instanceOnly = instanceOnly;
    }

    public Boolean getOptimizedStorage() {
        return optimizedStorage;
    }

    public void setOptimizedStorage(Boolean optimizedStorage) {
        this.optimizedStorage = optimizedStorage;
    }

    public Integer getExportVersion() {
        return exportVersion;
    }

    public void setExportVersion(Integer exportVersion) {
        this.exportVersion = exportVersion;
    }

    public String getTtl() {
        return ttl;
    }

    public void setTtl(String ttl) {
        this.ttl = ttl;
    }

    public DeletionPolicy getDeletionPolicy() {
        return deletionPolicy;
    }

    public void setDeletionPolicy(DeletionPolicy deletionPolicy) {
        this.deletionPolicy = deletionPolicy;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass()) {
            return false;
        }
        ExportTemplate that = (ExportTemplate) o;
        return Objects.equals(storeRef, that.storeRef)
                && Objects.equals(attachedVolumes, that.attachedVolumes)
                && Objects.equals(compression, that.compression)
                && Objects.equals(instanceOnly, that.instanceOnly)
                && Objects.equals(optimizedStorage, that.optimizedStorage)
                && Objects.equals(exportVersion, that.exportVersion)
                && Objects.equals(ttl, that.ttl)
                && Objects.equals(deletionPolicy, that.deletionPolicy);
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                storeRef,
                compression,
                instanceOnly,
                optimizedStorage,
                exportVersion,
                ttl,
                deletionPolicy,
                attachedVolumes);
    }

    @Override
    public String toString() {
        return "ExportTemplate{" + "storeRef=" + storeRef
                + ", compression=" + compression
                + ", instanceOnly=" + instanceOnly
                + ", optimizedStorage=" + optimizedStorage
                + ", exportVersion=" + exportVersion
                + ", ttl=" + ttl
                + ", deletionPolicy=" + deletionPolicy + "}";
    }
}
