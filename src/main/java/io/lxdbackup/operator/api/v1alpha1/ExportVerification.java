package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** The last verification of an export by a BackupVerification. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
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

    public String getLastVerifiedTime() {
        return lastVerifiedTime;
    }

    public void setLastVerifiedTime(String lastVerifiedTime) {
        this.lastVerifiedTime = lastVerifiedTime;
    }

    public VerificationLevel getLevel() {
        return level;
    }

    public void setLevel(VerificationLevel level) {
        this.level = level;
    }

    public VerificationResult getResult() {
        return result;
    }

    public void setResult(VerificationResult result) {
        this.result = result;
    }

    public String getReason() {
        return reason;
    }

    public void setReason(String reason) {
        this.reason = reason;
    }

    public String getMessage() {
        return message;
    }

    public void setMessage(String message) {
        this.message = message;
    }

    public String getVerifiedBy() {
        return verifiedBy;
    }

    public void setVerifiedBy(String verifiedBy) {
        this.verifiedBy = verifiedBy;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass()) {
            return false;
        }
        ExportVerification that = (ExportVerification) o;
        return java.util.Objects.equals(lastVerifiedTime, that.lastVerifiedTime)
                && java.util.Objects.equals(level, that.level)
                && java.util.Objects.equals(result, that.result)
                && java.util.Objects.equals(reason, that.reason)
                && java.util.Objects.equals(message, that.message)
                && java.util.Objects.equals(verifiedBy, that.verifiedBy);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(lastVerifiedTime, level, result, reason, message, verifiedBy);
    }
}
