package io.lxdbackup.operator.lxd;

/**
 * Base of every error the LXD client raises. Carries the HTTP status LXD answered with (0 when
 * the request never got an answer) and LXD's own error text, never a request or response dump.
 */
public class LxdException extends RuntimeException {
    private final int statusCode;

    public LxdException(int statusCode, String message) {
        super(message);
        this.statusCode = statusCode;
    }

    public LxdException(int statusCode, String message, Throwable cause) {
        super(message, cause);
        this.statusCode = statusCode;
    }

    /** HTTP status code from LXD, or 0 when there was no answer. */
    public int statusCode() {
        return statusCode;
    }

    /** Whether retrying the same call later can succeed without a change by the user. */
    public boolean isTransient() {
        return false;
    }

    /** The object (instance, snapshot, backup, operation) does not exist. */
    public static class NotFound extends LxdException {
        public NotFound(String message) {
            super(404, message);
        }
    }

    /** The object already exists (409 Conflict, or LXD's "already exists" error text). */
    public static class AlreadyExists extends LxdException {
        public AlreadyExists(String message) {
            super(409, message);
        }
    }

    /** The client certificate is not trusted by the server, or the action is forbidden. */
    public static class Forbidden extends LxdException {
        public Forbidden(String message) {
            super(403, message);
        }
    }

    /** LXD rejected the request as invalid (bad name, bad config value, ...). */
    public static class BadRequest extends LxdException {
        public BadRequest(int statusCode, String message) {
            super(statusCode, message);
        }
    }

    /** The server lacks the API extension a feature needs; raised before any request is sent. */
    public static class NotSupported extends LxdException {
        private final String extension;

        public NotSupported(String feature, String extension) {
            super(
                    0,
                    feature + " is not supported by this server (missing API extension '" + extension
                            + "'); upgrade LXD or leave the option unset");
            this.extension = extension;
        }

        public String extension() {
            return extension;
        }
    }

    /** A background operation ended in failure or was cancelled. */
    public static class OperationFailed extends LxdException {
        private final String operationId;

        public OperationFailed(String operationId, String message) {
            super(0, message);
            this.operationId = operationId;
        }

        public String operationId() {
            return operationId;
        }
    }

    /** A background operation was cancelled (LXD status 401 "Cancelled") before it finished. */
    public static class OperationCancelled extends OperationFailed {
        public OperationCancelled(String operationId, String message) {
            super(operationId, message);
        }
    }

    /** Waiting for a background operation took longer than the caller allowed. */
    public static class OperationTimeout extends LxdException {
        public OperationTimeout(String message) {
            super(0, message);
        }

        @Override
        public boolean isTransient() {
            return true;
        }
    }

    /** The server could not be reached (refused, DNS, timeout, connection reset). */
    public static class Unreachable extends LxdException {
        public Unreachable(String message, Throwable cause) {
            super(0, message, cause);
        }

        @Override
        public boolean isTransient() {
            return true;
        }
    }

    /**
     * The server accepted the connection but did not answer within the call's deadline, or a
     * stream from or to it sent nothing for longer than its idle timeout: a server that is
     * overloaded, hung, or answers without end. Transient, as an unreachable server is.
     */
    public static class Unresponsive extends Unreachable {
        public Unresponsive(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The server presented a certificate that does not match the pinned one. */
    public static class CertificateMismatch extends LxdException {
        private final String expectedFingerprint;
        private final String actualFingerprint;

        public CertificateMismatch(String expectedFingerprint, String actualFingerprint) {
            super(
                    0,
                    "server certificate fingerprint " + actualFingerprint
                            + " does not match the pinned fingerprint " + expectedFingerprint
                            + "; check the URL, or update the pinned certificate if the server's certificate changed");
            this.expectedFingerprint = expectedFingerprint;
            this.actualFingerprint = actualFingerprint;
        }

        public String expectedFingerprint() {
            return expectedFingerprint;
        }

        public String actualFingerprint() {
            return actualFingerprint;
        }
    }

    /** The TLS handshake failed for another reason (no pin configured, bad key, protocol). */
    public static class TlsFailure extends LxdException {
        public TlsFailure(String message, Throwable cause) {
            super(0, message, cause);
        }
    }

    /** The data source of an upload to LXD failed; {@link #getCause()} says how. */
    public static class SourceFailed extends LxdException {
        public SourceFailed(java.io.IOException cause) {
            super(0, "reading the data to send to LXD failed: " + cause.getMessage(), cause);
        }
    }

    /** The server answered 5xx or in a way the client could not parse. */
    /** The server's answer is larger than the operator reads (a misbehaving or hostile server). */
    public static class ResponseTooLarge extends LxdException {
        public ResponseTooLarge(String request, long declared, long max) {
            super(
                    0,
                    "the LXD server's answer to " + request + " is larger than " + max + " bytes"
                            + (declared > 0 ? " (" + declared + " bytes announced)" : "")
                            + "; refused without reading it");
        }
    }

    public static class ServerError extends LxdException {
        public ServerError(int statusCode, String message) {
            super(statusCode, message);
        }

        @Override
        public boolean isTransient() {
            return true;
        }
    }
}
