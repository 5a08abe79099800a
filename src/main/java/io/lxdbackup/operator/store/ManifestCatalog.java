package io.lxdbackup.operator.store;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Lists the backups in a store from its objects alone, the way a restore without a cluster would. */
public final class ManifestCatalog {
  private ManifestCatalog() {}

  /**
   * @param manifests              readable manifests whose export object exists
   * @param objectsWithoutManifest keys of objects that no manifest describes (interrupted exports,
   *                               staging leftovers, foreign files); manifests and probes excluded
   * @param manifestsWithoutObject readable manifests whose export object is gone
   * @param unreadableManifests    keys ending in {@code .json} that are not manifests this operator
   *                               can read
   */
  public record Result(
      List<BackupManifest> manifests,
      List<String> objectsWithoutManifest,
      List<BackupManifest> manifestsWithoutObject,
      List<String> unreadableManifests) {}

  /** Reads every manifest under {@code prefix} (one small GET each) and pairs it with its object. */
  public static Result scan(ObjectStore store, String prefix) {
    List<ObjectInfo> objects = store.list(prefix);
    Set<String> keys = new HashSet<>();
    for (ObjectInfo o : objects) {
      keys.add(o.key());
    }
    List<BackupManifest> manifests = new ArrayList<>();
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
      if (keys.contains(dataKey)) {
        manifests.add(m);
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
    return new Result(List.copyOf(manifests), List.copyOf(bare), List.copyOf(orphanManifests),
        List.copyOf(unreadable));
  }
}
