package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/** Level Restore: the restore drill, a scratch import of the newest export of each selected instance. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class RestoreDrillSpec {

    @JsonPropertyDescription("LxdRemote (same namespace) the scratch instance is imported on; required.")
    @Required
    private ObjectRef remoteRef;

    @JsonPropertyDescription("LXD project of the scratch instance; default: the remote's spec.project.")
    @Size(min = 1, max = 63)
    private String project;

    @JsonPropertyDescription("Storage pool of the scratch instance; absent = the pool recorded in the backup.")
    @Size(max = 253)
    private String storagePool;

    @JsonPropertyDescription(
            "true = start the scratch instance and require it to run; default false (the import alone is checked).")
    @Default("false")
    private Boolean start;

    @JsonPropertyDescription(
            "Run this command (argv) inside the started scratch instance; exit code 0 passes. Implies start.")
    private List<String> command;

    @JsonPropertyDescription("How long starting and the command may take (Go duration); default 5m.")
    @Default("5m")
    @Pattern(SchemaPatterns.DURATION)
    private String timeout;

    public ObjectRef getRemoteRef() {
        return remoteRef;
    }

    public void setRemoteRef(ObjectRef remoteRef) {
        this.remoteRef = remoteRef;
    }

    public String getProject() {
        return project;
    }

    public void setProject(String project) {
        this.project = project;
    }

    public String getStoragePool() {
        return storagePool;
    }

    public void setStoragePool(String storagePool) {
        this.storagePool = storagePool;
    }

    public Boolean getStart() {
        return start;
    }

    public void setStart(Boolean start) {
        this.start = start;
    }

    public List<String> getCommand() {
        return command;
    }

    public void setCommand(List<String> command) {
        this.command = command;
    }

    public String getTimeout() {
        return timeout;
    }

    public void setTimeout(String timeout) {
        this.timeout = timeout;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass()) {
            return false;
        }
        RestoreDrillSpec that = (RestoreDrillSpec) o;
        return java.util.Objects.equals(remoteRef, that.remoteRef)
                && java.util.Objects.equals(project, that.project)
                && java.util.Objects.equals(storagePool, that.storagePool)
                && java.util.Objects.equals(start, that.start)
                && java.util.Objects.equals(command, that.command)
                && java.util.Objects.equals(timeout, that.timeout);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(remoteRef, project, storagePool, start, command, timeout);
    }
}
