package io.lxdbackup.operator.store;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Which export an object key belongs to, so that an export only ever aborts, overwrites or
 * deletes what it wrote itself, even when two exports (or an export and someone else) name the
 * same key.
 *
 * <p>Two records say who owns a key: the export object's user metadata {@value #OWNER_METADATA}
 * (the export's uid, set on the multipart upload, so it is on the object from its first byte
 * visible), and the manifest {@code <key>.json} ({@link BackupManifest#exportUid()}). Before its
 * first byte an export writes a {@linkplain BackupManifest#claim claim} manifest there, so the
 * multipart uploads at a key it claimed are its own (S3 cannot tell who started an upload).
 * Objects written before uids were recorded count as the export's when their manifest names the
 * export and the SHA-256 the export recorded.
 */
public final class KeyOwnership {
    /** User metadata ({@code x-amz-meta-export-uid}) naming the export that wrote an object. */
    public static final String OWNER_METADATA = "export-uid";

    /** The key belongs to someone else; {@link #getMessage()} names the key and the owner. */
    public static final class KeyTakenException extends RuntimeException {
        public KeyTakenException(String message) {
            super(message);
        }
    }

    private static final Object[] CLAIM_LOCKS = new Object[64];

    static {
        for (int i = 0; i < CLAIM_LOCKS.length; i++) {
            CLAIM_LOCKS[i] = new Object();
        }
    }

    private final ObjectStore store;
    private final String key;
    private final String uid;
    private final String exportName;
    private final String exportNamespace;

    public KeyOwnership(ObjectStore store, String key, String uid, String exportName, String exportNamespace) {
        this.store = store;
        this.key = key;
        this.uid = uid;
        this.exportName = exportName;
        this.exportNamespace = exportNamespace;
    }

    /**
     * Makes sure the key is this export's before it writes there: a claim of its own (an earlier
     * attempt) is kept, a free key is claimed; an object, a manifest or an unfinished upload of
     * anyone else is refused.
     *
     * @throws KeyTakenException naming the key and who holds it
     */
    public void claim(Instant now) {
        // two exports of this process naming one key at once: one claims, the other then sees it
        synchronized (
                CLAIM_LOCKS[Math.floorMod((store.config().bucket() + "/" + key).hashCode(), CLAIM_LOCKS.length)]) {
            claimLocked(now);
        }
    }

    private void claimLocked(Instant now) {
        Manifest m = manifest();
        if (m.present()
                && !uid.equals(m.manifest() == null ? null : m.manifest().exportUid())) {
            throw taken(describe(m));
        }
        Optional<ObjectInfo> head = store.head(key);
        if (head.isPresent() && !uid.equals(head.get().metadata().get(OWNER_METADATA))) {
            throw taken(describe(head.get()));
        }
        if (m.present()) {
            return; // claimed by an earlier attempt of this export
        }
        if (store.hasUnfinishedUploads(key)) {
            throw taken("an unfinished multipart upload this export did not start");
        }
        store.putSmall(
                ObjectKeys.manifestKey(key),
                BackupManifest.claim(key, uid, exportName, exportNamespace, now).toJson(),
                BackupManifest.CONTENT_TYPE);
        Manifest after = manifest();
        if (!after.present()
                || after.manifest() == null
                || !uid.equals(after.manifest().exportUid())) {
            // another writer claimed it at the same moment; its claim stands, ours is not retracted
            throw taken(after.present() ? describe(after) : "someone who removed this export's claim");
        }
    }

    /**
     * Aborts the unfinished uploads at the key if the key is this export's (its claim), else
     * none: S3 cannot say who started an upload, so without the claim they are someone else's.
     *
     * @return the number aborted
     */
    public int abortOwnUploads() {
        Manifest m = manifest();
        if (!m.present() || m.manifest() == null || !uid.equals(m.manifest().exportUid())) {
            return 0;
        }
        return store.abortStaleUploads(key);
    }

    /**
     * Deletes the object and its manifest where they are this export's; leaves anything else
     * there alone.
     *
     * @param recordedSha256 the SHA-256 the export recorded, to recognise objects written before
     *                       uids were recorded; may be null
     * @return what was left alone, described for the user (empty when everything there was ours
     *         or nothing was there)
     */
    public List<String> deleteOwn(String recordedSha256) {
        List<String> leftAlone = new ArrayList<>();
        Manifest m = manifest();
        Optional<ObjectInfo> head = store.head(key);
        if (head.isPresent()) {
            if (ownsObject(head.get(), m.manifest(), recordedSha256)) {
                store.delete(key);
            } else {
                leftAlone.add(url(key) + " (" + describe(head.get()) + ")");
            }
        }
        if (m.present()) {
            if (ownsManifest(m.manifest(), recordedSha256)) {
                store.delete(ObjectKeys.manifestKey(key));
            } else {
                leftAlone.add(url(ObjectKeys.manifestKey(key)) + " (" + describe(m) + ")");
            }
        }
        return leftAlone;
    }

    private boolean ownsObject(ObjectInfo head, BackupManifest m, String recordedSha256) {
        String owner = head.metadata().get(OWNER_METADATA);
        if (owner != null) {
            return owner.equals(uid);
        }
        // written before uids were recorded: the manifest beside it is this export's, for this object
        return m != null
                && m.exportUid() == null
                && legacyManifestMatches(m, recordedSha256)
                && m.size() == head.size();
    }

    private boolean ownsManifest(BackupManifest m, String recordedSha256) {
        if (m == null) {
            return false; // unreadable: not something this export wrote
        }
        if (m.exportUid() != null) {
            return m.exportUid().equals(uid);
        }
        return legacyManifestMatches(m, recordedSha256);
    }

    private boolean legacyManifestMatches(BackupManifest m, String recordedSha256) {
        return recordedSha256 != null
                && recordedSha256.equals(m.sha256())
                && exportName.equals(m.exportName())
                && exportNamespace.equals(m.exportNamespace());
    }

    /** The manifest at the key: absent, readable ({@code manifest} set) or unreadable (null). */
    private record Manifest(boolean present, BackupManifest manifest) {}

    private Manifest manifest() {
        byte[] json;
        try {
            json = store.getSmall(ObjectKeys.manifestKey(key));
        } catch (StoreException e) {
            if (e.reason() == StoreException.Reason.OBJECT_NOT_FOUND) {
                return new Manifest(false, null);
            }
            throw e;
        }
        try {
            return new Manifest(true, BackupManifest.fromJson(json));
        } catch (IllegalArgumentException e) {
            return new Manifest(true, null);
        }
    }

    private KeyTakenException taken(String owner) {
        return new KeyTakenException(url(key) + " is taken by " + owner);
    }

    private String describe(Manifest m) {
        BackupManifest b = m.manifest();
        if (b == null) {
            return "an unreadable manifest " + ObjectKeys.manifestKey(key) + " the operator did not write";
        }
        String export = "InstanceExport " + b.exportNamespace() + "/" + b.exportName();
        if (b.exportUid() == null) {
            return export + " (written before export uids were recorded)";
        }
        return export + " (uid " + b.exportUid() + (b.isClaim() ? ", still uploading" : "") + ")";
    }

    private static String describe(ObjectInfo head) {
        String owner = head.metadata().get(OWNER_METADATA);
        return owner == null
                ? "an object the operator did not write"
                : "an object written by InstanceExport uid " + owner;
    }

    private String url(String k) {
        return "s3://" + store.config().bucket() + "/" + k;
    }
}
