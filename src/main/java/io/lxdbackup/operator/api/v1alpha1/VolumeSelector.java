package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.Map;
import java.util.Objects;

/**
 * Selects custom storage volumes of one storage pool by config and name, as {@link
 * InstanceSelector} selects instances; all conditions must hold.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class VolumeSelector {

    @JsonPropertyDescription("Storage pool whose custom volumes are selected; required.")
    @Required
    @Size(min = 1, max = 63)
    @Pattern("^[^/]+$")
    private String pool;

    @JsonPropertyDescription(
            "Volume config keys and values that must all match exactly, for example {\"user.backup\": \"true\"}; absent = no config condition.")
    @Size(max = 64)
    private Map<String, String> matchConfig;

    @JsonPropertyDescription("Shell-style glob (* and ?) the volume name must match; absent = any name.")
    @Size(min = 1, max = 253)
    private String namePattern;

    public String getPool() {
        return pool;
    }

    public void setPool(String pool) {
        this.pool = pool;
    }

    public Map<String, String> getMatchConfig() {
        return matchConfig;
    }

    public void setMatchConfig(Map<String, String> matchConfig) {
        this.matchConfig = matchConfig;
    }

    public String getNamePattern() {
        return namePattern;
    }

    public void setNamePattern(String namePattern) {
        this.namePattern = namePattern;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass()) {
            return false;
        }
        VolumeSelector that = (VolumeSelector) o;
        return Objects.equals(pool, that.pool)
                && Objects.equals(matchConfig, that.matchConfig)
                && Objects.equals(namePattern, that.namePattern);
    }

    @Override
    public int hashCode() {
        return Objects.hash(pool, matchConfig, namePattern);
    }

    @Override
    public String toString() {
        return "VolumeSelector{" + "pool=" + pool + ", matchConfig=" + matchConfig + ", namePattern=" + namePattern
                + "}";
    }
}
