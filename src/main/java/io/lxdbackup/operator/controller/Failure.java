package io.lxdbackup.operator.controller;

import io.lxdbackup.operator.lxd.Certificates;
import io.lxdbackup.operator.lxd.LxdException;
import io.lxdbackup.operator.store.ChecksumMismatchException;
import io.lxdbackup.operator.store.StoreException;

/**
 * Why a reconcile could not finish, as a condition reason (one CamelCase word) and a message
 * that says what to do. {@code transientError} failures are retried with back-off; the others
 * wait for the user to change something (the spec, a Secret, the server).
 */
public final class Failure extends RuntimeException {
    private final String reason;
    private final boolean transientError;

    public Failure(String reason, String message, boolean transientError) {
        super(message, null, false, false);
        this.reason = reason;
        this.transientError = transientError;
    }

    public static Failure permanent(String reason, String message) {
        return new Failure(reason, message, false);
    }

    public static Failure retryable(String reason, String message) {
        return new Failure(reason, message, true);
    }

    public String reason() {
        return reason;
    }

    public boolean isTransient() {
        return transientError;
    }

    /** Maps any error from the LXD client (or elsewhere) to a reason and an actionable message. */
    public static Failure from(Exception e, String what) {
        if (e instanceof Failure f) {
            return f;
        }
        if (e instanceof LxdException.CertificateMismatch m) {
            return permanent(Reasons.FINGERPRINT_MISMATCH, m.getMessage());
        }
        if (e instanceof LxdException.TlsFailure t) {
            return permanent(
                    Reasons.TLS_ERROR,
                    t.getMessage() + "; pin the server with serverCertificateFingerprint or serverCertificate");
        }
        if (e instanceof LxdException.Unresponsive u) {
            return retryable(
                    Reasons.SERVER_UNRESPONSIVE,
                    what + ": " + u.getMessage()
                            + "; the server is overloaded, hung or answering without end (retried with back-off)");
        }
        if (e instanceof LxdException.Unreachable u) {
            return retryable(
                    Reasons.SERVER_UNREACHABLE,
                    u.getMessage() + "; check the URL and that LXD listens there (core.https_address)");
        }
        if (e instanceof LxdException.Forbidden f) {
            return permanent(
                    Reasons.NOT_TRUSTED,
                    "LXD refused the request (" + f.getMessage()
                            + "); trust the client certificate on the server (lxc config trust add) or set trustTokenSecretRef");
        }
        if (e instanceof LxdException.NotSupported n) {
            return permanent(Reasons.NOT_SUPPORTED, n.getMessage());
        }
        if (e instanceof LxdException.AlreadyExists a) {
            return permanent(Reasons.ALREADY_EXISTS, what + ": " + a.getMessage());
        }
        if (e instanceof LxdException.NotFound n) {
            return permanent(Reasons.NOT_FOUND, what + ": " + n.getMessage());
        }
        if (e instanceof LxdException.BadRequest b) {
            return permanent(Reasons.REJECTED_BY_SERVER, what + " was rejected by LXD: " + b.getMessage());
        }
        if (e instanceof LxdException.ResponseTooLarge r) {
            return retryable(
                    Reasons.RESPONSE_TOO_LARGE,
                    what + ": " + r.getMessage()
                            + "; check that the remote's URL points at an LXD server (retried with back-off)");
        }
        if (e instanceof LxdException.OperationTimeout t) {
            return retryable(Reasons.TIMEOUT, t.getMessage());
        }
        if (e instanceof LxdException l) {
            return new Failure(Reasons.LXD_ERROR, what + " failed: " + l.getMessage(), l.isTransient());
        }
        if (e instanceof StoreException s) {
            return fromStore(s);
        }
        if (e instanceof ChecksumMismatchException c) {
            // the stored bytes are not what was recorded: trying again reads the same bytes
            return permanent(Reasons.CHECKSUM_MISMATCH, what + ": " + c.getMessage());
        }
        if (e instanceof Certificates.InvalidPemException p) {
            return permanent(Reasons.KEY_UNREADABLE, p.getMessage());
        }
        if (e instanceof io.fabric8.kubernetes.client.KubernetesClientException k) {
            return retryable(
                    Reasons.KUBERNETES_ERROR, "Kubernetes API error (HTTP " + k.getCode() + "): " + k.getStatus());
        }
        return retryable(
                Reasons.INTERNAL_ERROR,
                what + " failed unexpectedly: " + e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : ": " + e.getMessage()));
    }

    /**
     * A store failure as a condition: its message is already free of credentials and request
     * dumps ({@link StoreException}); the reason says what to fix.
     */
    static Failure fromStore(StoreException s) {
        String msg = s.getMessage();
        return switch (s.reason()) {
            case BUCKET_NOT_FOUND ->
                permanent(
                        Reasons.BUCKET_NOT_FOUND, msg + "; create the bucket or fix spec.s3.bucket of the BackupStore");
            case INVALID_CREDENTIALS ->
                permanent(
                        Reasons.INVALID_CREDENTIALS,
                        msg + "; check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the credentials Secret");
            case ACCESS_DENIED ->
                permanent(Reasons.ACCESS_DENIED, msg + "; grant the credentials access to the bucket and prefix");
            case READ_ONLY_VIOLATION -> permanent(Reasons.READ_ONLY_STORE, msg);
            case OBJECT_NOT_FOUND -> permanent(Reasons.OBJECT_NOT_FOUND, msg);
            // the store's message already says to check the endpoint and the network
            case UNREACHABLE -> retryable(Reasons.STORE_UNAVAILABLE, msg);
            case STORE_ERROR -> new Failure(Reasons.STORE_ERROR, msg, s.isTransient());
        };
    }
}
