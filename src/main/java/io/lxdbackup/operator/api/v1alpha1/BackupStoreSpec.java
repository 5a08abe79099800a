package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;
import lombok.Data;

/** Desired state of a BackupStore. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
public class BackupStoreSpec {

    @JsonPropertyDescription("S3-compatible bucket to store exports in; required.")
    @Required
    private S3Store s3;

    @JsonPropertyDescription("ReadWrite allows exports and restores, ReadOnly only restores; default ReadWrite.")
    @Default("ReadWrite")
    private AccessMode accessMode;
}
