package io.lxdbackup.operator.verify;

import io.lxdbackup.operator.store.BackupManifest;
import io.lxdbackup.operator.store.ObjectInfo;
import io.lxdbackup.operator.store.ObjectKeys;
import io.lxdbackup.operator.store.ObjectStore;
import io.lxdbackup.operator.store.StoreException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;

/**
 * Re-reads one stored export and says whether it is still what was written: the object is
 * streamed through SHA-256 in a fixed buffer (no temporary file, memory bounded by the buffer
 * whatever the object's size), paced by a {@link Throttle}, and compared with what the export
 * recorded and with the manifest beside the object, which must agree with each other too.
 *
 * <p>Only what the bytes say is a verdict ({@link Verdict}); a store that cannot be reached or
 * refuses the credentials throws its {@link StoreException}, so the caller retries instead of
 * marking a good export as bad.
 */
public final class ChecksumCheck {
    static final int BUFFER = 64 * 1024;

    private ChecksumCheck() {}

    public enum Verdict {
        PASSED,
        CHECKSUM_MISMATCH,
        OBJECT_MISSING
    }

    /**
     * @param bytesRead bytes of the object read (0 when it was not read)
     * @param actualSha256 the SHA-256 of what was read, when the whole object was read
     * @param message what was found, for a status (names keys, never credentials)
     */
    public record Outcome(Verdict verdict, long bytesRead, String actualSha256, String message) {
        public boolean passed() {
            return verdict == Verdict.PASSED;
        }
    }

    /**
     * @param expectedSha256 what the export recorded (hex)
     * @param expectedSize what the export recorded, bytes
     */
    public static Outcome check(
            ObjectStore store, String key, String expectedSha256, long expectedSize, Throttle throttle)
            throws InterruptedException {
        String expected = expectedSha256.toLowerCase(Locale.ROOT);
        Optional<ObjectInfo> head = store.head(key);
        if (head.isEmpty()) {
            return new Outcome(Verdict.OBJECT_MISSING, 0, null, "object " + key + " is missing from the store");
        }
        Outcome manifest = checkManifest(store, key, expected, expectedSize);
        if (manifest != null) {
            return manifest;
        }
        if (head.get().size() != expectedSize) {
            return new Outcome(
                    Verdict.CHECKSUM_MISMATCH,
                    0,
                    null,
                    "object " + key + " is " + head.get().size() + " bytes but " + expectedSize
                            + " were written; it was changed or truncated");
        }
        MessageDigest digest = sha256();
        long count = 0;
        byte[] buf = new byte[BUFFER];
        try (InputStream in = store.download(key)) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                digest.update(buf, 0, n);
                count += n;
                throttle.pace(n);
            }
        } catch (StoreException e) {
            if (e.reason() == StoreException.Reason.OBJECT_NOT_FOUND) {
                return new Outcome(
                        Verdict.OBJECT_MISSING, count, null, "object " + key + " disappeared while it was read");
            }
            throw e;
        } catch (InterruptedIOException e) {
            throw new InterruptedException("reading " + key + " was interrupted");
        } catch (IOException e) {
            // the text of a stream failure may quote the request: only its kind is reported
            throw new StoreException(
                    StoreException.Reason.STORE_ERROR,
                    "reading " + key + " failed after " + count + " bytes ("
                            + e.getClass().getSimpleName() + "); will retry",
                    e,
                    true);
        }
        String actual = HexFormat.of().formatHex(digest.digest());
        if (count != expectedSize || !actual.equals(expected)) {
            return new Outcome(
                    Verdict.CHECKSUM_MISMATCH,
                    count,
                    actual,
                    "object " + key + " reads as " + count + " bytes with SHA-256 " + actual + " but " + expectedSize
                            + " bytes with SHA-256 " + expected + " were written; the stored bytes changed");
        }
        return new Outcome(Verdict.PASSED, count, actual, count + " bytes read, SHA-256 " + actual + " as written");
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** A failure when the manifest is missing or disagrees with the export's record; null when it agrees. */
    private static Outcome checkManifest(ObjectStore store, String key, String expectedSha256, long expectedSize) {
        String manifestKey = ObjectKeys.manifestKey(key);
        BackupManifest m;
        try {
            m = BackupManifest.fromJson(store.getSmall(manifestKey));
        } catch (StoreException e) {
            if (e.reason() == StoreException.Reason.OBJECT_NOT_FOUND) {
                return new Outcome(
                        Verdict.OBJECT_MISSING,
                        0,
                        null,
                        "manifest " + manifestKey + " is missing: the bucket alone no longer describes this export");
            }
            throw e;
        } catch (IllegalArgumentException e) {
            return new Outcome(
                    Verdict.CHECKSUM_MISMATCH,
                    0,
                    null,
                    "manifest " + manifestKey + " is unreadable: " + e.getMessage());
        }
        if (m.size() != expectedSize || m.sha256() == null || !m.sha256().equalsIgnoreCase(expectedSha256)) {
            return new Outcome(
                    Verdict.CHECKSUM_MISMATCH,
                    0,
                    null,
                    "manifest " + manifestKey + " records " + m.size()
                            + " bytes with SHA-256 " + m.sha256() + " but the export recorded " + expectedSize
                            + " bytes with SHA-256 "
                            + expectedSha256 + "; the manifest was changed");
        }
        return null;
    }
}
