package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.Objects;

/** An export object in a BackupStore. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
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

    public ObjectRef getStoreRef() {
        return storeRef;
    }

    public void setStoreRef(ObjectRef storeRef) {
        this.storeRef = storeRef;
    }

    public String getKey() {
        return key;
    }

    public void setKey(String key) {
        this.key = key;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass()) {
            return false;
        }
        ObjectSource that = (ObjectSource) o;
        return Objects.equals(storeRef, that.storeRef) && Objects.equals(key, that.key);
    }

    @Override
    public int hashCode() {
        return Objects.hash(storeRef, key);
    }

    @Override
    public String toString() {
        return "ObjectSource{" + "storeRef=" + storeRef + ", key=" + key + "}";
    }
}
