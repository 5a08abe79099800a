package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** The result of verifying one InstanceExport. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
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

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public String getInstance() {
        return instance;
    }

    public void setInstance(String instance) {
        this.instance = instance;
    }

    public String getKey() {
        return key;
    }

    public void setKey(String key) {
        this.key = key;
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

    public String getLastVerifiedTime() {
        return lastVerifiedTime;
    }

    public void setLastVerifiedTime(String lastVerifiedTime) {
        this.lastVerifiedTime = lastVerifiedTime;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass()) {
            return false;
        }
        VerifiedExport that = (VerifiedExport) o;
        return java.util.Objects.equals(name, that.name)
                && java.util.Objects.equals(instance, that.instance)
                && java.util.Objects.equals(key, that.key)
                && java.util.Objects.equals(level, that.level)
                && java.util.Objects.equals(result, that.result)
                && java.util.Objects.equals(reason, that.reason)
                && java.util.Objects.equals(message, that.message)
                && java.util.Objects.equals(lastVerifiedTime, that.lastVerifiedTime);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(name, instance, key, level, result, reason, message, lastVerifiedTime);
    }
}
