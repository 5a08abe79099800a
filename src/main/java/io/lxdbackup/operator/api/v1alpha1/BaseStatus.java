package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import java.util.List;
import java.util.Optional;
import lombok.Data;

/**
 * Status fields shared by every kind.
 *
 * @param <P> the phase enum of the kind
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
public abstract class BaseStatus<P extends Enum<P>> {

    @JsonPropertyDescription("One-word summary for humans; conditions are the machine-readable truth.")
    private P phase;

    @JsonPropertyDescription("metadata.generation of the spec this status was computed from.")
    private Long observedGeneration;

    @JsonPropertyDescription("Kubernetes-style conditions; see the kind documentation for the types used.")
    private List<Condition> conditions;

    @JsonPropertyDescription("Consecutive failed attempts since the last success; 0 or absent after a success.")
    @Min(0)
    private Integer failures;

    @JsonPropertyDescription("The last error seen; cleared after the next success.")
    private ErrorStatus lastError;

    /** The condition of the given type, if present. */
    public Optional<Condition> findCondition(String type) {
        if (conditions == null) {
            return Optional.empty();
        }
        return conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
    }

    /** True when the condition of the given type is present with status True. */
    public boolean isConditionTrue(String type) {
        return findCondition(type).map(Condition::isTrue).orElse(false);
    }
}
