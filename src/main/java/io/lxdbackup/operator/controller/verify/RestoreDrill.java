package io.lxdbackup.operator.controller.verify;

import io.lxdbackup.operator.api.v1alpha1.DrillStatus;
import io.lxdbackup.operator.controller.Failure;
import io.lxdbackup.operator.controller.ObjectImport;
import io.lxdbackup.operator.controller.Reasons;
import io.lxdbackup.operator.controller.RemoteConnections;
import io.lxdbackup.operator.lxd.Instance;
import io.lxdbackup.operator.lxd.LxdApi;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.lxd.LxdException;
import io.lxdbackup.operator.store.ChecksumMismatchException;
import io.lxdbackup.operator.store.ObjectStore;
import io.lxdbackup.operator.verify.DrillNames;
import io.lxdbackup.operator.verify.Throttle;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One restore drill: the export's object streamed (SHA-256 checked on the way) into LXD's import
 * endpoint as a scratch instance, marked with the verification's uid, optionally started and a
 * command run inside it, then deleted whatever happened.
 *
 * <p>Crash safety: the caller records the scratch name in the verification's status
 * ({@link DrillStatus}) before the import starts ({@code recordIntent}). The next reconcile of
 * a verification that still has one calls {@link #removeLeftover}: it waits for an import LXD
 * may still be running under that name, then deletes the instance if it carries this
 * verification's mark, or carries no drill mark at all (an import interrupted between LXD
 * finishing it and the mark; the name, derived from the verification's uid and the drill's start
 * time, was recorded before the instance existed, so nothing else has it). An instance carrying
 * another verification's mark is never touched.
 */
final class RestoreDrill {
    private static final Logger LOG = LoggerFactory.getLogger(RestoreDrill.class);
    static final Duration IMPORT_TIMEOUT = Duration.ofHours(6);
    private static final Duration STEP_TIMEOUT = Duration.ofMinutes(5);

    private final RemoteConnections remotes;
    private final ObjectImport imports;

    RestoreDrill(RemoteConnections remotes, ObjectImport imports) {
        this.remotes = remotes;
        this.imports = imports;
    }

    /** What a drill found about the export: {@code passed}, or the reason and message of the failure. */
    record Outcome(boolean passed, String reason, String message) {}

    /** The source of a drill: the object and the SHA-256 and size it must have. */
    record Source(ObjectStore store, String key, String sha256, long size) {}

    /**
     * Runs the drill; failures that say something about the export (LXD refused the import, the
     * instance did not start, the command failed, the bytes did not match) are an {@link Outcome};
     * the others (remote unreachable, store unreachable) are thrown, so the run is retried.
     *
     * @param recordIntent writes the drill to the status before the import starts
     */
    Outcome run(
            String namespace,
            String uid,
            VerificationSettings.Drill d,
            Source src,
            DrillStatus intent,
            Consumer<DrillStatus> recordIntent,
            Throttle throttle)
            throws InterruptedException {
        LxdApi client = remotes.connect(namespace, d.remote(), d.project()).client();
        if (d.storagePool() != null && !client.storagePoolExists(d.storagePool())) {
            throw Failure.permanent(
                    Reasons.NOT_FOUND,
                    "storage pool " + d.storagePool() + " does not exist on remote " + d.remote()
                            + "; set spec.restore.storagePool to an existing pool, or leave it empty");
        }
        String scratch = intent.getScratchInstance();
        intent.setProject(client.project());
        recordIntent.accept(intent);
        try {
            try (InputStream raw = src.store().downloadVerified(src.key(), src.sha256(), src.size())) {
                imports.importStream(
                        client,
                        throttled(raw, throttle),
                        new LxdClient.ImportRequest(d.storagePool(), scratch, null),
                        IMPORT_TIMEOUT);
            }
            client.updateInstanceConfig(scratch, Map.of(DrillNames.OWNER_KEY, uid), null);
            if (d.start()) {
                // fresh MAC addresses: the scratch copy must not take over the original's on a shared network
                Instance i = client.getInstance(scratch);
                Set<String> hwaddr = new HashSet<>();
                i.config().keySet().stream()
                        .filter(k -> k.startsWith("volatile.") && k.endsWith(".hwaddr"))
                        .forEach(hwaddr::add);
                if (!hwaddr.isEmpty()) {
                    client.updateInstanceConfig(scratch, null, hwaddr);
                }
                client.waitFor(client.changeState(scratch, "start", false, 0), d.timeout());
                if (!client.getInstance(scratch).isRunning()) {
                    return new Outcome(
                            false,
                            Reasons.RESTORE_DRILL_FAILED,
                            "the imported instance " + scratch + " did not stay running after start");
                }
            }
            if (d.command() != null) {
                int exit = client.exec(scratch, d.command(), d.timeout());
                if (exit != 0) {
                    return new Outcome(
                            false,
                            Reasons.RESTORE_DRILL_FAILED,
                            "the command " + d.command() + " exited with " + exit + " in the imported instance");
                }
            }
            return new Outcome(
                    true,
                    Reasons.VERIFIED,
                    "imported on " + d.remote()
                            + (d.start() ? ", started" : "")
                            + (d.command() != null ? ", command " + d.command() + " exited 0" : "")
                            + "; scratch instance deleted");
        } catch (LxdException e) {
            Exception cause = ObjectImport.unwrap(e);
            if (cause instanceof ChecksumMismatchException c) {
                return new Outcome(
                        false,
                        Reasons.CHECKSUM_MISMATCH,
                        "the object changed while the drill imported it: " + c.getMessage());
            }
            if (cause != e && cause instanceof RuntimeException r) {
                throw r;
            }
            if (imports.closing() || e instanceof LxdException.Unreachable || e instanceof LxdException.Forbidden) {
                throw e;
            }
            return new Outcome(false, Reasons.RESTORE_DRILL_FAILED, "LXD refused the drill: " + e.getMessage());
        } catch (IOException e) {
            throw new Failure(
                    Reasons.STORE_ERROR,
                    "reading " + src.key() + " for the drill failed ("
                            + e.getClass().getSimpleName() + "); will retry",
                    true);
        } finally {
            if (!imports.closing()) {
                // whatever happened; a failure here leaves the intent recorded for the next reconcile
                removeOwn(client, scratch, uid);
            }
        }
    }

    /** Removes what an interrupted drill left (see the class description); true when nothing is left. */
    boolean removeLeftover(String namespace, String uid, DrillStatus d) {
        LxdApi client =
                remotes.connect(namespace, d.getRemote(), d.getProject()).client();
        return removeOwn(client, d.getScratchInstance(), uid);
    }

    private static boolean removeOwn(LxdApi client, String scratch, String uid) {
        ObjectImport.awaitOperationsOn(client, scratch);
        Instance i = ObjectImport.find(client, scratch);
        if (i == null) {
            return true;
        }
        if (DrillNames.marked(i.config()) && !DrillNames.markedBy(i.config(), uid)) {
            LOG.warn("instance {} carries another verification's drill mark; left alone", scratch);
            return true;
        }
        if (!DrillNames.marked(i.config())) {
            // an import of ours interrupted before the mark: mark it, so that only marked instances are deleted
            client.updateInstanceConfig(scratch, Map.of(DrillNames.OWNER_KEY, uid), null);
        }
        if ("true".equals(i.config().get("security.protection.delete"))) {
            // copied from the exported instance; the scratch copy is ours to delete
            client.updateInstanceConfig(scratch, null, Set.of("security.protection.delete"));
        }
        ObjectImport.remove(client, scratch, STEP_TIMEOUT);
        LOG.info("deleted drill scratch instance {}", scratch);
        return true;
    }

    /** {@code in} paced by the throttle. */
    static InputStream throttled(InputStream in, Throttle throttle) {
        if (!throttle.limited()) {
            return in;
        }
        return new FilterInputStream(in) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                pace(n);
                return n;
            }

            @Override
            public int read() throws IOException {
                int c = super.read();
                pace(c < 0 ? 0 : 1);
                return c;
            }

            private void pace(int n) throws IOException {
                try {
                    throttle.pace(n);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("drill import interrupted");
                }
            }
        };
    }
}
