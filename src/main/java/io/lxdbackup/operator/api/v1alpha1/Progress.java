package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import java.util.Objects;

/** Transfer progress. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class Progress {

    @JsonPropertyDescription("Bytes transferred so far.")
    private Long bytesDone;

    @JsonPropertyDescription("Total bytes expected, when known.")
    private Long totalBytes;

    @JsonPropertyDescription("Completion in percent (0-100), when the total is known.")
    @Min(0)
    @Max(100)
    private Integer percent;

    public Long getBytesDone() {
        return bytesDone;
    }

    public void setBytesDone(Long bytesDone) {
        this.bytesDone = bytesDone;
    }

    public Long getTotalBytes() {
        return totalBytes;
    }

    public void setTotalBytes(Long totalBytes) {
        this.totalBytes = totalBytes;
    }

    public Integer getPercent() {
        return percent;
    }

    public void setPercent(Integer percent) {
        this.percent = percent;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass()) {
            return false;
        }
        Progress that = (Progress) o;
        return Objects.equals(bytesDone, that.bytesDone)
                && Objects.equals(totalBytes, that.totalBytes)
                && Objects.equals(percent, that.percent);
    }

    @Override
    public int hashCode() {
        return Objects.hash(bytesDone, totalBytes, percent);
    }

    @Override
    public String toString() {
        return "Progress{" + "bytesDone=" + bytesDone + ", totalBytes=" + totalBytes + ", percent=" + percent + "}";
    }
}
