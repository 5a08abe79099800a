package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import lombok.Data;

/** Desired state of an InstanceExport; only ttl and deletionPolicy may change after creation. */
@ValidationRule(
        value = "self.remoteRef == oldSelf.remoteRef",
        message = "remoteRef is immutable",
        reason = "FieldValueForbidden")
@ValidationRule(
        value =
                "has(self.instance) == has(oldSelf.instance) && (!has(self.instance) || self.instance == oldSelf.instance)",
        message = "instance is immutable",
        reason = "FieldValueForbidden")
@ValidationRule(
        value = "has(self.volume) == has(oldSelf.volume) && (!has(self.volume) || self.volume == oldSelf.volume)",
        message = "volume is immutable",
        reason = "FieldValueForbidden")
@ValidationRule(
        value = "has(self.project) == has(oldSelf.project) && (!has(self.project) || self.project == oldSelf.project)",
        message = "project is immutable",
        reason = "FieldValueForbidden")
@ValidationRule(
        value = "self.storeRef == oldSelf.storeRef",
        message = "storeRef is immutable",
        reason = "FieldValueForbidden")
@ValidationRule(
        value = "has(self.key) == has(oldSelf.key) && (!has(self.key) || self.key == oldSelf.key)",
        message = "key is immutable",
        reason = "FieldValueForbidden")
@ValidationRule(
        value =
                "has(self.compression) == has(oldSelf.compression) && (!has(self.compression) || self.compression == oldSelf.compression)",
        message = "compression is immutable",
        reason = "FieldValueForbidden")
@ValidationRule(
        value =
                "has(self.optimizedStorage) == has(oldSelf.optimizedStorage) && (!has(self.optimizedStorage) || self.optimizedStorage == oldSelf.optimizedStorage)",
        message = "optimizedStorage is immutable",
        reason = "FieldValueForbidden")
@ValidationRule(
        value =
                "has(self.instanceOnly) == has(oldSelf.instanceOnly) && (!has(self.instanceOnly) || self.instanceOnly == oldSelf.instanceOnly)",
        message = "instanceOnly is immutable",
        reason = "FieldValueForbidden")
@ValidationRule(
        value =
                "has(self.exportVersion) == has(oldSelf.exportVersion) && (!has(self.exportVersion) || self.exportVersion == oldSelf.exportVersion)",
        message = "exportVersion is immutable",
        reason = "FieldValueForbidden")
@ValidationRule(
        value = "has(self.instance) != has(self.volume)",
        message = "set exactly one of instance (an instance) and volume (a custom storage volume: {pool, name})")
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
public class InstanceExportSpec {

    @JsonPropertyDescription("Reference to the LxdRemote (same namespace) hosting the instance; required.")
    @Required
    private ObjectRef remoteRef;

    @JsonPropertyDescription("Name of the instance to export; exactly one of instance and volume.")
    @Size(min = 1, max = 63)
    private String instance;

    @JsonPropertyDescription(
            "Custom storage volume to export instead of an instance ({pool, name}); exactly one of instance and volume. instanceOnly then means without the volume snapshots.")
    private VolumeRef volume;

    @JsonPropertyDescription("LXD project; default: the LxdRemote's spec.project.")
    @Size(min = 1, max = 63)
    private String project;

    @JsonPropertyDescription("BackupStore (same namespace) to upload to; required.")
    @Required
    private ObjectRef storeRef;

    @JsonPropertyDescription(
            "Object key below the store prefix; absent or empty = <namespace>/<remote>/<project>/<instance>/<name>.tar.<ext>.")
    @Size(max = 1024)
    @ValidationRule(value = "!self.startsWith('/')", message = "must not start with '/'")
    private String key;

    @JsonPropertyDescription(
            "Compression: auto (fastest the server supports), none, gzip, bzip2, xz, zstd or lz4; default auto.")
    @Default("auto")
    private Compression compression;

    @JsonPropertyDescription(
            "true = storage-driver-specific format (faster, restorable only to the same driver); default false.")
    @Default("false")
    private Boolean optimizedStorage;

    @JsonPropertyDescription("true = leave out the instance snapshots; default false.")
    @Default("false")
    private Boolean instanceOnly;

    @JsonPropertyDescription("Backup format version: 0 = server default, 1 or 2 where supported; default 0.")
    @Default("0")
    @Min(0)
    @Max(2)
    private Integer exportVersion;

    @JsonPropertyDescription(
            "Delete the object and this object this long after completion (Go duration, for example 720h); absent = keep.")
    @Pattern(SchemaPatterns.DURATION)
    private String ttl;

    @JsonPropertyDescription("Retain keeps the object when this object is deleted, Delete removes it; default Retain.")
    @Default("Retain")
    private DeletionPolicy deletionPolicy;

    @JsonPropertyDescription(
            "Custom volumes attached to the instance: Report lists them in status.volumesNotIncluded (LXD leaves them out of the export), Include exports each of them to the same BackupStore next to the instance's object, listed in its manifest, and an InstanceRestore of this export restores them too; instances only; read when the export runs; default Report.")
    @Default("Report")
    private AttachedVolumesMode attachedVolumes;
}
