package io.lxdbackup.operator.lxd;

import java.util.List;
import java.util.Map;

/** One custom storage volume as {@code GET /1.0/storage-pools/<pool>/volumes/custom/<name>} returns it. */
public record StorageVolume(
        String pool,
        String name,
        String contentType,
        String description,
        Map<String, String> config,
        List<String> usedBy) {

    public VolumeTarget target() {
        return new VolumeTarget(pool, name);
    }
}
