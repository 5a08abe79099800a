package io.lxdbackup.operator.lxd;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.X509TrustManager;

/**
 * Trusts exactly one server certificate, identified by its SHA-256 fingerprint. LXD servers use
 * self-signed certificates whose names rarely match the address, so identity is the
 * fingerprint, as with {@code lxc remote add}. With no pin the manager either refuses (and
 * records what the server presented, so the user can be told which fingerprint to pin) or,
 * when insecure mode was asked for, accepts anything.
 */
final class PinningTrustManager implements X509TrustManager {
    private final String expectedFingerprint;
    private final boolean acceptAny;
    private volatile String lastSeenFingerprint;
    private volatile X509Certificate lastSeenCertificate;

    PinningTrustManager(String expectedFingerprint, boolean acceptAny) {
        this.expectedFingerprint = Certificates.normalizeFingerprint(expectedFingerprint);
        this.acceptAny = acceptAny;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        if (chain == null || chain.length == 0) {
            throw new CertificateException("server presented no certificate");
        }
        String actual = Certificates.fingerprint(chain[0]);
        lastSeenFingerprint = actual;
        lastSeenCertificate = chain[0];
        if (expectedFingerprint != null) {
            if (!expectedFingerprint.equals(actual)) {
                throw new FingerprintMismatch(expectedFingerprint, actual);
            }
            return;
        }
        if (!acceptAny) {
            throw new CertificateException(
                    "no server certificate is pinned and insecureSkipVerify is off; the server presented fingerprint "
                            + actual);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("client certificates are not checked by this client");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
    }

    String lastSeenFingerprint() {
        return lastSeenFingerprint;
    }

    X509Certificate lastSeenCertificate() {
        return lastSeenCertificate;
    }

    static final class FingerprintMismatch extends CertificateException {
        final String expected;
        final String actual;

        FingerprintMismatch(String expected, String actual) {
            super("server certificate fingerprint " + actual + " does not match pinned " + expected);
            this.expected = expected;
            this.actual = actual;
        }
    }
}
