package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import lombok.Data;

/** Desired state of a BackupVerification. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
public class BackupVerificationSpec {

    @JsonPropertyDescription(
            "Checksum (default): re-read every selected export from its store through SHA-256 and compare with the export's status and its manifest. Restore: that, and also import the newest selected export of each instance into a scratch instance on restore.remoteRef, check it, and delete it.")
    @Default("Checksum")
    private VerificationLevel level;

    @JsonPropertyDescription("Which InstanceExports of this namespace to verify; absent = every completed export.")
    private VerificationSelector selector;

    @JsonPropertyDescription(
            "Verify again on this 5-field cron or @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually; the first run starts at once. Absent = verify once, and again after every spec change.")
    @Size(min = 1, max = 128)
    private String schedule;

    @JsonPropertyDescription("IANA time zone for schedule; default UTC.")
    @Default("UTC")
    @Size(min = 1, max = 64)
    private String timeZone;

    @JsonPropertyDescription("true = start no new runs; default false.")
    @Default("false")
    private Boolean suspend;

    @JsonPropertyDescription(
            "A run missed by more than this many seconds is skipped, not started late; absent = only the latest missed run starts late.")
    @Min(1)
    private Long startingDeadlineSeconds;

    @JsonPropertyDescription(
            "Rate limit for reading objects from the store, in bytes per second (applies to checksum reads and drill imports); absent = unlimited.")
    @Min(1024)
    private Long bytesPerSecond;

    @JsonPropertyDescription(
            "Level Restore: where and how the scratch instance is imported and checked; required for that level.")
    private RestoreDrillSpec restore;
}
