package io.lxdbackup.operator.lxd;

import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Downloads one LXD backup through {@link LxdClient} in its own JVM and prints
 * {@code bytes sha256 peakHeapUsedBytes}. Run with a small {@code -Xmx}: a client that
 * buffered the file could not finish at all.
 */
public final class DownloadProbe {
    public static void main(String[] args) throws Exception {
        String url = args[0];
        String fingerprint = args[1];
        Certificates.ClientIdentity id =
                Certificates.parseIdentity(Files.readString(Path.of(args[2])), Files.readString(Path.of(args[3])));
        String instance = args[4];
        String backup = args[5];
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            pool.resetPeakUsage();
        }
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        long total = 0;
        try (LxdClient client = LxdClient.create(LxdEndpoint.https(url, id, fingerprint));
                LxdClient.Download d = client.downloadBackup(instance, backup)) {
            InputStream in = d.stream();
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) > 0) {
                sha.update(buf, 0, n);
                total += n;
            }
        }
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        System.out.println(total + " " + HexFormat.of().formatHex(sha.digest()) + " " + peak);
    }
}
