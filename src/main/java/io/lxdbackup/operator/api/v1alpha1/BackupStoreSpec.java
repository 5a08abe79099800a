package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;
import java.util.Objects;

/** Desired state of a BackupStore. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class BackupStoreSpec {

    @JsonPropertyDescription("S3-compatible bucket to store exports in; required.")
    @Required
    private S3Store s3;

    @JsonPropertyDescription("ReadWrite allows exports and restores, ReadOnly only restores; default ReadWrite.")
    @Default("ReadWrite")
    private AccessMode accessMode;

    public S3Store getS3() {
        return s3;
    }

    public void setS3(S3Store s3) {
        this.s3 = s3;
    }

    public AccessMode getAccessMode() {
        return accessMode;
    }

    public void setAccessMode(AccessMode accessMode) {
        this.accessMode = accessMode;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass()) {
            return false;
        }
        BackupStoreSpec that = (BackupStoreSpec) o;
        return Objects.equals(s3, that.s3) && Objects.equals(accessMode, that.accessMode);
    }

    @Override
    public int hashCode() {
        return Objects.hash(s3, accessMode);
    }

    @Override
    public String toString() {
        return "BackupStoreSpec{" + "s3=" + s3 + ", accessMode=" + accessMode + "}";
    }
}
