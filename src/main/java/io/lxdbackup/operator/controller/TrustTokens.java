package io.lxdbackup.operator.controller;

import io.lxdbackup.operator.api.v1alpha1.LxdRemoteSpec;
import io.lxdbackup.operator.lxd.Certificates;
import io.lxdbackup.operator.lxd.TrustToken;
import java.time.Instant;

/**
 * When the operator hands a trust token to a server. The URL of an LxdRemote is whatever its
 * author wrote, so a token goes only to a server whose certificate the remote pins, and only
 * when the token was issued by that very server (the token carries the fingerprint of its
 * server's certificate). A trust password carries no such thing and is never sent.
 */
final class TrustTokens {
    private TrustTokens() {}

    /** The fingerprint the remote pins (from serverCertificateFingerprint or serverCertificate), or null. */
    static String pinnedFingerprint(LxdRemoteSpec spec) {
        if (spec.getServerCertificateFingerprint() != null
                && !spec.getServerCertificateFingerprint().isBlank()) {
            return Certificates.normalizeFingerprint(spec.getServerCertificateFingerprint());
        }
        if (spec.getServerCertificate() != null && !spec.getServerCertificate().isBlank()) {
            try {
                return Certificates.fingerprint(
                        Certificates.parseCertificate(spec.getServerCertificate(), "spec.serverCertificate"));
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        return null;
    }

    /**
     * The token, when it may be sent to the server of {@code spec}; otherwise a permanent failure
     * (TrustTokenRefused, or EnrolmentFailed for an expired token) that never quotes the value.
     *
     * @param source "Secret NAME key KEY", for messages
     */
    static TrustToken admit(LxdRemoteSpec spec, String value, String source, Instant now) {
        String pinned = pinnedFingerprint(spec);
        if (pinned == null) {
            throw Failure.permanent(
                    Reasons.TRUST_TOKEN_REFUSED,
                    "the trust token in " + source + " was not sent: the remote pins no "
                            + "server certificate"
                            + (Boolean.TRUE.equals(spec.getInsecureSkipVerify())
                                    ? " (insecureSkipVerify accepts any server)"
                                    : "")
                            + "; set spec.serverCertificateFingerprint to the server's fingerprint (lxc info | grep fingerprint on the server)");
        }
        TrustToken token;
        try {
            token = TrustToken.parse(value);
        } catch (TrustToken.NotATokenException e) {
            throw Failure.permanent(
                    Reasons.TRUST_TOKEN_REFUSED,
                    source + " does not hold an LXD trust token: " + e.getMessage()
                            + "; trust passwords are not sent, as they do not say which server they belong to: issue a token on the server "
                            + "(lxc config trust add --name NAME) and put it in the Secret");
        }
        if (!token.isFor(pinned)) {
            throw Failure.permanent(
                    Reasons.TRUST_TOKEN_REFUSED,
                    "the trust token in " + source + " was issued by the server with "
                            + "certificate fingerprint " + token.fingerprint() + ", but this remote pins " + pinned
                            + "; a token is sent only "
                            + "to the server it belongs to: issue one on the server at spec.url, or fix the pin");
        }
        if (token.expiredAt(now)) {
            throw Failure.permanent(
                    Reasons.ENROLMENT_FAILED,
                    "the trust token in " + source + " expired at " + token.expiresAt()
                            + "; issue a new one (lxc config trust add) and update the Secret");
        }
        return token;
    }
}
