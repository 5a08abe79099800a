package io.lxdbackup.operator.store;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.Set;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** Turns SDK exceptions into {@link StoreException}s whose messages are safe for a status. */
final class StoreErrors {
    private static final Set<String> CREDENTIAL_CODES = Set.of(
            "InvalidAccessKeyId",
            "SignatureDoesNotMatch",
            "InvalidToken",
            "ExpiredToken",
            "TokenRefreshRequired",
            "InvalidSecurity",
            "InvalidClientTokenId",
            "MissingSecurityHeader");
    private static final Set<String> DENIED_CODES =
            Set.of("AccessDenied", "AllAccessDisabled", "AccountProblem", "NotSignedUp");
    private static final Set<String> TRANSIENT_CODES = Set.of(
            "InternalError",
            "SlowDown",
            "ServiceUnavailable",
            "RequestTimeout",
            "RequestTimeTooSkewed",
            "OperationAborted",
            "Throttling",
            "ThrottlingException",
            // the body arrived different from its signed SHA-256 or Content-MD5: sent again
            "XAmzContentSHA256Mismatch",
            "BadDigest");
    // presigned URLs and Authorization headers can show up in low-level exception texts
    private static final Pattern SIGNING_PARTS = Pattern.compile(
            "(?i)(x-amz-signature|x-amz-security-token|x-amz-credential|signature|credential)([=:])\\s*[^&\\s,;\"']+");

    private StoreErrors() {}

    /**
     * @param action what was being done, e.g. "upload s3://bucket/key"
     * @param onObject whether a 404 means a missing object (else: a missing bucket)
     */
    static StoreException map(SdkException e, StoreConfig config, String action, boolean onObject) {
        if (e instanceof S3Exception s3) {
            return mapService(s3, config, action, onObject);
        }
        return mapClient(e, config, action);
    }

    private static StoreException mapService(S3Exception e, StoreConfig config, String action, boolean onObject) {
        int status = e.statusCode();
        String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
        String serverText =
                e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorMessage();
        String detail = " (" + (code == null ? "HTTP " + status : code + ", HTTP " + status)
                + (serverText == null || serverText.isBlank() ? "" : ": " + serverText) + ")";
        detail = sanitize(detail, config);
        if ("NoSuchBucket".equals(code) || (status == 404 && !onObject && !"NoSuchKey".equals(code))) {
            return new StoreException(
                    StoreException.Reason.BUCKET_NOT_FOUND,
                    "bucket '" + config.bucket() + "' does not exist" + where(config) + detail
                            + "; create it or correct the bucket name",
                    e);
        }
        if (status == 404 || "NoSuchKey".equals(code)) {
            return new StoreException(
                    StoreException.Reason.OBJECT_NOT_FOUND, "cannot " + action + ": no such object" + detail, e);
        }
        if (code != null && CREDENTIAL_CODES.contains(code)) {
            return new StoreException(
                    StoreException.Reason.INVALID_CREDENTIALS,
                    "the store rejected the credentials while trying to " + action + detail
                            + "; check the access key id and secret key (or session token) in the credentials Secret",
                    e);
        }
        if ((code != null && DENIED_CODES.contains(code)) || status == 403) {
            return new StoreException(
                    StoreException.Reason.ACCESS_DENIED,
                    "access denied to " + action
                            + detail + "; grant the credentials s3:ListBucket, s3:GetObject"
                            + (config.readOnly() ? "" : ", s3:PutObject, s3:DeleteObject, s3:AbortMultipartUpload")
                            + " on the bucket and prefix" + (config.readOnly() ? "" : ", or make the store ReadOnly"),
                    e);
        }
        if ("AuthorizationHeaderMalformed".equals(code) || "PermanentRedirect".equals(code) || status == 301) {
            return new StoreException(
                    StoreException.Reason.STORE_ERROR,
                    "cannot " + action + detail
                            + "; the bucket is in another region than '" + config.region()
                            + "' or needs another endpoint: correct the region or endpoint",
                    e,
                    false);
        }
        boolean transientFailure =
                status >= 500 || status == 408 || status == 429 || (code != null && TRANSIENT_CODES.contains(code));
        return new StoreException(StoreException.Reason.STORE_ERROR, "cannot " + action + detail, e, transientFailure);
    }

    private static StoreException mapClient(SdkException e, StoreConfig config, String action) {
        Throwable io = rootIoCause(e);
        if (io instanceof SSLException) {
            return new StoreException(
                    StoreException.Reason.UNREACHABLE,
                    "TLS with the store failed"
                            + where(config) + ": " + sanitize(String.valueOf(io.getMessage()), config)
                            + "; if the server uses a private CA, add it as the CA bundle",
                    e,
                    false);
        }
        if (io instanceof UnknownHostException
                || io instanceof ConnectException
                || io instanceof NoRouteToHostException
                || io instanceof SocketTimeoutException
                // Apache's ConnectTimeoutException is an InterruptedIOException, not a ConnectException
                || (io instanceof InterruptedIOException
                        && io.getClass().getSimpleName().startsWith("Connect"))) {
            return new StoreException(
                    StoreException.Reason.UNREACHABLE,
                    "cannot reach the store"
                            + where(config) + " (" + io.getClass().getSimpleName() + ": "
                            + sanitize(String.valueOf(io.getMessage()), config)
                            + "); check the endpoint and the network",
                    e);
        }
        String text = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (text.contains("Unable to load credentials")) {
            return new StoreException(
                    StoreException.Reason.INVALID_CREDENTIALS,
                    "no credentials found for the store: set a credentials Secret, or configure the default"
                            + " AWS chain (environment, web identity / IRSA, instance profile)",
                    e,
                    false);
        }
        if (e instanceof AbortedException) {
            return new StoreException(
                    StoreException.Reason.STORE_ERROR, "cannot " + action + ": interrupted", e, false);
        }
        boolean transientFailure = io != null
                || e instanceof ApiCallTimeoutException
                || e instanceof ApiCallAttemptTimeoutException
                || e.retryable();
        return new StoreException(
                StoreException.Reason.STORE_ERROR,
                "cannot " + action + ": " + sanitize(text, config),
                e,
                transientFailure);
    }

    /** Whether retrying the same request can succeed: throttling, 5xx, timeouts and I/O errors. */
    static boolean isTransient(SdkException e) {
        if (e instanceof AbortedException) {
            return false;
        }
        if (e instanceof S3Exception s3) {
            String code =
                    s3.awsErrorDetails() == null ? null : s3.awsErrorDetails().errorCode();
            return s3.statusCode() >= 500
                    || s3.statusCode() == 408
                    || s3.statusCode() == 429
                    || (code != null && TRANSIENT_CODES.contains(code));
        }
        return e instanceof SdkClientException
                && (rootIoCause(e) != null
                        || e instanceof ApiCallTimeoutException
                        || e instanceof ApiCallAttemptTimeoutException
                        || e.retryable());
    }

    /** Removes the configured secrets and anything that looks like a signature from {@code text}. */
    static String sanitize(String text, StoreConfig config) {
        if (text == null) {
            return null;
        }
        String s = text;
        if (config.credentials() != null) {
            s = s.replace(config.credentials().secretAccessKey(), "***");
            if (config.credentials().sessionToken() != null) {
                s = s.replace(config.credentials().sessionToken(), "***");
            }
        }
        return SIGNING_PARTS.matcher(s).replaceAll("$1$2***");
    }

    private static String where(StoreConfig config) {
        return config.endpoint() == null ? "" : " at " + config.endpoint();
    }

    private static Throwable rootIoCause(Throwable e) {
        Throwable found = null;
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof IOException) {
                found = t;
                if (t instanceof SSLException
                        || t instanceof ConnectException
                        || t instanceof UnknownHostException
                        || t instanceof SocketTimeoutException) {
                    return t;
                }
            }
        }
        return found;
    }
}
