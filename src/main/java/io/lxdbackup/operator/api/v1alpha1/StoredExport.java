package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import lombok.Data;

/** An export found in a BackupStore through its manifest. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
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
}
