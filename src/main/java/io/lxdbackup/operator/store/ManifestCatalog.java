package io.lxdbackup.operator.store;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Lists the backups in a store from its objects alone, the way a restore without a cluster would. */
public final class ManifestCatalog {
    private ManifestCatalog() {}

    /**
     * One export found in the store.
     *
     * @param key      where the export object is: beside its manifest, whatever key the manifest
     *                 recorded (a bucket copied or a prefix renamed keeps the old recorded keys)
     * @param manifest what the manifest says about it
     */
    public record Entry(String key, BackupManifest manifest) {}

    /**
     * @param exports                readable manifests whose export object exists, with that object's key
     * @param objectsWithoutManifest keys of objects that no manifest describes (interrupted exports,
     *                               staging leftovers, foreign files); manifests and probes excluded
     * @param manifestsWithoutObject readable manifests whose export object is gone
     * @param unreadableManifests    keys ending in {@code .json} that are not manifests this operator
     *                               can read
     */
    public record Result(
            List<Entry> exports,
            List<String> objectsWithoutManifest,
            List<BackupManifest> manifestsWithoutObject,
            List<String> unreadableManifests) {

        /** The manifests of {@link #exports()}, as written. */
        public List<BackupManifest> manifests() {
            return exports.stream().map(Entry::manifest).toList();
        }
    }

    /** Reads every manifest under {@code prefix} (one small GET each) and pairs it with its object. */
    public static Result scan(ObjectStore store, String prefix) {
        List<ObjectInfo> objects = store.list(prefix);
        Set<String> keys = new HashSet<>();
        for (ObjectInfo o : objects) {
            keys.add(o.key());
        }
        List<Entry> manifests = new ArrayList<>();
        List<BackupManifest> orphanManifests = new ArrayList<>();
        List<String> unreadable = new ArrayList<>();
        Set<String> described = new HashSet<>();
        for (ObjectInfo o : objects) {
            if (!ObjectKeys.isManifestKey(o.key())) {
                continue;
            }
            String dataKey = o.key().substring(0, o.key().length() - ObjectKeys.MANIFEST_SUFFIX.length());
            BackupManifest m;
            try {
                m = BackupManifest.fromJson(store.getSmall(o.key()));
            } catch (IllegalArgumentException e) {
                unreadable.add(o.key());
                continue;
            } catch (StoreException e) {
                if (e.reason() != StoreException.Reason.OBJECT_NOT_FOUND) {
                    throw e;
                }
                continue; // deleted since the listing
            }
            // the manifest's location is authoritative: a copied bucket may carry old recorded keys
            described.add(dataKey);
            if (m.isClaim()) {
                continue; // an export still uploading: nothing to restore yet
            }
            if (keys.contains(dataKey)) {
                manifests.add(new Entry(dataKey, m));
            } else {
                orphanManifests.add(m);
            }
        }
        List<String> bare = new ArrayList<>();
        for (ObjectInfo o : objects) {
            String k = o.key();
            if (!ObjectKeys.isManifestKey(k) && !ObjectKeys.isProbeKey(k) && !described.contains(k)) {
                bare.add(k);
            }
        }
        return new Result(
                List.copyOf(manifests), List.copyOf(bare), List.copyOf(orphanManifests), List.copyOf(unreadable));
    }
}
