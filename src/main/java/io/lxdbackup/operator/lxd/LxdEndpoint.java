package io.lxdbackup.operator.lxd;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * Where and how to reach one LXD server: an {@code https://host:port} URL with a client identity
 * and a pinned server certificate, or a {@code unix://} socket path. Holds parsed key material
 * only; {@link #toString()} never prints it.
 *
 * @param url                 {@code https://...} or {@code unix:///path/to/unix.socket}
 * @param project             default project for calls that do not name one ({@code null} = default)
 * @param target              cluster member for {@code ?target=} ({@code null} = none)
 * @param identity            client certificate and key (ignored for unix sockets, may be null)
 * @param pinnedCertificatePem server certificate to trust exactly, or null
 * @param pinnedFingerprint   SHA-256 fingerprint of the server certificate to trust, or null
 * @param insecureSkipVerify  accept any server certificate (only when neither pin is set)
 * @param connectTimeout      TCP/TLS connect timeout
 * @param requestTimeout      timeout for one synchronous request (not for streams)
 */
public record LxdEndpoint(
        String url,
        String project,
        String target,
        Certificates.ClientIdentity identity,
        String pinnedCertificatePem,
        String pinnedFingerprint,
        boolean insecureSkipVerify,
        Duration connectTimeout,
        Duration requestTimeout) {

    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(60);

    public LxdEndpoint {
        Objects.requireNonNull(url, "url");
        URI u = URI.create(url);
        if (!"https".equals(u.getScheme()) && !"unix".equals(u.getScheme())) {
            throw new IllegalArgumentException(
                    "LXD URL must start with https:// or unix:// (got scheme '" + u.getScheme() + "')");
        }
        connectTimeout = connectTimeout == null ? DEFAULT_CONNECT_TIMEOUT : connectTimeout;
        requestTimeout = requestTimeout == null ? DEFAULT_REQUEST_TIMEOUT : requestTimeout;
    }

    public static LxdEndpoint unix(String socketPath) {
        return new LxdEndpoint("unix://" + socketPath, null, null, null, null, null, false, null, null);
    }

    public static LxdEndpoint https(String url, Certificates.ClientIdentity identity, String pinnedFingerprint) {
        return new LxdEndpoint(url, null, null, identity, null, pinnedFingerprint, false, null, null);
    }

    public boolean isUnix() {
        return url.startsWith("unix:");
    }

    /** Socket path of a {@code unix://} URL. */
    public String socketPath() {
        return URI.create(url).getPath();
    }

    public LxdEndpoint withProject(String project) {
        return new LxdEndpoint(
                url,
                project,
                target,
                identity,
                pinnedCertificatePem,
                pinnedFingerprint,
                insecureSkipVerify,
                connectTimeout,
                requestTimeout);
    }

    public LxdEndpoint withTarget(String target) {
        return new LxdEndpoint(
                url,
                project,
                target,
                identity,
                pinnedCertificatePem,
                pinnedFingerprint,
                insecureSkipVerify,
                connectTimeout,
                requestTimeout);
    }

    public LxdEndpoint withPinnedCertificate(String pem) {
        return new LxdEndpoint(
                url,
                project,
                target,
                identity,
                pem,
                pinnedFingerprint,
                insecureSkipVerify,
                connectTimeout,
                requestTimeout);
    }

    public LxdEndpoint withInsecureSkipVerify(boolean insecure) {
        return new LxdEndpoint(
                url,
                project,
                target,
                identity,
                pinnedCertificatePem,
                pinnedFingerprint,
                insecure,
                connectTimeout,
                requestTimeout);
    }

    public LxdEndpoint withRequestTimeout(Duration timeout) {
        return new LxdEndpoint(
                url,
                project,
                target,
                identity,
                pinnedCertificatePem,
                pinnedFingerprint,
                insecureSkipVerify,
                connectTimeout,
                timeout);
    }

    @Override
    public String toString() {
        return "LxdEndpoint[" + url + (project == null ? "" : ", project=" + project)
                + (target == null ? "" : ", target=" + target) + "]";
    }
}
