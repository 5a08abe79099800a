package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import lombok.Data;

/** The last verification of an export by a BackupVerification. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
public class ExportVerification {

    @JsonPropertyDescription("RFC 3339 time of the last verification.")
    private String lastVerifiedTime;

    @JsonPropertyDescription("Checksum, or Restore when the export was also imported by a restore drill.")
    private VerificationLevel level;

    @JsonPropertyDescription("Passed or Failed.")
    private VerificationResult result;

    @JsonPropertyDescription("Verified, ChecksumMismatch, ObjectMissing or RestoreDrillFailed.")
    private String reason;

    @JsonPropertyDescription("What was found.")
    private String message;

    @JsonPropertyDescription("The BackupVerification that checked it.")
    private String verifiedBy;
}
