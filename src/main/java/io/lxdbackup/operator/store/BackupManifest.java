package io.lxdbackup.operator.store;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

/**
 * What the operator writes beside each export object as {@code <key>.json}, so that the store
 * alone is enough to list and restore backups after the cluster is gone.
 *
 * @param formatVersion     {@link #FORMAT_VERSION} when written; readers accept older versions and
 *                          ignore unknown fields, but refuse a newer major format
 * @param key               the export object's key (absolute within the bucket)
 * @param size              bytes of the export object
 * @param sha256            SHA-256 (hex) of the export object
 * @param compression       effective LXD compression of the tarball
 * @param snapshots         names of the instance snapshots inside the backup (empty when instanceOnly)
 * @param exportName        name of the {@code InstanceExport} that wrote it
 * @param exportNamespace   its namespace
 * @param exportUid         the uid of that {@code InstanceExport}: the object at {@link #key} and
 *                          this manifest belong to it, and only it aborts, overwrites or deletes
 *                          them (absent in manifests written before uids were recorded)
 * @param volume            the custom volume exported ({@code instance} is null then); null for
 *                          an instance export, and absent from manifests of earlier operators
 * @param volumes           the custom volumes attached to the instance that were exported with it
 *                          (attachedVolumes: Include), each in its own object; absent otherwise
 *
 * <p>A manifest without {@link #sha256} is a <em>claim</em>: written before the upload starts, it
 * reserves the key for {@link #exportUid} until the real manifest replaces it (see
 * {@link KeyOwnership}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BackupManifest(
        int formatVersion,
        String key,
        String instance,
        String remote,
        String project,
        String lxdServerVersion,
        String lxdServerName,
        String compression,
        long size,
        String sha256,
        boolean instanceOnly,
        boolean optimizedStorage,
        List<String> snapshots,
        Instant createdAt,
        Instant completedAt,
        String exportName,
        String exportNamespace,
        String exportUid,
        Volume volume,
        List<AttachedVolume> volumes) {

    /** A custom storage volume: its pool and name. */
    public record Volume(String pool, String name) {}

    /**
     * A custom volume attached to the exported instance and exported with it (attachedVolumes:
     * Include): the disk device that attaches it, and its own export object next to the
     * instance's ({@code key}, with its own manifest beside it).
     */
    public record AttachedVolume(
            String device, String pool, String name, String path, String key, long size, String sha256) {}

    /** Whether this is the export of a custom volume rather than of an instance. */
    public boolean exportsVolume() {
        return volume != null;
    }

    public static final int FORMAT_VERSION = 1;
    public static final String CONTENT_TYPE = "application/json";

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public BackupManifest {
        snapshots = snapshots == null ? List.of() : List.copyOf(snapshots);
        volumes = volumes == null || volumes.isEmpty() ? null : List.copyOf(volumes);
    }

    /** A manifest that only reserves its key for an export still uploading. */
    public static BackupManifest claim(
            String key, String exportUid, String exportName, String exportNamespace, Instant at) {
        return new BackupManifest(
                FORMAT_VERSION,
                key,
                null,
                null,
                null,
                null,
                null,
                null,
                0,
                null,
                false,
                false,
                List.of(),
                at,
                null,
                exportName,
                exportNamespace,
                exportUid,
                null,
                null);
    }

    /** True for a {@link #claim}: the export it names has not finished writing the object. */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean isClaim() {
        return sha256 == null;
    }

    /** The key this manifest is stored under. */
    public String manifestKey() {
        return ObjectKeys.manifestKey(key);
    }

    public byte[] toJson() {
        try {
            return MAPPER.writeValueAsBytes(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a manifest always serializes", e);
        }
    }

    /** @throws IllegalArgumentException when {@code json} is not a manifest this operator can read */
    public static BackupManifest fromJson(byte[] json) {
        BackupManifest m;
        try {
            m = MAPPER.readValue(json, BackupManifest.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a backup manifest: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new IllegalArgumentException("not a backup manifest: " + e.getMessage(), e);
        }
        if (m == null || m.key() == null || m.formatVersion() < 1) {
            throw new IllegalArgumentException("not a backup manifest: formatVersion or key missing");
        }
        if (m.formatVersion() > FORMAT_VERSION) {
            throw new IllegalArgumentException("manifest format " + m.formatVersion()
                    + " was written by a newer operator; this one reads up to " + FORMAT_VERSION);
        }
        return m;
    }

    @Override
    public String toString() {
        return new String(toJson(), StandardCharsets.UTF_8);
    }
}
