package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Phase of an LxdRemote. */
public enum LxdRemotePhase {
    @JsonProperty("Ready")
    READY("Ready"),
    @JsonProperty("Unreachable")
    UNREACHABLE("Unreachable"),
    /** TLS verification failed or the client certificate is not trusted by the server. */
    @JsonProperty("Untrusted")
    UNTRUSTED("Untrusted"),
    /** The spec or the referenced Secrets are unusable. */
    @JsonProperty("Invalid")
    INVALID("Invalid");

    private final String value;

    LxdRemotePhase(String value) {
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
    public static LxdRemotePhase fromValue(String value) {
        for (LxdRemotePhase v : values()) {
            if (v.value.equals(value)) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown LxdRemotePhase: " + value);
    }
}
