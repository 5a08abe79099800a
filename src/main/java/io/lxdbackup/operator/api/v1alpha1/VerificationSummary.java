package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import lombok.Data;

/** What the last run of a BackupVerification found. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
public class VerificationSummary {

    @JsonPropertyDescription("Exports selected.")
    private Integer selected;

    @JsonPropertyDescription("Exports whose checks all passed.")
    private Integer passed;

    @JsonPropertyDescription("Exports with a failed check.")
    private Integer failed;

    @JsonPropertyDescription("Bytes read from the stores for checksums.")
    private Long bytesRead;

    @JsonPropertyDescription("Restore drills run (level Restore).")
    private Integer drills;

    @JsonPropertyDescription("Restore drills that passed.")
    private Integer drillsPassed;
}
