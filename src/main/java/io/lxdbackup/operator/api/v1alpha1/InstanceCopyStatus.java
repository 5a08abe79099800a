package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import java.util.List;
import java.util.Objects;

/** Observed state of an InstanceCopy. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class InstanceCopyStatus extends BaseStatus<InstanceCopyPhase> {

  @JsonPropertyDescription("RFC 3339 time the last copy finished (successfully or not).")
  private String lastSyncTime;

  @JsonPropertyDescription("RFC 3339 time the last successful copy finished.")
  private String lastSuccessfulSyncTime;

  @JsonPropertyDescription("RFC 3339 time of the next scheduled copy; absent without schedule or while suspended.")
  private String nextSyncTime;

  @JsonPropertyDescription("Snapshot names of the instance on the source after the last copy.")
  private List<String> snapshotsOnSource;

  @JsonPropertyDescription("Snapshot names of the instance on the target after the last copy.")
  private List<String> snapshotsOnTarget;

  public String getLastSyncTime() {
    return lastSyncTime;
  }

  public void setLastSyncTime(String lastSyncTime) {
    this.lastSyncTime = lastSyncTime;
  }

  public String getLastSuccessfulSyncTime() {
    return lastSuccessfulSyncTime;
  }

  public void setLastSuccessfulSyncTime(String lastSuccessfulSyncTime) {
    this.lastSuccessfulSyncTime = lastSuccessfulSyncTime;
  }

  public String getNextSyncTime() {
    return nextSyncTime;
  }

  public void setNextSyncTime(String nextSyncTime) {
    this.nextSyncTime = nextSyncTime;
  }

  public List<String> getSnapshotsOnSource() {
    return snapshotsOnSource;
  }

  public void setSnapshotsOnSource(List<String> snapshotsOnSource) {
    this.snapshotsOnSource = snapshotsOnSource;
  }

  public List<String> getSnapshotsOnTarget() {
    return snapshotsOnTarget;
  }

  public void setSnapshotsOnTarget(List<String> snapshotsOnTarget) {
    this.snapshotsOnTarget = snapshotsOnTarget;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (o == null || getClass() != o.getClass() || !super.equals(o)) {
      return false;
    }
    InstanceCopyStatus that = (InstanceCopyStatus) o;
    return Objects.equals(lastSyncTime, that.lastSyncTime)
        && Objects.equals(lastSuccessfulSyncTime, that.lastSuccessfulSyncTime)
        && Objects.equals(nextSyncTime, that.nextSyncTime)
        && Objects.equals(snapshotsOnSource, that.snapshotsOnSource)
        && Objects.equals(snapshotsOnTarget, that.snapshotsOnTarget);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        super.hashCode(),
        lastSyncTime,
        lastSuccessfulSyncTime,
        nextSyncTime,
        snapshotsOnSource,
        snapshotsOnTarget);
  }

  @Override
  public String toString() {
    return "InstanceCopyStatus{" + "lastSyncTime=" + lastSyncTime
        + ", lastSuccessfulSyncTime=" + lastSuccessfulSyncTime
        + ", nextSyncTime=" + nextSyncTime
        + ", snapshotsOnSource=" + snapshotsOnSource
        + ", snapshotsOnTarget=" + snapshotsOnTarget + ", " + super.toString() + "}";
  }
}
