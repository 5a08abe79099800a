package io.lxdbackup.operator.local;

import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Lets a request through to the in-memory API only with {@code Authorization: Bearer <token>};
 * any other request is answered 401 with the Status a real API server sends to an
 * unauthenticated client. Without it, anyone on the machine could create an {@code LxdRemote}
 * and have the operator, which holds the LXD socket, act on it.
 */
final class BearerTokenDispatcher extends Dispatcher {
    /** kube-apiserver's body for a request it cannot authenticate. */
    static final String UNAUTHORIZED = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
            + "\"status\":\"Failure\",\"message\":\"Unauthorized\",\"reason\":\"Unauthorized\",\"code\":401}";

    private static final String BEARER = "bearer ";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] expected;
    private final Dispatcher delegate;

    BearerTokenDispatcher(String token, Dispatcher delegate) {
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("token must not be blank");
        }
        this.expected = token.getBytes(StandardCharsets.UTF_8);
        this.delegate = delegate;
    }

    /** 32 random bytes, base64url without padding (43 characters). */
    static String newToken() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        if (!authorized(request.getHeader("Authorization"))) {
            return new MockResponse()
                    .setResponseCode(401)
                    .setHeader("Content-Type", "application/json")
                    .setBody(UNAUTHORIZED);
        }
        return delegate.dispatch(request);
    }

    /** The scheme is case-insensitive (RFC 7235); the token is compared in constant time. */
    boolean authorized(String header) {
        if (header == null || header.length() <= BEARER.length()) {
            return false;
        }
        if (!header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return false;
        }
        byte[] given = header.substring(BEARER.length()).trim().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(given, expected);
    }

    @Override
    public void shutdown() {
        delegate.shutdown();
    }
}
