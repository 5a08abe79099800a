package io.lxdbackup.operator.controller;

import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Clean-up steps that run beside the real work (aborting stale multipart uploads before and
 * after an upload, say). Their failure is reported and retried later, but never becomes the
 * outcome of the work: a refused or unreachable clean-up neither replaces the error the work
 * itself had nor turns a retryable failure into a permanent one. Something already gone counts
 * as cleaned up; the store and LXD clients report that as success.
 */
final class Cleanup {
    private Cleanup() {}

    /**
     * Runs {@code step}; on failure hands the mapped {@link Failure} to {@code onFailure} and
     * returns {@code fallback}.
     */
    static <T> T bestEffort(String what, Supplier<T> step, T fallback, Consumer<Failure> onFailure) {
        try {
            return step.get();
        } catch (RuntimeException ex) {
            onFailure.accept(Failure.from(ex, what));
            return fallback;
        }
    }
}
