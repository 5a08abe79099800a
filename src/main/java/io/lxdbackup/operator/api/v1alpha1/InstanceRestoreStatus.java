package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.Setter;
import lombok.ToString;

/** Observed state of an InstanceRestore. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Getter
@Setter
@EqualsAndHashCode(callSuper = true)
@ToString(callSuper = true)
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
    private List<IncludedVolume> volumes;

    @JsonPropertyDescription("RFC 3339 time the restore started.")
    private String startTime;

    @JsonPropertyDescription("RFC 3339 time the restore was confirmed on the server.")
    private String restoredAt;

    @JsonPropertyDescription("State of the instance after the restore, for example Running or Stopped.")
    private String instanceState;

    @JsonPropertyDescription("Import only: bytes downloaded and sent to the server so far.")
    private Long bytesDone;
}
