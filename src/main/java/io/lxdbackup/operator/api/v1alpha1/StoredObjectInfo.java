package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import lombok.Data;

/** An object in a BackupStore. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
public class StoredObjectInfo {

    @JsonPropertyDescription("Bucket holding the object.")
    private String bucket;

    @JsonPropertyDescription("Full object key including the store prefix.")
    private String key;

    @JsonPropertyDescription("Object size in bytes.")
    private Long size;

    @JsonPropertyDescription("SHA-256 of the object content as 64 hex digits.")
    private String sha256;
}
