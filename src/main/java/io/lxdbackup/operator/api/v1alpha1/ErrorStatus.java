package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import lombok.Data;

/** The last error seen while reconciling; cleared on success. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
public class ErrorStatus {

    @JsonPropertyDescription("RFC 3339 time the error was observed.")
    private String time;

    @JsonPropertyDescription("Sanitized error message (no credentials).")
    private String message;

    public ErrorStatus() {}

    public ErrorStatus(String time, String message) {
        this.time = time;
        this.message = message;
    }
}
