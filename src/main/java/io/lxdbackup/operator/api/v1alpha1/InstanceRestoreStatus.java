package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** Observed state of an InstanceRestore. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class InstanceRestoreStatus extends BaseStatus<InstanceRestorePhase> {

    @JsonPropertyDescription(
            "Import: the staging instance (lxdbackup-restore-<32 hex derived from the uid>) the object is imported into before it is renamed to the target; absent otherwise.")
    private String stagingInstance;

    @JsonPropertyDescription("Import: the object key restored from.")
    private String objectKey;

    @JsonPropertyDescription("Import: the SHA-256 the object was verified against.")
    private String sha256;

    @JsonPropertyDescription(
            "Import of an export that includes the instance's attached volumes: each volume restored with it (name = the original name, restoredName = the name it was imported under: the original unless a volume of that name existed, then <name>-<8 hex of this restore>); the instance's disk devices point at the restored names.")
    private java.util.List<IncludedVolume> volumes;

    public java.util.List<IncludedVolume> getVolumes() {
        return volumes;
    }

    public void setVolumes(java.util.List<IncludedVolume> volumes) {
        this.volumes = volumes;
    }

    public String getStagingInstance() {
        return stagingInstance;
    }

    public void setStagingInstance(String stagingInstance) {
        this.stagingInstance = stagingInstance;
    }

    public String getObjectKey() {
        return objectKey;
    }

    public void setObjectKey(String objectKey) {
        this.objectKey = objectKey;
    }

    public String getSha256() {
        return sha256;
    }

    public void setSha256(String sha256) {
        this.sha256 = sha256;
    }

    @JsonPropertyDescription("RFC 3339 time the restore started.")
    private String startTime;

    @JsonPropertyDescription("RFC 3339 time the restore was confirmed on the server.")
    private String restoredAt;

    @JsonPropertyDescription("State of the instance after the restore, for example Running or Stopped.")
    private String instanceState;

    @JsonPropertyDescription("Import only: bytes downloaded and sent to the server so far.")
    private Long bytesDone;

    public String getStartTime() {
        return startTime;
    }

    public void setStartTime(String startTime) {
        this.startTime = startTime;
    }

    public String getRestoredAt() {
        return restoredAt;
    }

    public void setRestoredAt(String restoredAt) {
        this.restoredAt = restoredAt;
    }

    public String getInstanceState() {
        return instanceState;
    }

    public void setInstanceState(String instanceState) {
        this.instanceState = instanceState;
    }

    public Long getBytesDone() {
        return bytesDone;
    }

    public void setBytesDone(Long bytesDone) {
        this.bytesDone = bytesDone;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass() || !super.equals(o)) {
            return false;
        }
        InstanceRestoreStatus that = (InstanceRestoreStatus) o;
        return Objects.equals(startTime, that.startTime)
                && Objects.equals(volumes, that.volumes)
                && Objects.equals(restoredAt, that.restoredAt)
                && Objects.equals(instanceState, that.instanceState)
                && Objects.equals(bytesDone, that.bytesDone);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), startTime, restoredAt, instanceState, bytesDone, volumes);
    }

    @Override
    public String toString() {
        return "InstanceRestoreStatus{" + "startTime=" + startTime
                + ", restoredAt=" + restoredAt
                + ", instanceState=" + instanceState
                + ", bytesDone=" + bytesDone + ", " + super.toString() + "}";
    }
}
