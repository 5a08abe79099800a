package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.List;
import lombok.Data;

/** Level Restore: the restore drill, a scratch import of the newest export of each selected instance. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
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
}
