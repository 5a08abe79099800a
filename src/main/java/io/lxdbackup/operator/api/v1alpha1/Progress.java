package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import lombok.Data;

/** Transfer progress. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
public class Progress {

    @JsonPropertyDescription("Bytes transferred so far.")
    private Long bytesDone;

    @JsonPropertyDescription("Total bytes expected, when known.")
    private Long totalBytes;

    @JsonPropertyDescription("Completion in percent (0-100), when the total is known.")
    @Min(0)
    @Max(100)
    private Integer percent;
}
