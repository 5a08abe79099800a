package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.Objects;

/** An S3-compatible bucket. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class S3Store {

    @JsonPropertyDescription("S3 endpoint URL, for example https://s3.example.com; absent = AWS S3 for the region.")
    @Pattern("^https?://.+")
    @Size(max = 2048)
    private String endpoint;

    @JsonPropertyDescription("Region used for signing; default us-east-1.")
    @Default("us-east-1")
    @Size(min = 1, max = 64)
    private String region;

    @JsonPropertyDescription("Bucket name; required.")
    @Required
    @Size(min = 3, max = 63)
    private String bucket;

    @JsonPropertyDescription(
            "Key prefix for every object, usually ending in \"/\", for example cluster-a/; default none.")
    @Size(max = 512)
    @ValidationRule(value = "!self.startsWith('/')", message = "must not start with '/'")
    private String prefix;

    @JsonPropertyDescription(
            "true = path-style URLs (endpoint/bucket/key), needed by most non-AWS stores; default false.")
    @Default("false")
    private Boolean forcePathStyle;

    @JsonPropertyDescription(
            "Secret with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and optionally AWS_SESSION_TOKEN, of type "
                    + "lxdbackup.io/s3-credentials or labelled lxdbackup.io/allow=true. Absent = the operator's own identity (default AWS "
                    + "credentials chain), allowed only when the operator runs with --allow-ambient-credentials.")
    private ObjectRef credentialsSecretRef;

    @JsonPropertyDescription("PEM CA certificates to trust for the endpoint in addition to the system ones; optional.")
    private String caBundle;

    @JsonPropertyDescription(
            "Storage class for uploaded objects, for example STANDARD_IA; absent = the bucket default.")
    @Size(max = 64)
    private String storageClass;

    @JsonPropertyDescription("Server-side encryption for uploaded objects; absent = the bucket default.")
    private ServerSideEncryption serverSideEncryption;

    @JsonPropertyDescription("Object Lock retention for uploaded objects; absent = none.")
    private ObjectLock objectLock;

    public String getEndpoint() {
        return endpoint;
    }

    public void setEndpoint(String endpoint) {
        this.endpoint = endpoint;
    }

    public String getRegion() {
        return region;
    }

    public void setRegion(String region) {
        this.region = region;
    }

    public String getBucket() {
        return bucket;
    }

    public void setBucket(String bucket) {
        this.bucket = bucket;
    }

    public String getPrefix() {
        return prefix;
    }

    public void setPrefix(String prefix) {
        this.prefix = prefix;
    }

    public Boolean getForcePathStyle() {
        return forcePathStyle;
    }

    public void setForcePathStyle(Boolean forcePathStyle) {
        this.forcePathStyle = forcePathStyle;
    }

    public ObjectRef getCredentialsSecretRef() {
        return credentialsSecretRef;
    }

    public void setCredentialsSecretRef(ObjectRef credentialsSecretRef) {
        this.credentialsSecretRef = credentialsSecretRef;
    }

    public String getCaBundle() {
        return caBundle;
    }

    public void setCaBundle(String caBundle) {
        this.caBundle = caBundle;
    }

    public String getStorageClass() {
        return storageClass;
    }

    public void setStorageClass(String storageClass) {
        this.storageClass = storageClass;
    }

    public ServerSideEncryption getServerSideEncryption() {
        return serverSideEncryption;
    }

    public void setServerSideEncryption(ServerSideEncryption serverSideEncryption) {
        this.serverSideEncryption = serverSideEncryption;
    }

    public ObjectLock getObjectLock() {
        return objectLock;
    }

    public void setObjectLock(ObjectLock objectLock) {
        this.objectLock = objectLock;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass()) {
            return false;
        }
        S3Store that = (S3Store) o;
        return Objects.equals(endpoint, that.endpoint)
                && Objects.equals(region, that.region)
                && Objects.equals(bucket, that.bucket)
                && Objects.equals(prefix, that.prefix)
                && Objects.equals(forcePathStyle, that.forcePathStyle)
                && Objects.equals(credentialsSecretRef, that.credentialsSecretRef)
                && Objects.equals(caBundle, that.caBundle)
                && Objects.equals(storageClass, that.storageClass)
                && Objects.equals(serverSideEncryption, that.serverSideEncryption)
                && Objects.equals(objectLock, that.objectLock);
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                endpoint,
                region,
                bucket,
                prefix,
                forcePathStyle,
                credentialsSecretRef,
                caBundle,
                storageClass,
                serverSideEncryption,
                objectLock);
    }

    @Override
    public String toString() {
        return "S3Store{" + "endpoint=" + endpoint
                + ", region=" + region
                + ", bucket=" + bucket
                + ", prefix=" + prefix
                + ", forcePathStyle=" + forcePathStyle
                + ", credentialsSecretRef=" + credentialsSecretRef
                + ", caBundle=" + caBundle
                + ", storageClass=" + storageClass
                + ", serverSideEncryption=" + serverSideEncryption
                + ", objectLock=" + objectLock + "}";
    }
}
