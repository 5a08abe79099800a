package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.Objects;

/** Desired state of an ExportSchedule. */
@ValidationRule(
        value =
                "(has(self.instances) && size(self.instances) > 0) || has(self.instanceSelector) || (has(self.volumes) && size(self.volumes) > 0) || has(self.volumeSelector)",
        message = "set instances, instanceSelector, volumes or volumeSelector (any combination)")
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class ExportScheduleSpec extends AbstractScheduleSpec {

    @JsonPropertyDescription("Export settings for each run; required.")
    @Required
    private ExportTemplate exportTemplate;

    public ExportTemplate getExportTemplate() {
        return exportTemplate;
    }

    public void setExportTemplate(ExportTemplate exportTemplate) {
        this.exportTemplate = exportTemplate;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass() || !super.equals(o)) {
            return false;
        }
        ExportScheduleSpec that = (ExportScheduleSpec) o;
        return Objects.equals(exportTemplate, that.exportTemplate);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), exportTemplate);
    }

    @Override
    public String toString() {
        return "ExportScheduleSpec{" + "exportTemplate=" + exportTemplate + ", " + super.toString() + "}";
    }
}
