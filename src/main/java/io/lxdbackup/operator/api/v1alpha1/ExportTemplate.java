package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import lombok.Data;

/**
 * The InstanceExport spec fields a schedule copies into each export.
 * deletionPolicy defaults to Delete here (unlike InstanceExport) so that retention frees storage.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
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
}
