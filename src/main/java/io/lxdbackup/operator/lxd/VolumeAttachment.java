package io.lxdbackup.operator.lxd;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A custom storage volume attached to an instance: a {@code disk} device with a {@code pool}
 * and a {@code source} that names a volume of that pool (not the root disk, not a host path).
 * LXD keeps such volumes out of the instance's snapshots, backups and copies.
 */
public record VolumeAttachment(String device, String pool, String volume, String path) {

    public VolumeTarget target() {
        return new VolumeTarget(pool, volume);
    }

    /** The custom volumes in the instance's expanded devices (its own and its profiles'), by device name. */
    public static List<VolumeAttachment> of(Instance instance) {
        Map<String, Map<String, String>> devices =
                instance.expandedDevices() == null || instance.expandedDevices().isEmpty()
                        ? instance.devices()
                        : instance.expandedDevices();
        List<VolumeAttachment> out = new ArrayList<>();
        if (devices == null) {
            return out;
        }
        devices.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            Map<String, String> d = e.getValue();
            String pool = d.get("pool");
            String source = d.get("source");
            if ("disk".equals(d.get("type"))
                    && pool != null
                    && !pool.isEmpty()
                    && source != null
                    && !source.isEmpty()
                    && !"/".equals(d.get("path"))
                    && !source.startsWith("/")) {
                // LXD 5.x writes "custom/<name>" in some places; the device form is the bare name
                String name = source.startsWith("custom/") ? source.substring("custom/".length()) : source;
                if (!name.contains("/")) {
                    out.add(new VolumeAttachment(e.getKey(), pool, name, d.get("path")));
                }
            }
        });
        return out;
    }
}
