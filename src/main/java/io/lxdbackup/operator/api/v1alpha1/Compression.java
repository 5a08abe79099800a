package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Compression of an LXD backup tarball. */
public enum Compression {
    /** The fastest algorithm the server supports. */
    @JsonProperty("auto")
    AUTO("auto"),
    @JsonProperty("none")
    NONE("none"),
    @JsonProperty("gzip")
    GZIP("gzip"),
    @JsonProperty("bzip2")
    BZIP2("bzip2"),
    @JsonProperty("xz")
    XZ("xz"),
    @JsonProperty("zstd")
    ZSTD("zstd"),
    @JsonProperty("lz4")
    LZ4("lz4");

    private final String value;

    Compression(String value) {
        this.value = value;
    }

    /** The value as written in YAML and sent to LXD or S3. */
    public String value() {
        return value;
    }

    @Override
    public String toString() {
        return value;
    }

    /** Parses the YAML value; throws {@link IllegalArgumentException} for unknown values. */
    public static Compression fromValue(String value) {
        for (Compression v : values()) {
            if (v.value.equals(value)) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown Compression: " + value);
    }
}
