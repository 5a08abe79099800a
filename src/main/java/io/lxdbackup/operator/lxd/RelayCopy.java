package io.lxdbackup.operator.lxd;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * Copies an instance between two servers that cannot reach each other, through this process:
 * the source makes an LXD-side backup, its download is piped straight into the target's
 * import, and the backup is deleted on the source afterwards whatever happened.
 *
 * <p>Nothing is buffered beyond the socket buffers (no temporary file, no byte array), so the
 * memory used does not depend on the instance size. A relay copy is always a full copy: LXD
 * cannot import a backup incrementally.
 */
public final class RelayCopy {
    private RelayCopy() {}

    /**
     * What to relay.
     *
     * @param instance source instance
     * @param backupName name of the temporary LXD-side backup on the source
     * @param instanceOnly leave the snapshots out
     * @param targetName name of the new instance on the target (needs {@code backup_override_name})
     * @param targetPool storage pool on the target; null = the pool named in the backup
     * @param timeout how long the backup creation and the import may each take
     */
    public record Request(
            String instance,
            String backupName,
            boolean instanceOnly,
            String targetName,
            String targetPool,
            Duration timeout) {}

    /**
     * The finished relay: bytes carried, the compression the backup used, and whether the
     * backup could be deleted on the source (when not, the caller deletes it later).
     */
    public record Result(long bytes, String compression, Operation importOperation, boolean backupDeleted) {}

    /**
     * The relay was stopped on request ({@code stop} in {@link #run}) and left nothing behind that
     * it made: its backup is deleted on the source (when the source answers), and an instance its
     * import had already created on the target is deleted again.
     */
    public static final class Stopped extends RuntimeException {
        Stopped(String message) {
            super(message, null, false, false);
        }
    }

    /** {@link #run(LxdApi, LxdApi, Request, Consumer, LongConsumer, BooleanSupplier)} that is never stopped. */
    public static Result run(
            LxdApi source, LxdApi target, Request req, Consumer<Operation> started, LongConsumer bytes) {
        return run(source, target, req, started, bytes, () -> false);
    }

    /**
     * Runs the relay and waits for the import to finish. {@code started} receives the import
     * operation as soon as the target accepted the upload (the caller records it so that a
     * restarted process can wait for it); {@code bytes} receives the running byte count.
     *
     * <p>Once {@code stop} answers true the relay ends with {@link Stopped}: before the backup is
     * made, right after it, or at the next read of the stream (the upload is cut, so the target
     * imports nothing). An import the target already runs cannot be called back: it is waited for,
     * and the instance it made is deleted.
     */
    public static Result run(
            LxdApi source,
            LxdApi target,
            Request req,
            Consumer<Operation> started,
            LongConsumer bytes,
            BooleanSupplier stop) {
        checkStop(stop);
        target.server()
                .require(Capabilities.EXT_BACKUP_OVERRIDE_NAME, "importing a relayed copy under another instance name");
        String compression = source.server().capabilities().backupCompressionAlgorithm() ? "zstd" : null;
        Instant expires = Instant.now().plus(Duration.ofDays(1)); // LXD prunes it even if we never come back
        try {
            try {
                source.waitFor(
                        source.createBackup(
                                req.instance(),
                                new LxdClient.BackupRequest(
                                        req.backupName(), expires, req.instanceOnly(), false, compression, null)),
                        req.timeout());
            } catch (LxdException.BadRequest | LxdException.OperationFailed e) {
                if (compression == null) {
                    throw e;
                }
                // zstd is optional on the LXD host; an uncompressed stream is the other cheap choice
                compression = "none";
                source.waitFor(
                        source.createBackup(
                                req.instance(),
                                new LxdClient.BackupRequest(
                                        req.backupName(), expires, req.instanceOnly(), false, compression, null)),
                        req.timeout());
            }
            checkStop(stop);
            Operation imported;
            long carried;
            try (LxdClient.Download d = source.downloadBackup(req.instance(), req.backupName())) {
                CountingStream in = new CountingStream(d.stream(), bytes, stop);
                imported = target.importBackup(
                        in, d.contentLength(), new LxdClient.ImportRequest(req.targetPool(), req.targetName(), null));
                carried = in.count;
            } catch (IOException e) {
                checkStop(stop);
                throw new LxdException.Unreachable("relay stream failed: " + e.getMessage(), e);
            } catch (RuntimeException e) {
                checkStop(stop);
                throw e;
            }
            if (started != null) {
                started.accept(imported);
            }
            boolean deleted = tryDeleteBackup(source, req.instance(), req.backupName());
            Operation done = target.waitFor(imported, req.timeout());
            if (stop.getAsBoolean()) {
                // stopped while the target imported: the instance this import made goes again
                try {
                    target.waitFor(target.deleteInstance(req.targetName()), req.timeout());
                } catch (LxdException.NotFound e) {
                    // already gone
                }
                throw new Stopped("relay stopped after the import; the imported " + req.targetName() + " was deleted");
            }
            return new Result(carried, compression == null ? "gzip" : compression, done, deleted);
        } catch (RuntimeException e) {
            tryDeleteBackup(source, req.instance(), req.backupName());
            throw e;
        }
    }

    private static void checkStop(BooleanSupplier stop) {
        if (stop.getAsBoolean()) {
            throw new Stopped("relay stopped");
        }
    }

    /** Deletes the relay's LXD-side backup; a backup that is already gone counts as deleted. */
    public static void deleteBackup(LxdApi source, String instance, String backupName) {
        try {
            source.waitFor(source.deleteBackup(instance, backupName), Duration.ofMinutes(2));
        } catch (LxdException.NotFound e) {
            // never created, or already deleted
        }
    }

    private static boolean tryDeleteBackup(LxdApi source, String instance, String backupName) {
        try {
            deleteBackup(source, instance, backupName);
            return true;
        } catch (LxdException e) {
            return false;
        }
    }

    private static final class CountingStream extends FilterInputStream {
        private final LongConsumer progress;
        private final BooleanSupplier stop;
        private long count;

        CountingStream(InputStream in, LongConsumer progress, BooleanSupplier stop) {
            super(in);
            this.progress = progress;
            this.stop = stop;
        }

        private void check() throws IOException {
            if (stop.getAsBoolean()) {
                throw new IOException("relay stopped");
            }
        }

        @Override
        public int read() throws IOException {
            check();
            int b = super.read();
            if (b >= 0) {
                add(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            check();
            int n = super.read(buf, off, len);
            if (n > 0) {
                add(n);
            }
            return n;
        }

        private void add(long n) {
            count += n;
            if (progress != null) {
                progress.accept(count);
            }
        }
    }
}
