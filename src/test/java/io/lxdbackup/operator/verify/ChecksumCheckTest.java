package io.lxdbackup.operator.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.lxdbackup.operator.store.BackupManifest;
import io.lxdbackup.operator.store.ObjectKeys;
import io.lxdbackup.operator.store.ObjectStore;
import io.lxdbackup.operator.store.S3ObjectStore;
import io.lxdbackup.operator.store.UploadOptions;
import io.lxdbackup.operator.store.UploadResult;
import io.lxdbackup.operator.testing.IndependentS3Client;
import io.lxdbackup.operator.testing.S3Implementation;
import io.lxdbackup.operator.testing.S3TestServer;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The checksum level against real S3 servers (s3proxy in-process, moto as a separate process):
 * an object is uploaded as an export is (multipart, manifest beside it), then changed or removed
 * with an independent client ({@code aws} or {@code rclone}), never through the operator's code.
 */
class ChecksumCheckTest {
    static final String BUCKET = "verify";

    @ParameterizedTest
    @EnumSource(S3Implementation.class)
    void goodChangedAndMissingObjects(S3Implementation impl) throws Exception {
        try (S3TestServer server = impl.start()) {
            server.createBucket(BUCKET);
            IndependentS3Client other = server.independentClient(Files.createTempDirectory("verify-" + impl.id()));
            try (ObjectStore store = S3ObjectStore.open(server.config(BUCKET).build())) {
                byte[] data = new byte[12 * 1024 * 1024 + 123]; // several parts
                new Random(3).nextBytes(data);
                String key = "ns/lxd-a/default/web1/web1-1.tar.zst";
                UploadResult up =
                        store.upload(key, new ByteArrayInputStream(data), data.length, UploadOptions.defaults());
                store.putSmall(
                        ObjectKeys.manifestKey(key),
                        manifest(key, data.length, up.sha256()).toJson(),
                        BackupManifest.CONTENT_TYPE);

                ChecksumCheck.Outcome good =
                        ChecksumCheck.check(store, key, up.sha256(), data.length, Throttle.unlimited());
                assertThat(good.verdict()).as(good.message()).isEqualTo(ChecksumCheck.Verdict.PASSED);
                assertThat(good.bytesRead()).isEqualTo(data.length);
                assertThat(good.actualSha256()).isEqualTo(up.sha256());

                // what the export recorded disagrees with the manifest: caught without reading the object
                ChecksumCheck.Outcome wrongRecord =
                        ChecksumCheck.check(store, key, "0".repeat(64), data.length, Throttle.unlimited());
                assertThat(wrongRecord.verdict()).isEqualTo(ChecksumCheck.Verdict.CHECKSUM_MISMATCH);
                assertThat(wrongRecord.message()).contains("manifest");

                // one byte changed, same size, written by another client: only reading it can tell
                byte[] rotten = data.clone();
                rotten[data.length / 2] ^= 0x20;
                other.write(BUCKET, key, rotten);
                assertThat(other.head(BUCKET, key).orElseThrow().size()).isEqualTo(data.length);
                ChecksumCheck.Outcome bad =
                        ChecksumCheck.check(store, key, up.sha256(), data.length, Throttle.unlimited());
                assertThat(bad.verdict()).isEqualTo(ChecksumCheck.Verdict.CHECKSUM_MISMATCH);
                assertThat(bad.bytesRead()).isEqualTo(data.length);
                assertThat(bad.message()).contains(up.sha256()).contains("changed");

                // the manifest gone: the bucket alone no longer describes the export
                other.delete(BUCKET, ObjectKeys.manifestKey(key));
                ChecksumCheck.Outcome noManifest =
                        ChecksumCheck.check(store, key, up.sha256(), data.length, Throttle.unlimited());
                assertThat(noManifest.verdict()).isEqualTo(ChecksumCheck.Verdict.OBJECT_MISSING);
                assertThat(noManifest.message()).contains("manifest");

                other.delete(BUCKET, key);
                ChecksumCheck.Outcome missing =
                        ChecksumCheck.check(store, key, up.sha256(), data.length, Throttle.unlimited());
                assertThat(missing.verdict()).isEqualTo(ChecksumCheck.Verdict.OBJECT_MISSING);
                assertThat(missing.message()).contains("missing");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = S3Implementation.class, names = "S3PROXY")
    void theRateLimitHolds(S3Implementation impl) throws Exception {
        try (S3TestServer server = impl.start();
                ObjectStore store = S3ObjectStore.open(server.config(BUCKET).build())) {
            server.createBucket(BUCKET);
            byte[] data = new byte[3 * 1024 * 1024];
            new Random(5).nextBytes(data);
            String key = "k/rate.tar.gz";
            UploadResult up = store.upload(key, new ByteArrayInputStream(data), data.length, UploadOptions.defaults());
            store.putSmall(
                    ObjectKeys.manifestKey(key),
                    manifest(key, data.length, up.sha256()).toJson(),
                    BackupManifest.CONTENT_TYPE);
            long t0 = System.nanoTime();
            ChecksumCheck.Outcome o =
                    ChecksumCheck.check(store, key, up.sha256(), data.length, Throttle.of(1024 * 1024));
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertThat(o.passed()).isTrue();
            // 3 MiB at 1 MiB/s, the first second pre-paid at most: at least 2 s
            assertThat(seconds).isGreaterThan(1.9);
        }
    }

    static BackupManifest manifest(String key, long size, String sha) {
        return new BackupManifest(
                BackupManifest.FORMAT_VERSION,
                key,
                "web1",
                "lxd-a",
                "default",
                "5.0.2",
                "host",
                "zstd",
                size,
                sha,
                false,
                false,
                List.of(),
                Instant.now(),
                Instant.now(),
                "web1-1",
                "ns",
                null,
                null,
                null);
    }
}
