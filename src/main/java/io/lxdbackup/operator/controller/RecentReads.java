package io.lxdbackup.operator.controller;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Reads of referenced objects (an LxdRemote, a BackupStore, their Secrets) shared for a short
 * time. When a thousand schedules fire in the same second and each run, and each child it
 * creates, looks up the same remote and Secret, the API server answers once instead of several
 * thousand times; concurrent lookups of one key wait for the same request.
 *
 * <p>What a user changes (a rotated Secret, an edited or deleted remote) is seen at most
 * {@code ttl} later. A failed read is not kept: the next lookup asks again.
 */
final class RecentReads {
    /** How long a read is reused: short enough that edits show up at once for a human. */
    static final Duration DEFAULT_TTL = Duration.ofSeconds(2);

    private record Entry(CompletableFuture<Object> value, long loadedAt) {}

    private final long ttlNanos;
    private final LongSupplier nanoTime;
    private final ConcurrentMap<String, Entry> entries = new ConcurrentHashMap<>();

    RecentReads(Duration ttl) {
        this(ttl, System::nanoTime);
    }

    RecentReads(Duration ttl, LongSupplier nanoTime) {
        this.ttlNanos = ttl.toNanos();
        this.nanoTime = nanoTime;
    }

    /** The object under {@code key} as {@code loader} returned it (null = does not exist) within the last ttl. */
    @SuppressWarnings("unchecked")
    <T> T get(String key, Supplier<T> loader) {
        if (ttlNanos <= 0) {
            return loader.get();
        }
        if (entries.size() > 512) {
            prune();
        }
        while (true) {
            long now = nanoTime.getAsLong();
            Entry e = entries.get(key);
            if (e != null && (!e.value.isDone() || now - e.loadedAt < ttlNanos)) {
                try {
                    return (T) e.value.join();
                } catch (CompletionException ex) {
                    // the shared read failed: its owner removed it; read again
                    entries.remove(key, e);
                    continue;
                }
            }
            Entry mine = new Entry(new CompletableFuture<>(), now);
            boolean owner = e == null ? entries.putIfAbsent(key, mine) == null : entries.replace(key, e, mine);
            if (!owner) {
                continue;
            }
            try {
                T value = loader.get();
                mine.value.complete(value);
                return value;
            } catch (RuntimeException | Error ex) {
                entries.remove(key, mine);
                mine.value.completeExceptionally(ex);
                throw ex;
            }
        }
    }

    /** Forgets {@code key}: the next lookup reads again (after this operator wrote the object). */
    void invalidate(String key) {
        entries.remove(key);
    }

    /** Drops entries older than the ttl, so the map does not keep deleted objects' names. */
    void prune() {
        long now = nanoTime.getAsLong();
        entries.entrySet().removeIf(e -> e.getValue().value.isDone() && now - e.getValue().loadedAt >= ttlNanos);
    }
}
