package io.lxdbackup.operator.lxd;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One LXD instance (container or virtual machine) as {@code GET /1.0/instances/<name>} returns
 * it. {@code etag} is set when the instance was read singly and guards a later update.
 */
public record Instance(
        String name,
        String type,
        String status,
        String architecture,
        String location,
        String project,
        Instant createdAt,
        boolean ephemeral,
        boolean stateful,
        List<String> profiles,
        Map<String, String> config,
        Map<String, String> expandedConfig,
        Map<String, Map<String, String>> devices,
        Map<String, Map<String, String>> expandedDevices,
        String etag,
        ObjectNode raw) {

    public boolean isRunning() {
        return "Running".equalsIgnoreCase(status);
    }

    public boolean isVirtualMachine() {
        return "virtual-machine".equals(type);
    }
}
