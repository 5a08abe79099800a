package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import lombok.Data;

/** The result of verifying one InstanceExport. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
public class VerifiedExport {

    @JsonPropertyDescription("The InstanceExport.")
    private String name;

    @JsonPropertyDescription("Its instance.")
    private String instance;

    @JsonPropertyDescription("Its object key.")
    private String key;

    @JsonPropertyDescription(
            "The deepest check made: Checksum, or Restore when the export was also imported by a drill.")
    private VerificationLevel level;

    @JsonPropertyDescription("Passed or Failed.")
    private VerificationResult result;

    @JsonPropertyDescription(
            "One CamelCase word: Verified, ChecksumMismatch, ObjectMissing, RestoreDrillFailed or the failure's reason.")
    private String reason;

    @JsonPropertyDescription("What was found, and what to do.")
    private String message;

    @JsonPropertyDescription("RFC 3339 time of this check.")
    private String lastVerifiedTime;
}
