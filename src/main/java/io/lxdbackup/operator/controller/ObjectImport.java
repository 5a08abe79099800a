package io.lxdbackup.operator.controller;

import io.lxdbackup.operator.lxd.Instance;
import io.lxdbackup.operator.lxd.LxdApi;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.lxd.LxdException;
import io.lxdbackup.operator.lxd.Operation;
import io.lxdbackup.operator.store.ChecksumMismatchException;
import io.lxdbackup.operator.store.StoreException;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The import path shared by InstanceRestore and the restore drills of BackupVerification: a
 * stored object streamed into LXD's import endpoint under a name the caller owns, stoppable at
 * shutdown ({@link #close}), and the helpers that find, wait for and remove what an import left.
 */
public final class ObjectImport implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ObjectImport.class);
    /** How long an earlier import still running on the server is waited for before looking at what exists. */
    public static final Duration OPERATION_WAIT = Duration.ofMinutes(30);

    private final Set<StoppableStream> active = ConcurrentHashMap.newKeySet();
    private volatile boolean closing;

    /**
     * Streams {@code in} (already verifying its checksum, when it should) into LXD as
     * {@code req.name()} and waits for the import operation. The caller closes {@code in} and
     * removes what a failed import left.
     */
    public void importStream(LxdApi client, InputStream in, LxdClient.ImportRequest req, Duration timeout) {
        StoppableStream s = new StoppableStream(in);
        active.add(s);
        try {
            if (closing) {
                s.cancel();
            }
            client.waitFor(client.importBackup(s, -1, req), timeout);
        } finally {
            active.remove(s);
        }
    }

    /** The streams cancelled on {@link #close}: transfers that manage their own stream register here. */
    Set<StoppableStream> streams() {
        return active;
    }

    /** Whether {@link #close} was called: interrupted imports are then left for the next operator to resume. */
    public boolean closing() {
        return closing;
    }

    /** Stops running imports (shutdown); the next operator resumes from what exists on the server. */
    @Override
    public void close() {
        closing = true;
        active.forEach(StoppableStream::cancel);
    }

    /** Waits for the operations LXD still runs on {@code instance} (an import a stopped operator started). */
    public static void awaitOperationsOn(LxdApi client, String instance) {
        for (Operation op : client.runningOperationsOn(instance)) {
            try {
                client.waitFor(op, OPERATION_WAIT);
            } catch (LxdException e) {
                LOG.info("operation {} on {} ended: {}", op.id(), instance, e.getMessage());
            }
        }
    }

    /** The instance, or null when there is none of that name. */
    public static Instance find(LxdApi client, String name) {
        try {
            return client.getInstance(name);
        } catch (LxdException.NotFound e) {
            return null;
        }
    }

    /** Stops and deletes {@code name} once no operation works on it; already gone is success. */
    public static void remove(LxdApi client, String name, Duration timeout) {
        awaitOperationsOn(client, name);
        try {
            Instance i = client.getInstance(name);
            if (i.isRunning()) {
                client.waitFor(client.changeState(name, "stop", true, 30), timeout);
            }
            client.waitFor(client.deleteInstance(name), timeout);
        } catch (LxdException.NotFound e) {
            // nothing there
        }
    }

    /** The cause worth reporting when the import failed because its source stream did. */
    public static Exception unwrap(Exception e) {
        if (e instanceof LxdException.SourceFailed s && s.getCause() instanceof ChecksumMismatchException c) {
            return c;
        }
        if (e instanceof LxdException.SourceFailed s
                && s.getCause() instanceof IOException io
                && io.getCause() instanceof StoreException se) {
            return se;
        }
        return e;
    }
}
