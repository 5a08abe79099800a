package io.lxdbackup.operator.lxd;

/**
 * Observes steps inside an {@link LxdClient} that no request shows: the waits it polls, the
 * moment between reading an instance and writing its config back. Production clients use
 * {@link #NONE}; a test attaches its own with {@link LxdClient#observedBy}.
 */
interface ClientProbe {
    ClientProbe NONE = new ClientProbe() {};

    /** The polling wait is about to ask for operation {@code id} again. */
    default void operationPolled(String id) {}

    /** An instance's config was read and the edited one is about to be written ({@code attempt} from 0). */
    default void beforeConfigWrite(int attempt, String instance) {}

    /** Whether waits poll {@code GET /1.0/operations/{id}} instead of trying {@code /wait} first. */
    default boolean forcePolling() {
        return false;
    }
}
