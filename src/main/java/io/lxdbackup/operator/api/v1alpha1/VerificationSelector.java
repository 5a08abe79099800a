package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import java.util.List;
import lombok.Data;

/** Which InstanceExports a BackupVerification verifies; the criteria combine (all must hold). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
public class VerificationSelector {

    @JsonPropertyDescription("Only exports made by this ExportSchedule (label lxdbackup.io/schedule).")
    private ObjectRef scheduleRef;

    @JsonPropertyDescription("Only exports to this BackupStore.")
    private ObjectRef storeRef;

    @JsonPropertyDescription("Only exports of these instances.")
    private List<String> instances;

    @JsonPropertyDescription("Only exports completed within this Go duration (for example 168h).")
    @Pattern(SchemaPatterns.DURATION)
    private String maxAge;

    @JsonPropertyDescription("Only the newest N completed exports of each instance (per remote and project).")
    @Min(1)
    private Integer newestPerInstance;
}
