package io.lxdbackup.operator.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;

/**
 * Test hook: named points between the external steps of a backup made of several (an instance
 * and its attached volumes), each right after what the step did is on the server and what it
 * recorded is in the status. A test installs a {@link Listener} to stop the operator at one of
 * them as a crash would, and proves that the next operator neither repeats nor leaves behind
 * what was done before it. Nothing is installed in production: one volatile read per step.
 */
public final class CrashPoints {
    /** InstanceSnapshot: the volume snapshots are planned (names in status.volumes), none taken yet. */
    public static final String SNAPSHOT_VOLUMES_PLANNED = "InstanceSnapshot/volumes-planned";
    /** InstanceSnapshot: a volume snapshot exists on the server, not yet recorded as done. */
    public static final String SNAPSHOT_VOLUME_CREATED = "InstanceSnapshot/volume-created";
    /** InstanceSnapshot: a volume snapshot is recorded as done; the next volume (if any) is not taken yet. */
    public static final String SNAPSHOT_VOLUME_DONE = "InstanceSnapshot/volume-done";
    /** InstanceExport: the instance's object is uploaded and verified; the volumes are not planned yet. */
    public static final String EXPORT_INSTANCE_UPLOADED = "InstanceExport/instance-uploaded";
    /** InstanceExport: a volume's LXD backup exists; its upload has not started. */
    public static final String EXPORT_VOLUME_BACKUP_CREATED = "InstanceExport/volume-backup-created";
    /** InstanceExport: a volume's object and manifest are in the store, not yet recorded as done. */
    public static final String EXPORT_VOLUME_UPLOADED = "InstanceExport/volume-uploaded";
    /** InstanceExport: every volume is done; the instance's manifest is not written yet. */
    public static final String EXPORT_VOLUMES_DONE = "InstanceExport/volumes-done";

    /** Told each point reached; may block, or throw to end the step there. */
    @FunctionalInterface
    public interface Listener {
        void reached(String point, String namespace, String name);
    }

    private static volatile Listener listener;

    private CrashPoints() {}

    /** Installs the listener (null removes it). */
    public static void install(Listener l) {
        listener = l;
    }

    static void reached(String point, HasMetadata resource) {
        Listener l = listener;
        if (l != null) {
            l.reached(
                    point,
                    resource.getMetadata().getNamespace(),
                    resource.getMetadata().getName());
        }
    }
}
