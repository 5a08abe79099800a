package io.lxdbackup.operator.store;

/**
 * Every object-storage failure the operator can act on, with a {@link Reason} fit for a
 * condition and a message that is safe to show in a status: it never contains credentials,
 * signatures or request dumps.
 */
public class StoreException extends RuntimeException {
    /** Condition reasons; {@link #conditionReason()} is the CamelCase word written to a status. */
    public enum Reason {
        BUCKET_NOT_FOUND("BucketNotFound", false),
        ACCESS_DENIED("AccessDenied", false),
        INVALID_CREDENTIALS("InvalidCredentials", false),
        UNREACHABLE("Unreachable", true),
        READ_ONLY_VIOLATION("ReadOnlyViolation", false),
        OBJECT_NOT_FOUND("ObjectNotFound", false),
        STORE_ERROR("StoreError", true);

        private final String conditionReason;
        private final boolean transientByDefault;

        Reason(String conditionReason, boolean transientByDefault) {
            this.conditionReason = conditionReason;
            this.transientByDefault = transientByDefault;
        }

        public String conditionReason() {
            return conditionReason;
        }
    }

    private final Reason reason;
    private final boolean transientFailure;

    public StoreException(Reason reason, String message) {
        this(reason, message, null, reason.transientByDefault);
    }

    public StoreException(Reason reason, String message, Throwable cause) {
        this(reason, message, cause, reason.transientByDefault);
    }

    public StoreException(Reason reason, String message, Throwable cause, boolean transientFailure) {
        super(message, cause);
        this.reason = reason;
        this.transientFailure = transientFailure;
    }

    public Reason reason() {
        return reason;
    }

    /** CamelCase reason for a condition, e.g. {@code BucketNotFound}. */
    public String conditionReason() {
        return reason.conditionReason();
    }

    /** Whether the same call may succeed later without a change by the user. */
    public boolean isTransient() {
        return transientFailure;
    }
}
