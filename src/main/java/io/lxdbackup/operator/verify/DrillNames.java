package io.lxdbackup.operator.verify;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * Names and marks of restore-drill scratch instances. The name is derived from the
 * verification's uid, namespace, name and the drill's start time, so it is this drill's alone
 * and can be recorded before the instance exists; the mark {@link #OWNER_KEY} (the
 * verification's uid) is what makes an instance deletable by a drill.
 */
public final class DrillNames {
    /** Config key on a scratch instance: the uid of the BackupVerification whose drill made it. */
    public static final String OWNER_KEY = "user.lxdbackup.drill";

    public static final String PREFIX = "lxdbackup-drill-";

    private DrillNames() {}

    /** {@value #PREFIX} and 32 hex characters: 48 characters, within LXD's 63. */
    public static String scratchName(String uid, String namespace, String name, String startTime) {
        String seed = uid + "\n" + namespace + "\n" + name + "\n" + startTime;
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(seed.getBytes(StandardCharsets.UTF_8));
            return PREFIX + HexFormat.of().formatHex(d, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether an instance's config carries the mark of the verification with {@code uid}. */
    public static boolean markedBy(Map<String, String> config, String uid) {
        return config != null && uid != null && uid.equals(config.get(OWNER_KEY));
    }

    /** Whether an instance's config carries any drill mark (possibly another verification's). */
    public static boolean marked(Map<String, String> config) {
        return config != null && config.containsKey(OWNER_KEY);
    }
}
