package io.lxdbackup.operator.controller;

import io.lxdbackup.operator.api.v1alpha1.VolumeRef;
import io.lxdbackup.operator.lxd.LxdTarget;

/** The LXD target a resource names: its {@code spec.instance} or its {@code spec.volume}. */
final class Targets {
    private Targets() {}

    static LxdTarget of(String instance, VolumeRef volume) {
        boolean hasVolume = volume != null;
        boolean hasInstance = instance != null && !instance.isBlank();
        if (hasVolume == hasInstance) {
            throw Failure.permanent(
                    Reasons.INVALID_SPEC,
                    "set exactly one of spec.instance (an instance) and spec.volume (a custom storage volume: {pool, name})");
        }
        if (hasInstance) {
            return LxdTarget.instance(instance);
        }
        if (volume.getPool() == null
                || volume.getPool().isBlank()
                || volume.getName() == null
                || volume.getName().isBlank()) {
            throw Failure.permanent(Reasons.INVALID_SPEC, "spec.volume needs both pool and name");
        }
        return LxdTarget.volume(volume.getPool(), volume.getName());
    }

    /** "instance web1" or "volume default/data", for messages. */
    static String describe(LxdTarget t) {
        return t.kind() + " " + t;
    }
}
