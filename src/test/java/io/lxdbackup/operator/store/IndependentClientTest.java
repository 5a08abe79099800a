package io.lxdbackup.operator.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.lxdbackup.operator.testing.IndependentS3Client;
import io.lxdbackup.operator.testing.S3Implementation;
import io.lxdbackup.operator.testing.S3TestServer;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Reads what the store wrote with a client that shares none of its code: the {@code aws} CLI
 * (botocore) or, failing that, {@code rclone}. Skipped when neither is installed. On s3proxy and
 * on moto.
 */
class IndependentClientTest {
    private static final long SIZE = 23L * 1024 * 1024 + 4321;
    private static final String BUCKET = "independent";
    private static final String KEY = "exports/ns/lxd-a/default/web1/web1-1.tar.zst";

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0}")
    @EnumSource(S3Implementation.class)
    void objectWrittenByTheStoreReadsBackWithTheSameSizeAndChecksum(S3Implementation implementation) throws Exception {
        try (S3TestServer server = implementation.start()) {
            server.createBucket(BUCKET);
            check(server, server.independentClient(tmp));
        }
    }

    private static void check(S3TestServer server, IndependentS3Client client) throws Exception {
        UploadResult r;
        try (S3ObjectStore store = S3ObjectStore.open(server.config(BUCKET).build())) {
            r = store.upload(
                    KEY, new TestData(42, SIZE), -1, UploadOptions.defaults().withPartSize(5L * 1024 * 1024));
        }
        String expected = TestData.sha256(42, SIZE);
        assertThat(r.sha256()).isEqualTo(expected);

        System.out.println("independent client: " + client.name());
        IndependentS3Client.Head head = client.head(BUCKET, KEY).orElseThrow();
        assertThat(head.size()).isEqualTo(SIZE);
        // a multipart upload: the SHA-256 is not metadata (the caller's manifest records it); the
        // ETag the upload verified is what others see
        assertThat(head.sha256()).isNull();
        if (client.name().contains("aws")) {
            assertThat(head.etag()).isEqualTo(r.etag());
        }
        String[] streamed = new String[1];
        client.read(BUCKET, KEY, in -> streamed[0] = TestData.sha256(in));
        assertThat(streamed[0]).isEqualTo(expected);
    }
}
