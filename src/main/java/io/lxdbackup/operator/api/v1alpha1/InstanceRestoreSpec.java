package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.Map;
import lombok.Data;

/** Desired state of an InstanceRestore; immutable (create a new object to restore again). */
@ValidationRule(
        value = "self == oldSelf",
        message = "spec is immutable; create a new InstanceRestore to restore again",
        reason = "FieldValueForbidden")
@ValidationRule(
        value = "has(self.instance) != has(self.volume)",
        message = "set exactly one of instance (an instance) and volume (a custom storage volume: {pool, name})")
@ValidationRule(
        value =
                "!has(self.volume) || (!has(self.stateful) || !self.stateful) && !has(self.storagePool) && !has(self.devices)",
        message = "stateful, storagePool and devices apply to instances only; a volume is imported into volume.pool")
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
public class InstanceRestoreSpec {

    @JsonPropertyDescription("Reference to the LxdRemote (same namespace) to restore to; required.")
    @Required
    private ObjectRef remoteRef;

    @JsonPropertyDescription("Target instance name; exactly one of instance and volume.")
    @Size(min = 1, max = 63)
    private String instance;

    @JsonPropertyDescription(
            "Custom storage volume to restore instead of an instance ({pool, name}): restored in place to one of its snapshots, or imported under this pool and name; exactly one of instance and volume.")
    private VolumeRef volume;

    @JsonPropertyDescription("LXD project; default: the LxdRemote's spec.project.")
    @Size(min = 1, max = 63)
    private String project;

    @JsonPropertyDescription(
            "Where to restore from (exactly one of snapshot, snapshotRef, exportRef, object); required.")
    @Required
    private RestoreSource source;

    @JsonPropertyDescription("true = also restore the running state of a stateful snapshot; default false.")
    @Default("false")
    private Boolean stateful;

    @JsonPropertyDescription(
            "Snapshot sources of an instance only: which disk volumes to restore, root or all-exclusive (lxc restore --disk-volumes; needs server support); absent = root.")
    private DiskVolumesMode diskVolumesMode;

    @JsonPropertyDescription("Import only: target storage pool; absent = the pool recorded in the backup.")
    @Size(max = 253)
    private String storagePool;

    @JsonPropertyDescription(
            "Import only: device overrides by device name, for example {\"eth0\": {\"network\": \"lxdbr1\"}} (needs server support).")
    @Size(max = 64)
    private Map<String, Map<String, String>> devices;

    @JsonPropertyDescription(
            "Import only: Fail refuses to touch an existing instance, Replace deletes it first; default Fail.")
    @Default("Fail")
    private ExistingInstancePolicy existingInstance;

    @JsonPropertyDescription("Import only: check the SHA-256 from the manifest before importing; default true.")
    @Default("true")
    private Boolean verifyChecksum;
}
