package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import lombok.Data;

/** Desired state of an InstanceCopy. */
@ValidationRule(
        value = "!has(self.schedule) || !has(self.refresh) || self.refresh",
        message = "a schedule repeats the copy onto the same target instance, which needs refresh: true",
        reason = "FieldValueInvalid")
@ValidationRule(
        value = "has(self.instance) != has(self.volume)",
        message = "set exactly one of instance (an instance) and volume (a custom storage volume: {pool, name})")
@ValidationRule(
        value = "!has(self.targetVolume) || has(self.volume)",
        message = "targetVolume applies to volume copies; use targetInstance for an instance")
@ValidationRule(
        value = "!has(self.volume) || (!has(self.targetInstance) && !has(self.targetStoragePool))",
        message = "a volume copy names its target with targetVolume, not targetInstance or targetStoragePool")
@ValidationRule(
        value = "!has(self.volume) || !has(self.mode) || self.mode == 'pull'",
        message =
                "a volume is copied in pull mode (the target server pulls from the source); remove mode or set it to pull")
@ValidationRule(
        value = "!has(self.promote) || !self.promote || has(self.instance)",
        message =
                "promote applies to instance copies; a volume has nothing to start: set suspend: true to stop refreshing it")
@ValidationRule(
        value = "!has(oldSelf.promote) || !oldSelf.promote || (has(self.promote) && self.promote)",
        message =
                "a promoted copy cannot be un-promoted: it is now the instance in use; to fail back, copy it to the repaired server with a new InstanceCopy (docs/instance-copy.md: Taking over and failing back)")
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
public class InstanceCopySpec {

    @JsonPropertyDescription("LxdRemote (same namespace) hosting the instance; required.")
    @Required
    private ObjectRef sourceRemoteRef;

    @JsonPropertyDescription("LxdRemote (same namespace) to copy to; required.")
    @Required
    private ObjectRef targetRemoteRef;

    @JsonPropertyDescription("Source instance name; exactly one of instance and volume.")
    @Size(min = 1, max = 63)
    private String instance;

    @JsonPropertyDescription("Instance name on the target; absent = same as instance.")
    @Size(min = 1, max = 63)
    private String targetInstance;

    @JsonPropertyDescription(
            "Custom storage volume to copy instead of an instance ({pool, name}); exactly one of instance and volume. Copied in pull mode.")
    private VolumeRef volume;

    @JsonPropertyDescription(
            "Volume copy only: pool and name on the target server; absent = the same pool and name as volume.")
    private VolumeRef targetVolume;

    @JsonPropertyDescription("LXD project on the source; default: the source LxdRemote's spec.project.")
    @Size(min = 1, max = 63)
    private String sourceProject;

    @JsonPropertyDescription("LXD project on the target; default: the target LxdRemote's spec.project.")
    @Size(min = 1, max = 63)
    private String targetProject;

    @JsonPropertyDescription("Storage pool on the target for the first copy; absent = the target default profile pool.")
    @Size(max = 253)
    private String targetStoragePool;

    @JsonPropertyDescription("true = leave out the instance snapshots; default false.")
    @Default("false")
    private Boolean instanceOnly;

    @JsonPropertyDescription(
            "true = later copies transfer only what changed since the last copy (needs server support); default true.")
    @Default("true")
    private Boolean refresh;

    @JsonPropertyDescription(
            "How an existing copy is refreshed: Staging (refresh a local copy of it and swap it in on success; the target is never left half-updated) or InPlace (cheaper on storage without copy-on-write, but a failed refresh can leave the target's root volume half-updated until the next successful one); default Staging.")
    @Default("Staging")
    private RefreshStrategy refreshStrategy;

    @JsonPropertyDescription(
            "Transfer mode: pull (the target server pulls from the source), push (the source server sends to the target) or relay (the operator carries the data: for servers that cannot reach each other; always a full copy); default pull.")
    @Default("pull")
    private CopyMode mode;

    @JsonPropertyDescription(
            "Repeat (refresh) copies on this 5-field cron or @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually; absent = copy once.")
    @Size(min = 1, max = 128)
    private String schedule;

    @JsonPropertyDescription("IANA time zone for schedule; default UTC.")
    @Default("UTC")
    @Size(min = 1, max = 64)
    private String timeZone;

    @JsonPropertyDescription("true = start no new copies; default false.")
    @Default("false")
    private Boolean suspend;

    @JsonPropertyDescription(
            "A copy missed by more than this many seconds is skipped, not started late; absent = only the latest missed copy starts late.")
    @Min(1)
    private Long startingDeadlineSeconds;

    @JsonPropertyDescription(
            "true = take over: the target stops being a copy (no more copies), gets back the source's recorded boot.autostart settings and is started (startOnPromote). Needs no access to the source server. Cannot be set back to false; default false.")
    @Default("false")
    private Boolean promote;

    @JsonPropertyDescription("With promote: start the promoted instance; default true.")
    @Default("true")
    private Boolean startOnPromote;
}
