package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.Map;
import java.util.Objects;

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

    public DiskVolumesMode getDiskVolumesMode() {
        return diskVolumesMode;
    }

    public void setDiskVolumesMode(DiskVolumesMode diskVolumesMode) {
        this.diskVolumesMode = diskVolumesMode;
    }

    public ObjectRef getRemoteRef() {
        return remoteRef;
    }

    public void setRemoteRef(ObjectRef remoteRef) {
        this.remoteRef = remoteRef;
    }

    public String getInstance() {
        return instance;
    }

    public void setInstance(String instance) {
        this.instance = instance;
    }

    public VolumeRef getVolume() {
        return volume;
    }

    public void setVolume(VolumeRef volume) {
        this.volume = volume;
    }

    public String getProject() {
        return project;
    }

    public void setProject(String project) {
        this.project = project;
    }

    public RestoreSource getSource() {
        return source;
    }

    public void setSource(RestoreSource source) {
        this.source = source;
    }

    public Boolean getStateful() {
        return stateful;
    }

    public void setStateful(Boolean stateful) {
        this.stateful = stateful;
    }

    public String getStoragePool() {
        return storagePool;
    }

    public void setStoragePool(String storagePool) {
        this.storagePool = storagePool;
    }

    public Map<String, Map<String, String>> getDevices() {
        return devices;
    }

    public void setDevices(Map<String, Map<String, String>> devices) {
        this.devices = devices;
    }

    public ExistingInstancePolicy getExistingInstance() {
        return existingInstance;
    }

    public void setExistingInstance(ExistingInstancePolicy existingInstance) {
        this.existingInstance = existingInstance;
    }

    public Boolean getVerifyChecksum() {
        return verifyChecksum;
    }

    public void setVerifyChecksum(Boolean verifyChecksum) {
        this.verifyChecksum = verifyChecksum;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass()) {
            return false;
        }
        InstanceRestoreSpec that = (InstanceRestoreSpec) o;
        return Objects.equals(remoteRef, that.remoteRef)
                && Objects.equals(instance, that.instance)
                && Objects.equals(volume, that.volume)
                && Objects.equals(project, that.project)
                && Objects.equals(source, that.source)
                && Objects.equals(stateful, that.stateful)
                && Objects.equals(diskVolumesMode, that.diskVolumesMode)
                && Objects.equals(storagePool, that.storagePool)
                && Objects.equals(devices, that.devices)
                && Objects.equals(existingInstance, that.existingInstance)
                && Objects.equals(verifyChecksum, that.verifyChecksum);
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                remoteRef,
                instance,
                volume,
                project,
                source,
                stateful,
                diskVolumesMode,
                storagePool,
                devices,
                existingInstance,
                verifyChecksum);
    }

    @Override
    public String toString() {
        return "InstanceRestoreSpec{" + "remoteRef=" + remoteRef
                + ", instance=" + instance
                + ", volume=" + volume
                + ", project=" + project
                + ", source=" + source
                + ", stateful=" + stateful
                + ", diskVolumesMode=" + diskVolumesMode
                + ", storagePool=" + storagePool
                + ", devices=" + devices
                + ", existingInstance=" + existingInstance
                + ", verifyChecksum=" + verifyChecksum + "}";
    }
}
