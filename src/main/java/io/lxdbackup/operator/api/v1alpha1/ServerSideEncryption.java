package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import lombok.Data;

/** S3 server-side encryption for uploaded objects. */
@ValidationRule(
        value = "!has(self.kmsKeyId) || self.kmsKeyId == '' || self.type == 'aws:kms'",
        message = "kmsKeyId needs type aws:kms")
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
public class ServerSideEncryption {

    @JsonPropertyDescription("Algorithm: AES256 or aws:kms; required.")
    @Required
    private ServerSideEncryptionType type;

    @JsonPropertyDescription("KMS key id or ARN for aws:kms; absent = the bucket or account default key.")
    @Size(max = 2048)
    private String kmsKeyId;
}
