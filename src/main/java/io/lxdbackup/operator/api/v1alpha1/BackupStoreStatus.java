package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.Setter;
import lombok.ToString;

/** Observed state of a BackupStore. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Getter
@Setter
@EqualsAndHashCode(callSuper = true)
@ToString(callSuper = true)
public class BackupStoreStatus extends BaseStatus<BackupStorePhase> {

    @JsonPropertyDescription("RFC 3339 time the store was last checked.")
    private String lastValidationTime;

    @JsonPropertyDescription("Sanitized result of the last check.")
    private String message;

    @JsonPropertyDescription("Exports found in the bucket through their manifests.")
    private List<StoredExport> exports;

    @JsonPropertyDescription("Object keys under the prefix that look like exports but have no manifest.")
    private List<String> unmanifestedObjects;
}
