package io.lxdbackup.operator.testing;

/**
 * The S3 implementations the store tests run against, as a test parameter
 * ({@code @EnumSource(S3Implementation.class)}). {@link #start()} starts a fresh server.
 */
public enum S3Implementation {
    /** s3proxy in-process, with an in-memory blob store. */
    S3PROXY("s3proxy"),
    /** moto's {@code moto_server} (PyPI), a separate process; see {@link MotoServer}. */
    MOTO("moto");

    private final String id;

    S3Implementation(String id) {
        this.id = id;
    }

    /** A short lower-case name, usable in bucket and resource names. */
    public String id() {
        return id;
    }

    /**
     * A running server of this implementation. For {@link #MOTO} without moto installed the
     * calling test is skipped, or fails under {@code LXD_RIG_REQUIRED=true} (CI).
     */
    public S3TestServer start() throws Exception {
        return switch (this) {
            case S3PROXY -> S3Server.start();
            case MOTO -> MotoServer.start();
        };
    }

    @Override
    public String toString() {
        return id;
    }
}
