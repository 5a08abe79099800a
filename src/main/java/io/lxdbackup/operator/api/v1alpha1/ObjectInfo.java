package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** An object in a BackupStore. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class ObjectInfo {

    @JsonPropertyDescription("Bucket holding the object.")
    private String bucket;

    @JsonPropertyDescription("Full object key including the store prefix.")
    private String key;

    @JsonPropertyDescription("Object size in bytes.")
    private Long size;

    @JsonPropertyDescription("SHA-256 of the object content as 64 hex digits.")
    private String sha256;

    public String getBucket() {
        return bucket;
    }

    public void setBucket(String bucket) {
        this.bucket = bucket;
    }

    public String getKey() {
        return key;
    }

    public void setKey(String key) {
        this.key = key;
    }

    public Long getSize() {
        return size;
    }

    public void setSize(Long size) {
        this.size = size;
    }

    public String getSha256() {
        return sha256;
    }

    public void setSha256(String sha256) {
        this.sha256 = sha256;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass()) {
            return false;
        }
        ObjectInfo that = (ObjectInfo) o;
        return Objects.equals(bucket, that.bucket)
                && Objects.equals(key, that.key)
                && Objects.equals(size, that.size)
                && Objects.equals(sha256, that.sha256);
    }

    @Override
    public int hashCode() {
        return Objects.hash(bucket, key, size, sha256);
    }

    @Override
    public String toString() {
        return "ObjectInfo{" + "bucket=" + bucket + ", key=" + key + ", size=" + size + ", sha256=" + sha256 + "}";
    }
}
