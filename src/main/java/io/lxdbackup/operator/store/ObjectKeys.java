package io.lxdbackup.operator.store;

import java.util.Locale;

/**
 * The key layout of a store. Keys are always absolute within the bucket (they include the
 * store's prefix) so that what the operator records in a status is exactly what {@code aws s3}
 * shows.
 */
public final class ObjectKeys {
    /** Appended to an export key to name its manifest. */
    public static final String MANIFEST_SUFFIX = ".json";
    /** Name start of the objects written by {@link ObjectStore#validate()}; never a backup. */
    public static final String PROBE_NAME_PREFIX = ".lxdbackup-probe-";

    private ObjectKeys() {}

    /** Empty, or the prefix without leading slashes and with exactly one trailing slash. */
    public static String normalizePrefix(String prefix) {
        if (prefix == null) {
            return "";
        }
        String p = prefix.strip();
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        while (p.endsWith("//")) {
            p = p.substring(0, p.length() - 1);
        }
        if (p.isEmpty()) {
            return "";
        }
        return p.endsWith("/") ? p : p + "/";
    }

    /**
     * {@code <prefix><namespace>/<remote>/<project>/<instance>/<name>.tar[.<ext>]}.
     *
     * @param compression the effective LXD compression ({@code gzip}, {@code zstd}, {@code bzip2},
     *                    {@code xz}, {@code lz4} or {@code none}); {@code auto} must be resolved first
     */
    public static String exportKey(
            String prefix,
            String namespace,
            String remote,
            String project,
            String instance,
            String name,
            String compression) {
        return normalizePrefix(prefix)
                + segment("namespace", namespace) + "/"
                + segment("remote", remote) + "/"
                + segment("project", project == null || project.isBlank() ? "default" : project) + "/"
                + segment("instance", instance) + "/"
                + segment("name", name) + "." + extensionFor(compression);
    }

    /**
     * {@code <prefix><namespace>/<remote>/<project>/_volumes/<pool>/<volume>/<name>.tar[.<ext>]}:
     * the export of a custom volume. {@code _volumes} cannot be an instance name, so volume and
     * instance exports never share a folder.
     */
    public static String volumeExportKey(
            String prefix,
            String namespace,
            String remote,
            String project,
            String pool,
            String volume,
            String name,
            String compression) {
        return normalizePrefix(prefix)
                + segment("namespace", namespace) + "/"
                + segment("remote", remote) + "/"
                + segment("project", project == null || project.isBlank() ? "default" : project) + "/_volumes/"
                + segment("pool", pool) + "/"
                + segment("volume", volume) + "/"
                + segment("name", name) + "." + extensionFor(compression);
    }

    /** File extension of an LXD backup tarball: {@code tar.gz}, {@code tar.zst}, ..., or {@code tar}. */
    /**
     * The key of the export of a custom volume attached to an exported instance (attachedVolumes:
     * Include): next to the instance's object, {@code <instance key without extension>.volume-<device>.<ext>};
     * characters of the device name other than letters, digits, '.', '_' and '-' become '_'.
     */
    public static String attachedVolumeKey(String instanceKey, String device, String compression) {
        String ext = "." + extensionFor(compression);
        String base =
                instanceKey.endsWith(ext) ? instanceKey.substring(0, instanceKey.length() - ext.length()) : instanceKey;
        return base + ".volume-" + device.replaceAll("[^A-Za-z0-9._-]", "_") + ext;
    }

    public static String extensionFor(String compression) {
        String c = compression == null ? "" : compression.strip().toLowerCase(Locale.ROOT);
        return switch (c) {
            case "gzip" -> "tar.gz";
            case "zstd" -> "tar.zst";
            case "bzip2" -> "tar.bz2";
            case "xz" -> "tar.xz";
            case "lz4" -> "tar.lz4";
            case "none", "" -> "tar";
            default ->
                throw new IllegalArgumentException("unknown compression '" + compression
                        + "' (expected none, gzip, bzip2, xz, zstd or lz4; resolve 'auto' first)");
        };
    }

    public static String manifestKey(String key) {
        return key + MANIFEST_SUFFIX;
    }

    public static boolean isManifestKey(String key) {
        return key.endsWith(MANIFEST_SUFFIX);
    }

    /** Whether the last path segment of {@code key} marks a validation probe. */
    public static boolean isProbeKey(String key) {
        return key.substring(key.lastIndexOf('/') + 1).startsWith(PROBE_NAME_PREFIX);
    }

    private static String segment(String what, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(what + " must be set to build an object key");
        }
        if (value.contains("/") || value.equals(".") || value.equals("..")) {
            throw new IllegalArgumentException(what + " '" + value + "' cannot be used in an object key");
        }
        return value;
    }
}
