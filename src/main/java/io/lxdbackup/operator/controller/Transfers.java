package io.lxdbackup.operator.controller;

import io.lxdbackup.operator.api.v1alpha1.BaseStatus;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.ErrorStatus;
import io.lxdbackup.operator.store.UploadOptions;
import io.lxdbackup.operator.transfer.TransferLimiter;
import io.lxdbackup.operator.transfer.TransferLimits;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The reconcilers' side of the {@link TransferLimiter}: admits a transfer or says it waits
 * ({@link Queued}, reported as condition reason {@code Queued}, neither a failure nor counted as
 * one), and sizes an upload's parts within the permit and {@link TransferLimits#maxPartSize()}.
 */
final class Transfers {
    /** How often a waiting transfer asks again (with up to a second of jitter). */
    static final Duration QUEUE_POLL = Duration.ofSeconds(4);
    /** Memory a restore or relay copy holds: stream and socket buffers, no part buffers. */
    static final long STREAM_MEMORY = 4 * TransferLimits.MIB;

    private final TransferLimiter limiter;

    Transfers(TransferLimiter limiter) {
        this.limiter = Objects.requireNonNull(limiter, "limiter");
    }

    TransferLimits limits() {
        return limiter.limits();
    }

    /** The transfer must wait; the message says for what and where it stands in line. */
    static final class Queued extends RuntimeException {
        Queued(String message) {
            super(message, null, false, false);
        }
    }

    /** A permit for the transfer {@code id} on remote {@code namespace/remote}, or {@link Queued}. */
    TransferLimiter.Permit admit(String id, String kind, String namespace, String remote, long bytes) {
        TransferLimiter.Decision d =
                limiter.tryAcquire(new TransferLimiter.Request(id, kind, namespace + "/" + remote, bytes));
        if (d instanceof TransferLimiter.Permit p) {
            return p;
        }
        throw new Queued(((TransferLimiter.Queued) d).message());
    }

    /** The memory an upload of {@code size} bytes (negative: unknown) asks for with {@code base} options. */
    long uploadDemand(UploadOptions base, long size) {
        long part = partSize(base, size);
        return TransferLimiter.uploadMemory(part, base.parallelism());
    }

    /**
     * The options for uploading {@code size} bytes (negative: unknown) within {@code permit}:
     * parts just large enough for S3's 10,000, never above {@code --max-part-size}, and as many on
     * the wire as the permit's memory holds (at least one). Grows the permit when the parts need
     * more than it holds; {@link Queued} when the budget has no room for that now.
     *
     * @throws Failure {@code TooLarge} when no part size within the limits can carry the object
     */
    UploadOptions sizeUpload(TransferLimiter.Permit permit, UploadOptions base, long size, String what) {
        TransferLimits limits = limiter.limits();
        if (size > limits.maxObjectSize()) {
            throw Failure.permanent(
                    Reasons.TOO_LARGE,
                    what + " is reported as " + size + " bytes, more than the "
                            + limits.maxObjectSize() + " bytes an upload can carry (10,000 parts of --max-part-size "
                            + limits.maxPartSize()
                            + "); raise --max-part-size (chart value transfers.maxPartSize) and --transfer-memory, "
                            + "or check the size the server reports");
        }
        long part = partSize(base, size);
        if (2 * part > limits.memoryBytes()) {
            throw Failure.permanent(
                    Reasons.TOO_LARGE,
                    what + " of " + size + " bytes needs upload parts of " + part
                            + " bytes, and two of them do not fit into --transfer-memory " + limits.memoryBytes()
                            + "; raise --transfer-memory (chart value transfers.memory)");
        }
        long wanted = TransferLimiter.uploadMemory(part, base.parallelism());
        if (permit.bytes() < wanted
                && !permit.tryGrow(wanted)
                && permit.bytes() < 2 * part
                && !permit.tryGrow(2 * part)) {
            throw new Queued(
                    "Waiting for transfer memory: " + what + " needs " + 2 * part + " bytes for its upload parts "
                            + "(--transfer-memory " + limits.memoryBytes() + ", " + limiter.memoryInUse() + " in use)");
        }
        int parallelism = (int) Math.max(1, Math.min(base.parallelism(), permit.bytes() / part - 1));
        return base.withPartSize(part).withParallelism(parallelism);
    }

    private long partSize(UploadOptions base, long size) {
        long part = base.partSize();
        if (size > part * TransferLimits.MAX_PARTS) {
            long mib = TransferLimits.MIB;
            part = ((size + TransferLimits.MAX_PARTS - 1) / TransferLimits.MAX_PARTS + mib - 1) / mib * mib;
        }
        return Math.min(part, Math.max(base.partSize(), limiter.limits().maxPartSize()));
    }

    /**
     * Writes {@code Queued} into the main condition, keeping the last error as it was (waiting
     * is no error); false when the status already said exactly that (no patch needed).
     */
    static boolean markQueued(BaseStatus<?> status, long generation, Clock clock, String type, String message) {
        boolean same = status.findCondition(type)
                .map(c -> Reasons.QUEUED.equals(c.getReason())
                        && Condition.FALSE.equals(c.getStatus())
                        && message.equals(c.getMessage()))
                .orElse(false);
        if (same) {
            return false;
        }
        ErrorStatus lastError = status.getLastError();
        Integer failures = status.getFailures();
        Conditions.set(status, generation, clock, type, false, Reasons.QUEUED, message);
        status.setLastError(lastError);
        status.setFailures(failures);
        return true;
    }

    static Duration nextPoll() {
        return QUEUE_POLL.plusMillis(ThreadLocalRandom.current().nextLong(1000));
    }
}
