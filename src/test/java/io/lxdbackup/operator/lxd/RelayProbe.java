package io.lxdbackup.operator.lxd;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Relays one instance from daemon A to daemon B through {@link RelayCopy} in its own JVM and
 * prints {@code bytes millis peakHeapUsedBytes compression}. Run with a small {@code -Xmx}: a
 * relay that buffered the stream could not finish at all.
 */
public final class RelayProbe {
    public static void main(String[] args) throws Exception {
        Certificates.ClientIdentity id =
                Certificates.parseIdentity(Files.readString(Path.of(args[4])), Files.readString(Path.of(args[5])));
        String instance = args[6];
        String target = args[7];
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            pool.resetPeakUsage();
        }
        long t0 = System.nanoTime();
        RelayCopy.Result r;
        try (LxdClient a = LxdClient.create(LxdEndpoint.https(args[0], id, args[1]));
                LxdClient b = LxdClient.create(LxdEndpoint.https(args[2], id, args[3]))) {
            r = RelayCopy.run(
                    a,
                    b,
                    new RelayCopy.Request(instance, "relay-probe", true, target, null, Duration.ofMinutes(20)),
                    null,
                    null);
        }
        long millis = (System.nanoTime() - t0) / 1_000_000;
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        System.out.println(r.bytes() + " " + millis + " " + peak + " " + r.compression() + " " + r.backupDeleted());
    }
}
