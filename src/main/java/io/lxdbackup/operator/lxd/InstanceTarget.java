package io.lxdbackup.operator.lxd;

import java.util.List;
import java.util.Set;

/** An instance (container or virtual machine) as the target of a backup operation. */
public record InstanceTarget(String name) implements LxdTarget {

    @Override
    public String[] segments() {
        return new String[] {"1.0", "instances", name};
    }

    @Override
    public String kind() {
        return "instance";
    }

    @Override
    public String snapshotCreateDescription() {
        return "Snapshotting instance";
    }

    @Override
    public boolean isNamedBy(Operation op) {
        Set<String> paths =
                Set.of("/1.0/instances/" + name, "/1.0/containers/" + name, "/1.0/virtual-machines/" + name);
        for (List<String> urls : op.resources().values()) {
            for (String u : urls) {
                int q = u.indexOf('?');
                if (paths.contains(q < 0 ? u : u.substring(0, q))) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return name;
    }
}
