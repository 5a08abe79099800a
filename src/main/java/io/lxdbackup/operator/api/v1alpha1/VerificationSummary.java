package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** What the last run of a BackupVerification found. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class VerificationSummary {

    @JsonPropertyDescription("Exports selected.")
    private Integer selected;

    @JsonPropertyDescription("Exports whose checks all passed.")
    private Integer passed;

    @JsonPropertyDescription("Exports with a failed check.")
    private Integer failed;

    @JsonPropertyDescription("Bytes read from the stores for checksums.")
    private Long bytesRead;

    @JsonPropertyDescription("Restore drills run (level Restore).")
    private Integer drills;

    @JsonPropertyDescription("Restore drills that passed.")
    private Integer drillsPassed;

    public Integer getSelected() {
        return selected;
    }

    public void setSelected(Integer selected) {
        this.selected = selected;
    }

    public Integer getPassed() {
        return passed;
    }

    public void setPassed(Integer passed) {
        this.passed = passed;
    }

    public Integer getFailed() {
        return failed;
    }

    public void setFailed(Integer failed) {
        this.failed = failed;
    }

    public Long getBytesRead() {
        return bytesRead;
    }

    public void setBytesRead(Long bytesRead) {
        this.bytesRead = bytesRead;
    }

    public Integer getDrills() {
        return drills;
    }

    public void setDrills(Integer drills) {
        this.drills = drills;
    }

    public Integer getDrillsPassed() {
        return drillsPassed;
    }

    public void setDrillsPassed(Integer drillsPassed) {
        this.drillsPassed = drillsPassed;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass()) {
            return false;
        }
        VerificationSummary that = (VerificationSummary) o;
        return java.util.Objects.equals(selected, that.selected)
                && java.util.Objects.equals(passed, that.passed)
                && java.util.Objects.equals(failed, that.failed)
                && java.util.Objects.equals(bytesRead, that.bytesRead)
                && java.util.Objects.equals(drills, that.drills)
                && java.util.Objects.equals(drillsPassed, that.drillsPassed);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(selected, passed, failed, bytesRead, drills, drillsPassed);
    }
}
