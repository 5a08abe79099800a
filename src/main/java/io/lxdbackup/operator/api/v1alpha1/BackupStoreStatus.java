package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;
import java.util.Objects;

/** Observed state of a BackupStore. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class BackupStoreStatus extends BaseStatus<BackupStorePhase> {

    @JsonPropertyDescription("RFC 3339 time the store was last checked.")
    private String lastValidationTime;

    @JsonPropertyDescription("Sanitized result of the last check.")
    private String message;

    @JsonPropertyDescription("Exports found in the bucket through their manifests.")
    private List<StoredExport> exports;

    @JsonPropertyDescription("Object keys under the prefix that look like exports but have no manifest.")
    private List<String> unmanifestedObjects;

    public String getLastValidationTime() {
        return lastValidationTime;
    }

    public void setLastValidationTime(String lastValidationTime) {
        this.lastValidationTime = lastValidationTime;
    }

    public String getMessage() {
        return message;
    }

    public void setMessage(String message) {
        this.message = message;
    }

    public List<StoredExport> getExports() {
        return exports;
    }

    public void setExports(List<StoredExport> exports) {
        this.exports = exports;
    }

    public List<String> getUnmanifestedObjects() {
        return unmanifestedObjects;
    }

    public void setUnmanifestedObjects(List<String> unmanifestedObjects) {
        this.unmanifestedObjects = unmanifestedObjects;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass() || !super.equals(o)) {
            return false;
        }
        BackupStoreStatus that = (BackupStoreStatus) o;
        return Objects.equals(lastValidationTime, that.lastValidationTime)
                && Objects.equals(message, that.message)
                && Objects.equals(exports, that.exports)
                && Objects.equals(unmanifestedObjects, that.unmanifestedObjects);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), lastValidationTime, message, exports, unmanifestedObjects);
    }

    @Override
    public String toString() {
        return "BackupStoreStatus{" + "lastValidationTime=" + lastValidationTime
                + ", message=" + message
                + ", exports=" + exports
                + ", unmanifestedObjects=" + unmanifestedObjects + ", " + super.toString() + "}";
    }
}
