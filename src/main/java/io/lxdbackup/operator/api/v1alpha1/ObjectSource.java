package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import lombok.Data;

/** An export object in a BackupStore. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
public class ObjectSource {

    @JsonPropertyDescription("BackupStore (same namespace) holding the object; required.")
    @Required
    private ObjectRef storeRef;

    @JsonPropertyDescription(
            "Full object key, as in an export's status.object.key; required. It must lie under the store's "
                    + "spec.s3.prefix (else reason KeyOutsidePrefix).")
    @Required
    @Size(min = 1, max = 1024)
    @ValidationRule(value = "!self.startsWith('/')", message = "must not start with '/'")
    private String key;
}
