package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** A restore drill in progress. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class DrillStatus {

    @JsonPropertyDescription(
            "Name of the scratch instance (lxdbackup-drill-...); it carries config key user.lxdbackup.drill set to this BackupVerification's uid.")
    private String scratchInstance;

    @JsonPropertyDescription("LxdRemote it is imported on.")
    private String remote;

    @JsonPropertyDescription("LXD project.")
    private String project;

    @JsonPropertyDescription("The InstanceExport imported.")
    private String export;

    @JsonPropertyDescription("RFC 3339 time the drill started.")
    private String startTime;

    public String getScratchInstance() {
        return scratchInstance;
    }

    public void setScratchInstance(String scratchInstance) {
        this.scratchInstance = scratchInstance;
    }

    public String getRemote() {
        return remote;
    }

    public void setRemote(String remote) {
        this.remote = remote;
    }

    public String getProject() {
        return project;
    }

    public void setProject(String project) {
        this.project = project;
    }

    public String getExport() {
        return export;
    }

    public void setExport(String export) {
        this.export = export;
    }

    public String getStartTime() {
        return startTime;
    }

    public void setStartTime(String startTime) {
        this.startTime = startTime;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass()) {
            return false;
        }
        DrillStatus that = (DrillStatus) o;
        return java.util.Objects.equals(scratchInstance, that.scratchInstance)
                && java.util.Objects.equals(remote, that.remote)
                && java.util.Objects.equals(project, that.project)
                && java.util.Objects.equals(export, that.export)
                && java.util.Objects.equals(startTime, that.startTime);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(scratchInstance, remote, project, export, startTime);
    }
}
