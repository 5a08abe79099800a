package io.lxdbackup.operator.lxd;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
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
     * Runs the relay and waits for the import to finish. {@code started} receives the import
     * operation as soon as the target accepted the upload (the caller records it so that a
     * restarted process can wait for it); {@code bytes} receives the running byte count.
     */
    public static Result run(
            LxdApi source, LxdApi target, Request req, Consumer<Operation> started, LongConsumer bytes) {
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
            Operation imported;
            long carried;
            try (LxdClient.Download d = source.downloadBackup(req.instance(), req.backupName())) {
                CountingStream in = new CountingStream(d.stream(), bytes);
                imported = target.importBackup(
                        in, d.contentLength(), new LxdClient.ImportRequest(req.targetPool(), req.targetName(), null));
                carried = in.count;
            } catch (IOException e) {
                throw new LxdException.Unreachable("relay stream failed: " + e.getMessage(), e);
            }
            if (started != null) {
                started.accept(imported);
            }
            boolean deleted = tryDeleteBackup(source, req.instance(), req.backupName());
            Operation done = target.waitFor(imported, req.timeout());
            return new Result(carried, compression == null ? "gzip" : compression, done, deleted);
        } catch (RuntimeException e) {
            tryDeleteBackup(source, req.instance(), req.backupName());
            throw e;
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
        private long count;

        CountingStream(InputStream in, LongConsumer progress) {
            super(in);
            this.progress = progress;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                add(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
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
