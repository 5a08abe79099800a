package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import lombok.Data;

/** An S3-compatible bucket. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
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
}
