package io.lxdbackup.operator.lxd;

import static org.assertj.core.api.Assertions.assertThat;

import io.lxdbackup.operator.testing.LxdRig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A 1 GiB backup downloaded through the client in a JVM limited to 24 MiB of heap: the
 * download completes, the bytes match the file LXD holds (checked with sha256sum on the
 * server's own copy), and the heap peak is printed as the figure.
 */
@Tag("lxd")
class BackupDownloadMemoryLxdTest {
    static final long GIB = 1L << 30;

    @Test
    void oneGibDownloadRunsInSmallFixedHeap() throws Exception {
        LxdRig rig = LxdRig.require();
        try (LxdClient a = rig.clientA()) {
            String inst = rig.createInstance(a, "big");
            try {
                Path rootfs = Path.of("/var/lib/lxd-rig-a/storage-pools/default/containers", inst, "rootfs");
                run(List.of("sh", "-c", "head -c " + GIB + " /dev/urandom > " + rootfs.resolve("root/big.bin")));
                a.waitFor(
                        a.createBackup(inst, new LxdClient.BackupRequest("mem", null, true, false, "none", null)),
                        Duration.ofMinutes(10));
                Path serverCopy = Path.of("/var/lib/lxd-rig-a/backups/instances", inst, "mem");
                String expectedSha =
                        run(List.of("sha256sum", serverCopy.toString())).split("\\s+")[0];
                long expectedSize = Files.size(serverCopy);
                assertThat(expectedSize).isGreaterThan(GIB);

                String java =
                        Path.of(System.getProperty("java.home"), "bin", "java").toString();
                String out = run(List.of(
                        java,
                        "-Xmx24m",
                        "-XX:+UseSerialGC",
                        "-cp",
                        System.getProperty("java.class.path"),
                        DownloadProbe.class.getName(),
                        rig.get("a.url"),
                        rig.get("a.fingerprint"),
                        rig.get("client.crt"),
                        rig.get("client.key"),
                        inst,
                        "mem"));
                String[] f = out.trim().split("\\s+");
                long bytes = Long.parseLong(f[0]);
                long peakHeap = Long.parseLong(f[2]);
                System.out.printf(
                        "1 GiB backup download: %d bytes, peak heap %.1f MiB with -Xmx24m%n",
                        bytes, peakHeap / 1048576.0);
                assertThat(bytes).isEqualTo(expectedSize);
                assertThat(f[1]).isEqualTo(expectedSha);
                assertThat(peakHeap).isLessThan(24L << 20);
                a.waitFor(a.deleteBackup(inst, "mem"), Duration.ofMinutes(2));
            } finally {
                LxdRig.deleteQuietly(a, inst);
            }
        }
    }

    static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException(cmd.get(0) + " failed: " + out);
        }
        return out;
    }
}
