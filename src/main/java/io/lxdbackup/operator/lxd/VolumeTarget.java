package io.lxdbackup.operator.lxd;

import java.util.List;

/**
 * A custom storage volume ({@code lxc storage volume ...}) as the target of a backup
 * operation. Shown as {@code pool/name}.
 */
public record VolumeTarget(String pool, String name) implements LxdTarget {

    @Override
    public String[] segments() {
        return new String[] {"1.0", "storage-pools", pool, "volumes", "custom", name};
    }

    @Override
    public String kind() {
        return "volume";
    }

    @Override
    public String snapshotCreateDescription() {
        return "Creating storage volume snapshot";
    }

    /**
     * LXD 5.0 names the volume in an operation's resources as {@code /1.0/storage_volumes/<name>}
     * (snapshots) or {@code /1.0/storage_volumes/<pool>/volumes/custom/<name>} (copies); newer
     * servers use the pool path. All three are recognised.
     */
    @Override
    public boolean isNamedBy(Operation op) {
        for (List<String> urls : op.resources().values()) {
            for (String u : urls) {
                int q = u.indexOf('?');
                String p = q < 0 ? u : u.substring(0, q);
                if (p.equals("/1.0/storage_volumes/" + name)
                        || p.equals("/1.0/storage_volumes/" + pool + "/volumes/custom/" + name)
                        || p.equals("/1.0/storage-pools/" + pool + "/volumes/custom/" + name)) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return pool + "/" + name;
    }
}
