package io.lxdbackup.operator.controller;

import io.lxdbackup.operator.lxd.LxdApi;
import io.lxdbackup.operator.lxd.LxdException;
import io.lxdbackup.operator.lxd.LxdTarget;
import io.lxdbackup.operator.lxd.VolumeTarget;

/** Checks on the instance or volume a resource names, with reasons that say what to fix. */
final class TargetChecks {
    private TargetChecks() {}

    /** Fails permanently with InstanceNotFound or VolumeNotFound when the target is missing. */
    static void requireExists(LxdApi client, LxdTarget target, String remote) {
        try {
            if (target instanceof VolumeTarget v) {
                client.getVolume(v.pool(), v.name());
            } else {
                client.getInstance(target.name());
            }
        } catch (LxdException.NotFound e) {
            if (target instanceof VolumeTarget v) {
                throw Failure.permanent(
                        Reasons.VOLUME_NOT_FOUND,
                        "custom volume " + v.name() + " does not exist in storage pool "
                                + v.pool() + " (project " + client.project() + ") on " + remote
                                + "; check spec.volume (pool and name) and spec.project");
            }
            throw Failure.permanent(
                    Reasons.INSTANCE_NOT_FOUND,
                    "instance " + target.name() + " does not exist in project " + client.project() + " on " + remote
                            + "; check spec.instance and spec.project");
        }
    }
}
