package io.lxdbackup.operator.lxd;

/**
 * What a snapshot, backup, import or copy acts on: an instance or a custom storage volume.
 * LXD offers the same operations on both under different paths ({@code /1.0/instances/<n>}
 * against {@code /1.0/storage-pools/<p>/volumes/custom/<n>}), with different request bodies
 * and API extensions; the client turns a target into the right request so that callers treat
 * both alike.
 */
public sealed interface LxdTarget permits InstanceTarget, VolumeTarget {

    static InstanceTarget instance(String name) {
        return new InstanceTarget(name);
    }

    static VolumeTarget volume(String pool, String name) {
        return new VolumeTarget(pool, name);
    }

    /** The path segments of the target itself, for example {@code 1.0, instances, web1}. */
    String[] segments();

    /** The name of the instance or volume (without the pool). */
    String name();

    /** "instance" or "volume", for messages. */
    String kind();

    /** How LXD describes the creation of a snapshot of this target in {@code GET /1.0/operations}. */
    String snapshotCreateDescription();

    /** Whether an operation's resources name this target. */
    boolean isNamedBy(Operation op);

    default boolean isVolume() {
        return this instanceof VolumeTarget;
    }

    /** The target followed by more path segments. */
    default String[] path(String... more) {
        String[] base = segments();
        String[] out = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, out, base.length, more.length);
        return out;
    }
}
