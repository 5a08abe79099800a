package io.lxdbackup.operator.lxd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * An LXD trust token as {@code lxc config trust add} prints it: base64 of a JSON object with the
 * server's certificate {@code fingerprint}, its {@code addresses}, the one-time {@code secret},
 * the {@code client_name} and (newer servers) {@code expires_at}. The fingerprint says which
 * server the token belongs to, so a client can refuse to hand it to any other.
 * {@link #toString()} never prints the secret.
 */
public record TrustToken(
        String fingerprint, List<String> addresses, String clientName, Instant expiresAt, String secret) {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    public TrustToken {
        addresses = addresses == null ? List.of() : List.copyOf(addresses);
    }

    /** Thrown for text that is not a trust token (a trust password, or anything else). */
    public static final class NotATokenException extends Exception {
        public NotATokenException(String message) {
            super(message);
        }
    }

    /** Parses a token; the message of a refusal never contains the text. */
    public static TrustToken parse(String text) throws NotATokenException {
        if (text == null || text.isBlank()) {
            throw new NotATokenException("the value is empty");
        }
        JsonNode json;
        try {
            json = MAPPER.readTree(Base64.getDecoder().decode(text.trim()));
        } catch (IllegalArgumentException | IOException e) {
            throw new NotATokenException("the value is not base64-encoded JSON (a trust password is not a token)");
        }
        if (json == null || !json.isObject()) {
            throw new NotATokenException("the value is not base64-encoded JSON (a trust password is not a token)");
        }
        String secret = json.path("secret").asText("");
        if (secret.isBlank()) {
            throw new NotATokenException("the token holds no secret");
        }
        String fp = Certificates.normalizeFingerprint(json.path("fingerprint").asText(""));
        if (fp == null || !fp.matches("[0-9a-f]{64}")) {
            throw new NotATokenException("the token names no server certificate fingerprint");
        }
        List<String> addresses = new ArrayList<>();
        json.path("addresses").forEach(a -> addresses.add(a.asText()));
        Instant expires = null;
        String exp = json.path("expires_at").asText("");
        if (!exp.isBlank() && !exp.startsWith("0001-01-01")) {
            try {
                expires = Instant.parse(exp);
            } catch (DateTimeParseException e) {
                try {
                    expires = java.time.OffsetDateTime.parse(exp).toInstant();
                } catch (DateTimeParseException e2) {
                    throw new NotATokenException("the token's expires_at is not a time");
                }
            }
        }
        return new TrustToken(fp, addresses, json.path("client_name").asText(null), expires, secret);
    }

    /** Whether the token was issued by the server whose certificate has this fingerprint. */
    public boolean isFor(String serverFingerprint) {
        return serverFingerprint != null && fingerprint.equals(Certificates.normalizeFingerprint(serverFingerprint));
    }

    public boolean expiredAt(Instant now) {
        return expiresAt != null && !expiresAt.isAfter(now);
    }

    @Override
    public String toString() {
        return "TrustToken{fingerprint=" + fingerprint + ", addresses=" + addresses + ", clientName=" + clientName
                + ", expiresAt=" + expiresAt + "}";
    }
}
