package io.lxdbackup.operator.lxd;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A background operation. LXD keeps finished operations for a few seconds only, so callers
 * that may miss the end (an operator restart) must be able to confirm the result from the
 * object the operation produced.
 */
public record Operation(
        String id,
        String operationClass,
        String description,
        String status,
        int statusCode,
        String err,
        boolean mayCancel,
        Instant createdAt,
        Instant updatedAt,
        Map<String, List<String>> resources,
        JsonNode metadata) {

    public boolean isDone() {
        // 1xx codes are the running states; 200 Success, 400 Failure, 401 Cancelled end it.
        return statusCode >= 200;
    }

    public boolean isSuccess() {
        return statusCode == 200;
    }

    /** A string entry of the metadata map (progress texts, websocket secrets), or null. */
    public String metadataText(String key) {
        if (metadata == null || !metadata.hasNonNull(key)) {
            return null;
        }
        return metadata.get(key).asText();
    }
}
