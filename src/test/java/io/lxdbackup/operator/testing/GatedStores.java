package io.lxdbackup.operator.testing;

import io.lxdbackup.operator.store.ObjectInfo;
import io.lxdbackup.operator.store.ObjectStore;
import io.lxdbackup.operator.store.S3ObjectStore;
import io.lxdbackup.operator.store.StoreConfig;
import io.lxdbackup.operator.store.UploadOptions;
import io.lxdbackup.operator.store.UploadResult;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A store factory whose stores behave like {@link S3ObjectStore} except that, once armed, the
 * next upload to a matching key pauses after reading {@code afterBytes} of its source until
 * released: the moment "in the middle of an upload" a fault test needs, without timing guesses.
 * {@link #armDownload} does the same for the next download (the middle of a restore's import).
 * Matching by key keeps uploads of other tests' resources (a schedule's next run, say) from
 * taking the gate.
 */
public final class GatedStores implements Function<StoreConfig, ObjectStore> {
    private Gate gate;
    private Gate downloadGate;

    /** One paused upload. */
    public static final class Gate {
        final String keyContains;
        final long afterBytes;
        final CountDownLatch reached = new CountDownLatch(1);
        final CountDownLatch released = new CountDownLatch(1);

        Gate(String keyContains, long afterBytes) {
            this.keyContains = keyContains;
            this.afterBytes = afterBytes;
        }

        /** Waits until an upload is paused at the gate. */
        public boolean awaitReached(long seconds) throws InterruptedException {
            return reached.await(seconds, TimeUnit.SECONDS);
        }

        public void release() {
            released.countDown();
        }
    }

    /** The next upload (of any store made here) to a key containing {@code keyContains} pauses after {@code afterBytes}. */
    public synchronized Gate arm(String keyContains, long afterBytes) {
        Gate g = new Gate(keyContains, afterBytes);
        gate = g;
        return g;
    }

    /** The next download of a key containing {@code keyContains} pauses after handing out {@code afterBytes}. */
    public synchronized Gate armDownload(String keyContains, long afterBytes) {
        Gate g = new Gate(keyContains, afterBytes);
        downloadGate = g;
        return g;
    }

    private synchronized Gate takeDownload(String key) {
        Gate g = downloadGate;
        if (g == null || !key.contains(g.keyContains)) {
            return null;
        }
        downloadGate = null;
        return g;
    }

    @Override
    public ObjectStore apply(StoreConfig config) {
        return new Gated(S3ObjectStore.open(config));
    }

    private synchronized Gate take(String key) {
        Gate g = gate;
        if (g == null || !key.contains(g.keyContains)) {
            return null;
        }
        gate = null;
        return g;
    }

    private final class Gated implements ObjectStore {
        private final ObjectStore delegate;

        Gated(ObjectStore delegate) {
            this.delegate = delegate;
        }

        @Override
        public StoreConfig config() {
            return delegate.config();
        }

        @Override
        public void validate() {
            delegate.validate();
        }

        @Override
        public UploadResult upload(String key, InputStream data, long expectedSize, UploadOptions options)
                throws IOException {
            Gate g = take(key);
            return delegate.upload(key, g == null ? data : new GatedStream(data, g), expectedSize, options);
        }

        @Override
        public int abortStaleUploads(String key) {
            return delegate.abortStaleUploads(key);
        }

        @Override
        public boolean hasUnfinishedUploads(String key) {
            return delegate.hasUnfinishedUploads(key);
        }

        @Override
        public InputStream download(String key) {
            Gate g = takeDownload(key);
            InputStream in = delegate.download(key);
            return g == null ? in : new GatedStream(in, g);
        }

        @Override
        public Optional<ObjectInfo> head(String key) {
            return delegate.head(key);
        }

        @Override
        public void delete(String key) {
            delegate.delete(key);
        }

        @Override
        public List<ObjectInfo> list(String prefix) {
            return delegate.list(prefix);
        }

        @Override
        public void putSmall(String key, byte[] body, String contentType) {
            delegate.putSmall(key, body, contentType);
        }

        @Override
        public byte[] getSmall(String key) {
            return delegate.getSmall(key);
        }

        @Override
        public void close() {
            delegate.close();
        }
    }

    private static final class GatedStream extends FilterInputStream {
        private final Gate gate;
        private long read;

        GatedStream(InputStream in, Gate gate) {
            super(in);
            this.gate = gate;
        }

        private void maybeWait() throws IOException {
            if (read >= gate.afterBytes && gate.released.getCount() > 0) {
                gate.reached.countDown();
                try {
                    if (!gate.released.await(5, TimeUnit.MINUTES)) {
                        throw new IOException("gate never released");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException();
                }
            }
        }

        @Override
        public int read() throws IOException {
            maybeWait();
            int b = super.read();
            if (b >= 0) {
                read++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            maybeWait();
            int limit = read < gate.afterBytes ? (int) Math.min(len, gate.afterBytes - read) : len;
            int n = super.read(b, off, limit);
            if (n > 0) {
                read += n;
            }
            return n;
        }
    }
}
