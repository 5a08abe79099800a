package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Status fields shared by every kind.
 *
 * @param <P> the phase enum of the kind
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
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

    public P getPhase() {
        return phase;
    }

    public void setPhase(P phase) {
        this.phase = phase;
    }

    public Long getObservedGeneration() {
        return observedGeneration;
    }

    public void setObservedGeneration(Long observedGeneration) {
        this.observedGeneration = observedGeneration;
    }

    public List<Condition> getConditions() {
        return conditions;
    }

    public void setConditions(List<Condition> conditions) {
        this.conditions = conditions;
    }

    public Integer getFailures() {
        return failures;
    }

    public void setFailures(Integer failures) {
        this.failures = failures;
    }

    public ErrorStatus getLastError() {
        return lastError;
    }

    public void setLastError(ErrorStatus lastError) {
        this.lastError = lastError;
    }

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

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass()) {
            return false;
        }
        BaseStatus<?> that = (BaseStatus<?>) o;
        return Objects.equals(phase, that.phase)
                && Objects.equals(observedGeneration, that.observedGeneration)
                && Objects.equals(conditions, that.conditions)
                && Objects.equals(failures, that.failures)
                && Objects.equals(lastError, that.lastError);
    }

    @Override
    public int hashCode() {
        return Objects.hash(phase, observedGeneration, conditions, failures, lastError);
    }

    @Override
    public String toString() {
        return "BaseStatus{" + "phase=" + phase
                + ", observedGeneration=" + observedGeneration
                + ", conditions=" + conditions
                + ", failures=" + failures
                + ", lastError=" + lastError + "}";
    }
}
