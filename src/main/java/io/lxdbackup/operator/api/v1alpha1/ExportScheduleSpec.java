package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.Setter;
import lombok.ToString;

/** Desired state of an ExportSchedule. */
@ValidationRule(
        value =
                "(has(self.instances) && size(self.instances) > 0) || has(self.instanceSelector) || (has(self.volumes) && size(self.volumes) > 0) || has(self.volumeSelector)",
        message = "set instances, instanceSelector, volumes or volumeSelector (any combination)")
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Getter
@Setter
@EqualsAndHashCode(callSuper = true)
@ToString(callSuper = true)
public class ExportScheduleSpec extends AbstractScheduleSpec {

    @JsonPropertyDescription("Export settings for each run; required.")
    @Required
    private ExportTemplate exportTemplate;
}
