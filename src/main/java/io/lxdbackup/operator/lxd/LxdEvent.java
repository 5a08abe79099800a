package io.lxdbackup.operator.lxd;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * One message from {@code /1.0/events}. {@code type} is {@code lifecycle}, {@code operation}
 * or {@code logging}; lifecycle events carry {@code action} (for example
 * {@code instance-snapshot-created}) and {@code source} (the object's API path).
 */
public record LxdEvent(String type, Instant timestamp, String location, String project, JsonNode metadata) {

    public String action() {
        return metadata == null ? null : metadata.path("action").asText(null);
    }

    public String source() {
        return metadata == null ? null : metadata.path("source").asText(null);
    }
}
