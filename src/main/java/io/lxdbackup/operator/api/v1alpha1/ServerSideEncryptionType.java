package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** S3 server-side encryption algorithm. */
public enum ServerSideEncryptionType {
    @JsonProperty("AES256")
    AES256("AES256"),
    @JsonProperty("aws:kms")
    AWS_KMS("aws:kms");

    private final String value;

    ServerSideEncryptionType(String value) {
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
    public static ServerSideEncryptionType fromValue(String value) {
        for (ServerSideEncryptionType v : values()) {
            if (v.value.equals(value)) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown ServerSideEncryptionType: " + value);
    }
}
