package io.lxdbackup.operator.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * Transfers running off the reconcile threads. A reconcile that holds a transfer permit hands the
 * long part (creating the LXD backup, streaming it to the store) to {@link #start} and returns at
 * once; the transfer runs on the transfer threads ({@code --max-transfers} of them) and records
 * its intent in the status exactly as it did on the reconcile thread. When it ends, the resource
 * is reconciled again ({@link #eventSource()}), and that reconcile returns the transfer's own
 * outcome ({@link #poll}) as if it had run the transfer itself: the same status patch, the same
 * reschedule. Meanwhile every reconcile of the resource only says "still running".
 *
 * <p>A slow or stalled LXD server thus holds a transfer thread (and its permit), never one of the
 * reconcile threads every tenant's snapshots, schedules and checks share.
 */
final class TransferJobs<R extends HasMetadata> {
    /** How often a reconcile looks again while a transfer runs (a safety net for a lost wake-up). */
    static final Duration RUNNING_POLL = Duration.ofSeconds(30);
    /** How often a deletion looks again while the transfer it stopped winds down. */
    static final Duration DELETE_POLL = Duration.ofSeconds(2);

    private final Executor executor;
    private final Map<String, Job<R>> jobs = new ConcurrentHashMap<>();
    private final SimpleInboundEventSource<R> wakeUp = new SimpleInboundEventSource<>("transfer-jobs");

    /** One transfer: the resource object it works on (its status is the newest) and its outcome. */
    record Job<R extends HasMetadata>(R resource, CompletableFuture<UpdateControl<R>> outcome) {}

    TransferJobs(Executor executor) {
        this.executor = executor;
    }

    /** Registered with the controller: a finished transfer wakes its resource's reconcile. */
    SimpleInboundEventSource<R> eventSource() {
        return wakeUp;
    }

    /**
     * While a transfer of {@code r} runs: a control that only looks again later. Once it ended:
     * its outcome (once; the job is forgotten). Empty when no transfer of {@code r} exists.
     */
    Optional<UpdateControl<R>> poll(R r) {
        String uid = r.getMetadata().getUid();
        Job<R> job = jobs.get(uid);
        if (job == null) {
            return Optional.empty();
        }
        if (!job.outcome().isDone()) {
            return Optional.of(UpdateControl.<R>noUpdate().rescheduleAfter(RUNNING_POLL));
        }
        jobs.remove(uid, job);
        try {
            return Optional.of(job.outcome().join());
        } catch (CompletionException e) {
            // an Error or a bug in the transfer: JOSDK's retry takes over, as for a failed reconcile
            throw e.getCause() instanceof RuntimeException re ? re : e;
        }
    }

    /** The resource as the transfer of {@code uid} was started with (its spec and generation); empty when none. */
    Optional<R> startedWith(String uid) {
        Job<R> job = jobs.get(uid);
        return job == null ? Optional.empty() : Optional.of(job.resource());
    }

    /** Whether a transfer of the resource with {@code uid} is still running. */
    boolean running(String uid) {
        Job<R> job = jobs.get(uid);
        return job != null && !job.outcome().isDone();
    }

    /**
     * Forgets the ended transfer of {@code uid} (its resource is being deleted) and returns the
     * resource object it worked on, whose status is newer than any cached copy; empty when none.
     */
    Optional<R> takeEnded(String uid) {
        Job<R> job = jobs.get(uid);
        if (job == null || !job.outcome().isDone()) {
            return Optional.empty();
        }
        jobs.remove(uid, job);
        return Optional.of(job.resource());
    }

    /**
     * Forgets the transfer of {@code uid} whatever its state: called by a transfer whose resource
     * is gone (no reconcile will ever ask for its outcome).
     */
    void forget(String uid) {
        jobs.remove(uid);
    }

    /**
     * Runs {@code transfer} on the transfer threads for {@code r}; the transfer must catch its own
     * failures and turn them into a control, as a reconcile does.
     *
     * @throws java.util.concurrent.RejectedExecutionException when the executor is shut down
     */
    void start(R r, Supplier<UpdateControl<R>> transfer) {
        String uid = r.getMetadata().getUid();
        CompletableFuture<UpdateControl<R>> outcome = new CompletableFuture<>();
        Job<R> job = new Job<>(r, outcome);
        if (jobs.putIfAbsent(uid, job) != null) {
            throw new IllegalStateException("a transfer of " + uid + " is already running");
        }
        ResourceID id = ResourceID.fromResource(r);
        try {
            executor.execute(() -> {
                try {
                    outcome.complete(transfer.get());
                } catch (Throwable t) {
                    outcome.completeExceptionally(t);
                } finally {
                    wake(id);
                }
            });
        } catch (RuntimeException e) {
            jobs.remove(uid, job);
            throw e;
        }
    }

    private void wake(ResourceID id) {
        try {
            wakeUp.propagateEvent(id);
        } catch (RuntimeException e) {
            // not registered (stopped): the periodic poll or the next start picks the outcome up
        }
    }
}
