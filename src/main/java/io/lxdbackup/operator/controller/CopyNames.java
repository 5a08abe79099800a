package io.lxdbackup.operator.controller;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;

/**
 * Names and marks an {@code InstanceCopy} uses on the target server.
 *
 * <ul>
 *   <li>{@code <target>-lxdbackup-tmp}: the staging instance a copy is written to; it becomes the
 *       target only after the copy succeeded.
 *   <li>{@code <target>-lxdbackup-old}: the previous copy for the instant of the swap.
 *   <li>Config key {@value #OWNER_KEY} = {@code <namespace>/<name>/<uid>}: the instance was made
 *       by that InstanceCopy (an instance without it is never touched).
 *   <li>Config key {@value #PROMOTED_KEY} = {@code <namespace>/<name>/<uid>}: the copy was promoted
 *       by that InstanceCopy ({@code spec.promote}) and carries no owner mark any more.
 *   <li>Config key {@value #SYNC_KEY} = the status {@code syncId} of the copy that completed
 *       into this instance; {@code refreshing:<syncId>} while an in-place refresh runs.
 * </ul>
 *
 * LXD instance names are at most {@value #MAX_LENGTH} characters of letters, digits and
 * {@code -}; when {@code <target>-lxdbackup-tmp} would be longer, the target part is cut and 6 hex
 * digits of its SHA-256 keep different long names apart.
 */
public final class CopyNames {
    public static final int MAX_LENGTH = 63;
    public static final String OWNER_KEY = "user.lxdbackup.copy-of";
    public static final String SYNC_KEY = "user.lxdbackup.sync";
    /**
     * On a promoted instance, in place of {@link #OWNER_KEY}: the InstanceCopy that promoted it.
     * Without the owner mark no InstanceCopy writes, renames or deletes it any more.
     */
    public static final String PROMOTED_KEY = "user.lxdbackup.promoted-from";

    static final String REFRESHING = "refreshing:";
    static final String STAGING_SUFFIX = "-lxdbackup-tmp";
    static final String PREVIOUS_SUFFIX = "-lxdbackup-old";
    private static final int HASH_LENGTH = 6;

    private CopyNames() {}

    public static String staging(String target) {
        return withSuffix(target, STAGING_SUFFIX);
    }

    public static String previous(String target) {
        return withSuffix(target, PREVIOUS_SUFFIX);
    }

    /** The owner mark of one InstanceCopy. */
    public static String owner(String namespace, String name, String uid) {
        return namespace + "/" + name + "/" + uid;
    }

    /** Whether an instance config carries this owner mark. */
    public static boolean ownedBy(Map<String, String> config, String owner) {
        return config != null && Objects.equals(config.get(OWNER_KEY), owner);
    }

    /** Whether an instance config says the copy {@code syncId} completed into it. */
    public static boolean completed(Map<String, String> config, String syncId) {
        return config != null && syncId != null && syncId.equals(config.get(SYNC_KEY));
    }

    /** Whether an in-place refresh of this instance started and never finished. */
    public static boolean refreshInterrupted(Map<String, String> config) {
        return config != null && config.getOrDefault(SYNC_KEY, "").startsWith(REFRESHING);
    }

    static String withSuffix(String target, String suffix) {
        Objects.requireNonNull(target, "target");
        if (target.isEmpty()) {
            throw new IllegalArgumentException("target instance name is empty");
        }
        if (target.length() + suffix.length() <= MAX_LENGTH) {
            return target + suffix;
        }
        int room = MAX_LENGTH - suffix.length() - HASH_LENGTH - 1;
        String cut = target.substring(0, room).replaceAll("-+$", "");
        return cut + "-" + hash(target) + suffix;
    }

    private static String hash(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d).substring(0, HASH_LENGTH);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
