package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.Objects;

/** S3 server-side encryption for uploaded objects. */
@ValidationRule(
        value = "!has(self.kmsKeyId) || self.kmsKeyId == '' || self.type == 'aws:kms'",
        message = "kmsKeyId needs type aws:kms")
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class ServerSideEncryption {

    @JsonPropertyDescription("Algorithm: AES256 or aws:kms; required.")
    @Required
    private ServerSideEncryptionType type;

    @JsonPropertyDescription("KMS key id or ARN for aws:kms; absent = the bucket or account default key.")
    @Size(max = 2048)
    private String kmsKeyId;

    public ServerSideEncryptionType getType() {
        return type;
    }

    public void setType(ServerSideEncryptionType type) {
        this.type = type;
    }

    public String getKmsKeyId() {
        return kmsKeyId;
    }

    public void setKmsKeyId(String kmsKeyId) {
        this.kmsKeyId = kmsKeyId;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass()) {
            return false;
        }
        ServerSideEncryption that = (ServerSideEncryption) o;
        return Objects.equals(type, that.type) && Objects.equals(kmsKeyId, that.kmsKeyId);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, kmsKeyId);
    }

    @Override
    public String toString() {
        return "ServerSideEncryption{" + "type=" + type + ", kmsKeyId=" + kmsKeyId + "}";
    }
}
