package io.lxdbackup.operator.store;

import java.net.URI;
import java.util.Locale;
import java.util.Objects;

/**
 * Where and how to reach one S3-compatible bucket; the store-side twin of a {@code BackupStore}
 * spec, free of Kubernetes types. {@link #toString()} never prints secrets.
 *
 * @param endpoint       S3 endpoint ({@code https://minio.example:9000}); {@code null} = AWS by region
 * @param region         signing region; blank = {@code us-east-1} (what most S3-compatible servers expect)
 * @param bucket         bucket name
 * @param prefix         key prefix, normalized to empty or ending in {@code /}
 * @param forcePathStyle address the bucket as {@code endpoint/bucket} rather than {@code bucket.endpoint}
 * @param credentials    static keys, or {@code null} for the SDK default chain (environment, web
 *                       identity token / IRSA, profile, container and instance metadata)
 * @param caBundlePem    PEM certificates trusted <em>in addition to</em> the JVM's default trust
 *                       store, so a private CA can be added without losing the public ones; {@code null} = defaults only
 * @param storageClass   storage class for export objects ({@code null} = bucket default); manifests
 *                       always use the default class so that listing backups never needs a restore
 * @param encryption     server-side encryption for every object written, or {@code null}
 * @param objectLock     retention applied to every object written, or {@code null}
 * @param readOnly       never write: no probe on validation, writes fail with {@code ReadOnlyViolation}
 */
public record StoreConfig(
        URI endpoint,
        String region,
        String bucket,
        String prefix,
        boolean forcePathStyle,
        Credentials credentials,
        String caBundlePem,
        String storageClass,
        Encryption encryption,
        ObjectLock objectLock,
        boolean readOnly) {

    public static final String DEFAULT_REGION = "us-east-1";

    public StoreConfig {
        if (bucket == null || bucket.isBlank()) {
            throw new IllegalArgumentException("bucket must be set");
        }
        region = region == null || region.isBlank() ? DEFAULT_REGION : region.trim();
        prefix = ObjectKeys.normalizePrefix(prefix);
        caBundlePem = caBundlePem == null || caBundlePem.isBlank() ? null : caBundlePem;
        storageClass = storageClass == null || storageClass.isBlank() ? null : storageClass.trim();
        if (endpoint != null && !"http".equals(endpoint.getScheme()) && !"https".equals(endpoint.getScheme())) {
            throw new IllegalArgumentException("endpoint must start with http:// or https:// (got '" + endpoint + "')");
        }
    }

    public static Builder builder(String bucket) {
        return new Builder(bucket);
    }

    public Builder toBuilder() {
        Builder b = new Builder(bucket);
        b.endpoint = endpoint;
        b.region = region;
        b.prefix = prefix;
        b.forcePathStyle = forcePathStyle;
        b.credentials = credentials;
        b.caBundlePem = caBundlePem;
        b.storageClass = storageClass;
        b.encryption = encryption;
        b.objectLock = objectLock;
        b.readOnly = readOnly;
        return b;
    }

    /** What an operator log line or a status message may show about this store. */
    public String describe() {
        return "s3://" + bucket + "/" + prefix + (endpoint == null ? "" : " at " + endpoint);
    }

    @Override
    public String toString() {
        return "StoreConfig[endpoint=" + endpoint + ", region=" + region + ", bucket=" + bucket
                + ", prefix=" + prefix + ", forcePathStyle=" + forcePathStyle + ", credentials="
                + (credentials == null ? "default-chain" : credentials) + ", caBundle="
                + (caBundlePem == null ? "none" : "set") + ", storageClass=" + storageClass
                + ", encryption=" + encryption + ", objectLock=" + objectLock + ", readOnly=" + readOnly + "]";
    }

    /** Static keys. Only the access key id is ever printed; it names the key but grants nothing. */
    public record Credentials(String accessKeyId, String secretAccessKey, String sessionToken) {
        public Credentials {
            if (accessKeyId == null || accessKeyId.isBlank() || secretAccessKey == null || secretAccessKey.isEmpty()) {
                throw new IllegalArgumentException("accessKeyId and secretAccessKey must both be set");
            }
            sessionToken = sessionToken == null || sessionToken.isEmpty() ? null : sessionToken;
        }

        @Override
        public String toString() {
            return "Credentials[accessKeyId=" + accessKeyId + ", secretAccessKey=***"
                    + (sessionToken == null ? "" : ", sessionToken=***") + "]";
        }
    }

    /** Server-side encryption; {@code kmsKeyId} only with {@link SseType#AWS_KMS} (null = the AWS managed key). */
    public record Encryption(SseType type, String kmsKeyId) {
        public Encryption {
            Objects.requireNonNull(type, "type");
            kmsKeyId = kmsKeyId == null || kmsKeyId.isBlank() ? null : kmsKeyId.trim();
            if (kmsKeyId != null && type != SseType.AWS_KMS) {
                throw new IllegalArgumentException("kmsKeyId is only valid with type aws:kms");
            }
        }
    }

    public enum SseType {
        AES256("AES256"),
        AWS_KMS("aws:kms");

        private final String wireValue;

        SseType(String wireValue) {
            this.wireValue = wireValue;
        }

        /** The value of {@code x-amz-server-side-encryption}, as written in the CRD. */
        public String wireValue() {
            return wireValue;
        }

        public static SseType fromWire(String value) {
            for (SseType t : values()) {
                if (t.wireValue.equalsIgnoreCase(value)) {
                    return t;
                }
            }
            throw new IllegalArgumentException(
                    "unknown server-side encryption type '" + value + "' (expected AES256 or aws:kms)");
        }
    }

    /** S3 Object Lock retention: each object is locked for {@code retainDays} from its upload. */
    public record ObjectLock(LockMode mode, int retainDays) {
        public ObjectLock {
            Objects.requireNonNull(mode, "mode");
            if (retainDays < 1) {
                throw new IllegalArgumentException("objectLock.retainDays must be at least 1");
            }
        }
    }

    public enum LockMode {
        GOVERNANCE,
        COMPLIANCE;

        public static LockMode fromWire(String value) {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        }
    }

    public static final class Builder {
        private final String bucket;
        private URI endpoint;
        private String region;
        private String prefix;
        private boolean forcePathStyle;
        private Credentials credentials;
        private String caBundlePem;
        private String storageClass;
        private Encryption encryption;
        private ObjectLock objectLock;
        private boolean readOnly;

        private Builder(String bucket) {
            this.bucket = bucket;
        }

        public Builder endpoint(URI endpoint) {
            this.endpoint = endpoint;
            return this;
        }

        public Builder endpoint(String endpoint) {
            this.endpoint = endpoint == null || endpoint.isBlank() ? null : URI.create(endpoint.trim());
            return this;
        }

        public Builder region(String region) {
            this.region = region;
            return this;
        }

        public Builder prefix(String prefix) {
            this.prefix = prefix;
            return this;
        }

        public Builder forcePathStyle(boolean forcePathStyle) {
            this.forcePathStyle = forcePathStyle;
            return this;
        }

        public Builder credentials(String accessKeyId, String secretAccessKey, String sessionToken) {
            this.credentials = new Credentials(accessKeyId, secretAccessKey, sessionToken);
            return this;
        }

        public Builder credentials(Credentials credentials) {
            this.credentials = credentials;
            return this;
        }

        public Builder caBundlePem(String caBundlePem) {
            this.caBundlePem = caBundlePem;
            return this;
        }

        public Builder storageClass(String storageClass) {
            this.storageClass = storageClass;
            return this;
        }

        public Builder encryption(Encryption encryption) {
            this.encryption = encryption;
            return this;
        }

        public Builder objectLock(ObjectLock objectLock) {
            this.objectLock = objectLock;
            return this;
        }

        public Builder readOnly(boolean readOnly) {
            this.readOnly = readOnly;
            return this;
        }

        public StoreConfig build() {
            return new StoreConfig(
                    endpoint,
                    region,
                    bucket,
                    prefix,
                    forcePathStyle,
                    credentials,
                    caBundlePem,
                    storageClass,
                    encryption,
                    objectLock,
                    readOnly);
        }
    }
}
