package io.lxdbackup.operator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lxdbackup.operator.testing.S3Server;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

class ManifestCatalogTest {
    private static S3Server server;

    @BeforeAll
    static void start() throws Exception {
        server = S3Server.start();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    private static BackupManifest manifest(String key, long size, String sha256) {
        return new BackupManifest(
                BackupManifest.FORMAT_VERSION,
                key,
                "web1",
                "lxd-a",
                "default",
                "5.0.2",
                "host1",
                "zstd",
                size,
                sha256,
                false,
                false,
                List.of("snap0", "snap1"),
                Instant.parse("2026-11-26T06:00:00Z"),
                Instant.parse("2026-11-26T06:01:30.5Z"),
                "web1-export",
                "team1",
                "uid-1",
                null,
                null);
    }

    @Test
    void manifestListsTheAttachedVolumesExportedWithTheInstance() {
        BackupManifest.AttachedVolume v = new BackupManifest.AttachedVolume(
                "data", "default", "web1-data", "/srv", "a/b/c.volume-data.tar.zst", 42, "cd".repeat(32));
        BackupManifest base = manifest("a/b/c.tar.zst", 123, "ab".repeat(32));
        BackupManifest m = new BackupManifest(
                base.formatVersion(),
                base.key(),
                base.instance(),
                base.remote(),
                base.project(),
                base.lxdServerVersion(),
                base.lxdServerName(),
                base.compression(),
                base.size(),
                base.sha256(),
                base.instanceOnly(),
                base.optimizedStorage(),
                base.snapshots(),
                base.createdAt(),
                base.completedAt(),
                base.exportName(),
                base.exportNamespace(),
                base.exportUid(),
                null,
                List.of(v));
        assertThat(new String(m.toJson(), StandardCharsets.UTF_8))
                .contains("\"volumes\"")
                .contains("\"key\" : \"a/b/c.volume-data.tar.zst\"");
        assertThat(BackupManifest.fromJson(m.toJson()).volumes()).containsExactly(v);
        // manifests without attached volumes keep their form: no "volumes" field at all
        assertThat(new String(base.toJson(), StandardCharsets.UTF_8)).doesNotContain("volumes");
        assertThat(BackupManifest.fromJson(base.toJson()).volumes()).isNull();
    }

    @Test
    void manifestRoundTripsThroughJson() {
        BackupManifest m = manifest("a/b/c.tar.zst", 123, "ab".repeat(32));
        String json = new String(m.toJson(), StandardCharsets.UTF_8);
        assertThat(json)
                .contains("\"formatVersion\" : 1")
                .contains("\"createdAt\" : \"2026-11-26T06:00:00Z\"")
                .contains("\"snapshots\" : [ \"snap0\", \"snap1\" ]");
        assertThat(BackupManifest.fromJson(m.toJson())).isEqualTo(m);
        assertThat(m.manifestKey()).isEqualTo("a/b/c.tar.zst.json");
    }

    @Test
    void manifestReaderIsLenientForwardButRefusesNewerFormats() {
        String withExtra = "{\"formatVersion\":1,\"key\":\"k.tar\",\"size\":5,\"futureField\":{\"x\":1}}";
        BackupManifest m = BackupManifest.fromJson(withExtra.getBytes(StandardCharsets.UTF_8));
        assertThat(m.key()).isEqualTo("k.tar");
        assertThat(m.snapshots()).isEmpty();
        assertThatThrownBy(() -> BackupManifest.fromJson("{\"formatVersion\":2,\"key\":\"k\"}".getBytes()))
                .hasMessageContaining("newer operator");
        assertThatThrownBy(() -> BackupManifest.fromJson("[1,2]".getBytes()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BackupManifest.fromJson("{\"hello\":1}".getBytes()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void scanPairsObjectsWithManifests() throws Exception {
        String bucket = "catalog";
        try (S3Client raw = server.rawClient()) {
            raw.createBucket(b -> b.bucket(bucket));
            raw.putObject(
                    b -> b.bucket(bucket).key("p/" + ObjectKeys.PROBE_NAME_PREFIX + "left-over"),
                    RequestBody.fromString("probe"));
            raw.putObject(
                    b -> b.bucket(bucket).key("p/notes.json"), RequestBody.fromString("{\"not\":\"a manifest\"}"));
            raw.putObject(b -> b.bucket(bucket).key("elsewhere/x.tar"), RequestBody.fromString("x"));
        }
        try (S3ObjectStore store =
                S3ObjectStore.open(server.config(bucket).prefix("p").build())) {
            String described = ObjectKeys.exportKey("p/", "team1", "lxd-a", "default", "web1", "e1", "zstd");
            String bare = ObjectKeys.exportKey("p/", "team1", "lxd-a", "default", "web1", "e2", "gzip");
            String gone = ObjectKeys.exportKey("p/", "team1", "lxd-a", "default", "web1", "e3", "none");
            byte[] data = "backup bytes".getBytes(StandardCharsets.UTF_8);
            UploadResult r =
                    store.upload(described, new ByteArrayInputStream(data), data.length, UploadOptions.defaults());
            store.upload(bare, new ByteArrayInputStream(data), -1, UploadOptions.defaults());
            BackupManifest m = manifest(described, r.size(), r.sha256());
            store.putSmall(m.manifestKey(), m.toJson(), BackupManifest.CONTENT_TYPE);
            BackupManifest orphan = manifest(gone, 1, "00".repeat(32));
            store.putSmall(orphan.manifestKey(), orphan.toJson(), BackupManifest.CONTENT_TYPE);

            ManifestCatalog.Result result = ManifestCatalog.scan(store, "p/");

            assertThat(result.manifests()).containsExactly(m);
            assertThat(result.exports()).extracting(ManifestCatalog.Entry::key).containsExactly(described);
            assertThat(result.objectsWithoutManifest()).containsExactly(bare);
            assertThat(result.manifestsWithoutObject()).containsExactly(orphan);
            assertThat(result.unreadableManifests()).containsExactly("p/notes.json");
            // what a restore does with a catalog entry: stream and verify in one pass
            try (var in = store.downloadVerified(m.key(), m.sha256(), m.size())) {
                assertThat(in.readAllBytes()).isEqualTo(data);
            }
        }
    }

    @Test
    void aMovedPrefixListsWhereTheObjectIsNotWhatTheManifestRecorded() throws Exception {
        String bucket = "catalog-moved";
        byte[] data = "bytes of a backup made by the old cluster".getBytes(StandardCharsets.UTF_8);
        String oldKey = ObjectKeys.exportKey("cluster-a/", "team1", "lxd-a", "default", "web1", "e1", "zstd");
        String newKey = "restored-from-tape/" + oldKey;
        try (S3Client raw = server.rawClient()) {
            raw.createBucket(b -> b.bucket(bucket));
        }
        try (S3ObjectStore store = S3ObjectStore.open(server.config(bucket).build())) {
            UploadResult r =
                    store.upload(oldKey, new ByteArrayInputStream(data), data.length, UploadOptions.defaults());
            BackupManifest m = manifest(oldKey, r.size(), r.sha256());
            store.putSmall(m.manifestKey(), m.toJson(), BackupManifest.CONTENT_TYPE);
            // the bucket is reorganised: object and manifest move under another prefix, unchanged
            try (S3Client raw = server.rawClient()) {
                for (String k : List.of(oldKey, m.manifestKey())) {
                    raw.copyObject(b -> b.sourceBucket(bucket)
                            .sourceKey(k)
                            .destinationBucket(bucket)
                            .destinationKey("restored-from-tape/" + k));
                    raw.deleteObject(b -> b.bucket(bucket).key(k));
                }
            }

            ManifestCatalog.Result result = ManifestCatalog.scan(store, "restored-from-tape/");

            assertThat(result.exports()).hasSize(1);
            ManifestCatalog.Entry e = result.exports().get(0);
            assertThat(e.key()).isEqualTo(newKey);
            assertThat(e.manifest().key()).isEqualTo(oldKey);
            assertThat(result.objectsWithoutManifest()).isEmpty();
            assertThat(result.manifestsWithoutObject()).isEmpty();
            try (var in = store.downloadVerified(
                    e.key(), e.manifest().sha256(), e.manifest().size())) {
                assertThat(in.readAllBytes()).isEqualTo(data);
            }
        }
    }
}
