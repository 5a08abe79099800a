package io.lxdbackup.operator.store;

import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fixed number of part buffers. {@link #acquire()} blocks while all are out, which is what
 * stops the source reader from running ahead of the uploads: memory stays at
 * {@code capacity * bufferSize} however fast the source is.
 */
final class BufferPool {
    private final int bufferSize;
    private final int capacity;
    private final Semaphore permits;
    private final ConcurrentLinkedDeque<byte[]> free = new ConcurrentLinkedDeque<>();
    private final AtomicInteger inUse = new AtomicInteger();
    private final AtomicInteger peakInUse = new AtomicInteger();
    private final AtomicInteger allocated = new AtomicInteger();

    BufferPool(int bufferSize, int capacity) {
        this.bufferSize = bufferSize;
        this.capacity = capacity;
        this.permits = new Semaphore(capacity);
    }

    byte[] acquire() throws InterruptedException {
        permits.acquire();
        peakInUse.accumulateAndGet(inUse.incrementAndGet(), Math::max);
        byte[] b = free.poll();
        if (b == null) {
            // allocated lazily so that a small object costs one buffer, not capacity of them
            allocated.incrementAndGet();
            b = new byte[bufferSize];
        }
        return b;
    }

    void release(byte[] buffer) {
        free.push(buffer);
        inUse.decrementAndGet();
        permits.release();
    }

    int capacity() {
        return capacity;
    }

    int peakInUse() {
        return peakInUse.get();
    }

    int allocated() {
        return allocated.get();
    }
}
