package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** The last error seen while reconciling; cleared on success. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class ErrorStatus {

    @JsonPropertyDescription("RFC 3339 time the error was observed.")
    private String time;

    @JsonPropertyDescription("Sanitized error message (no credentials).")
    private String message;

    public String getTime() {
        return time;
    }

    public void setTime(String time) {
        this.time = time;
    }

    public String getMessage() {
        return message;
    }

    public void setMessage(String message) {
        this.message = message;
    }

    public ErrorStatus() {}

    public ErrorStatus(String time, String message) {
        this.time = time;
        this.message = message;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass()) {
            return false;
        }
        ErrorStatus that = (ErrorStatus) o;
        return Objects.equals(time, that.time) && Objects.equals(message, that.message);
    }

    @Override
    public int hashCode() {
        return Objects.hash(time, message);
    }

    @Override
    public String toString() {
        return "ErrorStatus{" + "time=" + time + ", message=" + message + "}";
    }
}
