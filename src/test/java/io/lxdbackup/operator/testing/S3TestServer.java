package io.lxdbackup.operator.testing;

import io.lxdbackup.operator.store.S3ObjectStore;
import io.lxdbackup.operator.store.StoreConfig;
import java.net.URI;
import java.nio.file.Path;
import java.util.function.Consumer;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 server the tests talk to over HTTP: {@link S3Server} (s3proxy in-process) or
 * {@link MotoServer} (moto's server in a process of its own). Tests that should hold for any S3
 * implementation take one of {@link S3Implementation} as their parameter.
 */
public interface S3TestServer extends AutoCloseable {
    /** Which implementation, for test names and messages. */
    S3Implementation implementation();

    URI endpoint();

    /** The access key id that the server accepts. */
    String identity();

    /** The secret access key that goes with {@link #identity()}. Never log it. */
    String credential();

    /** Takes the endpoint away (connections refused). */
    void stop() throws Exception;

    /** Serves again on the same port; whether objects survive depends on the implementation. */
    void restart() throws Exception;

    boolean running();

    /** Whether objects survive {@link #stop()} and {@link #restart()}. */
    boolean keepsObjectsAcrossRestart();

    /**
     * Whether the server refuses a body that differs from its signed SHA-256
     * ({@code x-amz-content-sha256}), as S3 does with {@code XAmzContentSHA256Mismatch}.
     */
    boolean checksSignedPayload();

    default StoreConfig.Builder config(String bucket) {
        return StoreConfig.builder(bucket)
                .endpoint(endpoint())
                .region("us-east-1")
                .forcePathStyle(true)
                .credentials(identity(), credential(), null);
    }

    /** A plain client of the same kind the store uses, for checks independent of the store's code paths. */
    default S3Client rawClient() {
        return S3ObjectStore.buildClient(config("unused").build(), o -> {});
    }

    default S3Client client(StoreConfig config, Consumer<ClientOverrideConfiguration.Builder> overrides) {
        return S3ObjectStore.buildClient(config, overrides);
    }

    default void createBucket(String bucket) {
        try (S3Client raw = rawClient()) {
            raw.createBucket(b -> b.bucket(bucket));
        }
    }

    /** The {@code aws} CLI or {@code rclone} pointed at this server with its credentials. */
    default IndependentS3Client independentClient(Path tmp) {
        return IndependentS3Client.require(endpoint(), tmp, identity(), credential());
    }
}
