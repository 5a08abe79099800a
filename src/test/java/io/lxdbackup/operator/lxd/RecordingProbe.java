package io.lxdbackup.operator.lxd;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/** A {@link ClientProbe} that counts polls, can force polling, and runs a hook before config writes. */
final class RecordingProbe implements ClientProbe {
    private final boolean polling;
    private final AtomicLong polls = new AtomicLong();
    private final BiConsumer<Integer, String> beforeConfigWrite;

    private RecordingProbe(boolean polling, BiConsumer<Integer, String> beforeConfigWrite) {
        this.polling = polling;
        this.beforeConfigWrite = beforeConfigWrite;
    }

    /** Counts polls; waits detect {@code /wait} as in production. */
    static RecordingProbe counting() {
        return new RecordingProbe(false, (a, n) -> {});
    }

    /** Waits poll {@code GET /1.0/operations/{id}} without trying {@code /wait}. */
    static RecordingProbe polling() {
        return new RecordingProbe(true, (a, n) -> {});
    }

    /** Runs {@code hook} (attempt, instance) between reading an instance and writing its config. */
    static RecordingProbe beforeConfigWrite(BiConsumer<Integer, String> hook) {
        return new RecordingProbe(false, hook);
    }

    /** How many times the polling wait asked for an operation. */
    long operationPolls() {
        return polls.get();
    }

    @Override
    public void operationPolled(String id) {
        polls.incrementAndGet();
    }

    @Override
    public void beforeConfigWrite(int attempt, String instance) {
        beforeConfigWrite.accept(attempt, instance);
    }

    @Override
    public boolean forcePolling() {
        return polling;
    }
}
