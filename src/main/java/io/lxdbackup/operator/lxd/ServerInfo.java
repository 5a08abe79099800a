package io.lxdbackup.operator.lxd;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The answer of {@code GET /1.0}. {@code trusted} is false when the server accepted the TLS
 * connection but does not (yet) trust the client certificate.
 */
public record ServerInfo(
        boolean trusted,
        String apiVersion,
        String serverVersion,
        String serverName,
        boolean clustered,
        String certificatePem,
        String certificateFingerprint,
        Set<String> apiExtensions,
        Capabilities capabilities,
        List<Integer> backupMetadataVersionRange,
        Map<String, String> config) {

    public boolean hasExtension(String extension) {
        return apiExtensions.contains(extension);
    }

    /** Throws {@link LxdException.NotSupported} unless the server has the extension. */
    public void require(String extension, String feature) {
        if (!hasExtension(extension)) {
            throw new LxdException.NotSupported(feature, extension);
        }
    }
}
