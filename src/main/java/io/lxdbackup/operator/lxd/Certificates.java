package io.lxdbackup.operator.lxd;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * PEM handling for LXD's client and server certificates. Keys may be PKCS#8 ({@code PRIVATE KEY})
 * or the SEC1 {@code EC PRIVATE KEY} / PKCS#1 {@code RSA PRIVATE KEY} forms that {@code lxc}
 * and {@code openssl} write. Error messages never contain key material.
 */
public final class Certificates {
    private Certificates() {}

    /** A client certificate with its private key, both parsed. */
    public record ClientIdentity(List<X509Certificate> chain, PrivateKey key) {
        public X509Certificate certificate() {
            return chain.get(0);
        }

        public String fingerprint() {
            return Certificates.fingerprint(certificate());
        }
    }

    /** A freshly generated key pair and self-signed certificate, as PEM text. */
    public record GeneratedIdentity(String certificatePem, String privateKeyPem) {}

    /** Raised for unreadable PEM input; the message says what was expected, never the content. */
    public static class InvalidPemException extends IllegalArgumentException {
        public InvalidPemException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    public static ClientIdentity parseIdentity(String certificatePem, String privateKeyPem) {
        List<X509Certificate> chain = parseCertificates(certificatePem, "client certificate");
        if (chain.isEmpty()) {
            throw new InvalidPemException("the client certificate holds no PEM CERTIFICATE block", null);
        }
        return new ClientIdentity(chain, parsePrivateKey(privateKeyPem));
    }

    public static X509Certificate parseCertificate(String pem, String what) {
        List<X509Certificate> certs = parseCertificates(pem, what);
        if (certs.isEmpty()) {
            throw new InvalidPemException(what + " holds no PEM CERTIFICATE block", null);
        }
        return certs.get(0);
    }

    public static List<X509Certificate> parseCertificates(String pem, String what) {
        if (pem == null || pem.isBlank()) {
            throw new InvalidPemException(what + " is empty", null);
        }
        List<X509Certificate> out = new ArrayList<>();
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object o;
            while ((o = parser.readObject()) != null) {
                if (o instanceof X509CertificateHolder holder) {
                    out.add(converter.getCertificate(holder));
                }
            }
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw new InvalidPemException(what + " is not a valid PEM certificate", e);
        }
        return out;
    }

    public static PrivateKey parsePrivateKey(String pem) {
        if (pem == null || pem.isBlank()) {
            throw new InvalidPemException("the private key is empty", null);
        }
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object o;
            while ((o = parser.readObject()) != null) {
                if (o instanceof PEMKeyPair pair) {
                    return converter.getKeyPair(pair).getPrivate();
                }
                if (o instanceof PrivateKeyInfo info) {
                    return converter.getPrivateKey(info);
                }
            }
        } catch (IOException | RuntimeException e) {
            // Deliberately not chaining the parser's message: some parsers echo input bytes.
            throw new InvalidPemException(
                    "the private key is not readable PEM (expected PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY; encrypted keys are not supported)",
                    null);
        }
        throw new InvalidPemException(
                "no private key found in the PEM text (expected PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY)", null);
    }

    /** SHA-256 of the DER encoding, lowercase hex without separators (as {@code lxc} prints it). */
    public static String fingerprint(X509Certificate certificate) {
        try {
            return sha256Hex(certificate.getEncoded());
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException("certificate cannot be encoded", e);
        }
    }

    /** Normalizes a user-supplied fingerprint: lowercase, colons and spaces removed. */
    public static String normalizeFingerprint(String fingerprint) {
        return fingerprint == null ? null : fingerprint.replaceAll("[:\\s]", "").toLowerCase();
    }

    public static String toPem(X509Certificate certificate) {
        return writePem(certificate);
    }

    /**
     * Generates an EC P-384 key pair and a ten-year self-signed certificate, as {@code lxc}
     * does for its client certificate.
     */
    public static GeneratedIdentity generate(String commonName) {
        try {
            KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
            kpg.initialize(new ECGenParameterSpec("secp384r1"), new SecureRandom());
            KeyPair kp = kpg.generateKeyPair();
            Instant now = Instant.now();
            X500Name subject = new X500Name("O=lxd-backup-operator,CN=" + commonName.replaceAll("[,=+]", "-"));
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                    subject,
                    new BigInteger(127, new SecureRandom()),
                    Date.from(now.minus(Duration.ofMinutes(5))),
                    Date.from(now.plus(Duration.ofDays(3650))),
                    subject,
                    kp.getPublic());
            X509Certificate cert = new JcaX509CertificateConverter()
                    .getCertificate(
                            builder.build(new JcaContentSignerBuilder("SHA384withECDSA").build(kp.getPrivate())));
            String keyPem = "-----BEGIN PRIVATE KEY-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                            .encodeToString(kp.getPrivate().getEncoded())
                    + "\n-----END PRIVATE KEY-----\n";
            return new GeneratedIdentity(writePem(cert), keyPem);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot generate a client certificate", e);
        }
    }

    static String sha256Hex(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String writePem(Object o) {
        StringWriter sw = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
            w.writeObject(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return sw.toString();
    }
}
