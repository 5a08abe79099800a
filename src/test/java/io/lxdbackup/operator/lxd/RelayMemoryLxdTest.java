package io.lxdbackup.operator.lxd;

import static org.assertj.core.api.Assertions.assertThat;

import io.lxdbackup.operator.testing.LxdRig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The cost of relay mode, measured: a 512 MiB instance (incompressible data) relayed from A to B
 * by a JVM limited to 24 MiB of heap, against a pull copy of the same instance. Prints the
 * figures the README quotes; asserts that the relay's memory does not grow with the instance
 * and that both copies hold the same bytes.
 */
@Tag("lxd")
class RelayMemoryLxdTest {
    static final long MIB = 1L << 20;
    static final long SIZE = 512 * MIB;

    @Test
    void relayOf512MibRunsInSmallFixedHeap() throws Exception {
        LxdRig rig = LxdRig.require();
        try (LxdClient a = rig.clientA();
                LxdClient b = rig.clientB()) {
            String inst = rig.createInstance(a, "relaymem");
            String relayed = inst + "-relay";
            String pulled = inst + "-pull";
            try {
                Path rootfs = Path.of("/var/lib/lxd-rig-a/storage-pools/default/containers", inst, "rootfs");
                run(List.of("sh", "-c", "head -c " + SIZE + " /dev/urandom > " + rootfs.resolve("root/big.bin")));
                String expected = sha(rootfs.resolve("root/big.bin"));

                String java =
                        Path.of(System.getProperty("java.home"), "bin", "java").toString();
                String out = run(List.of(
                        java,
                        "-Xmx24m",
                        "-XX:+UseSerialGC",
                        "-cp",
                        System.getProperty("java.class.path"),
                        RelayProbe.class.getName(),
                        rig.get("a.url"),
                        rig.get("a.fingerprint"),
                        rig.get("b.url"),
                        rig.get("b.fingerprint"),
                        rig.get("client.crt"),
                        rig.get("client.key"),
                        inst,
                        relayed));
                String[] f = out.trim().split("\\s+");
                long bytes = Long.parseLong(f[0]);
                long relayMillis = Long.parseLong(f[1]);
                long peakHeap = Long.parseLong(f[2]);

                long t0 = System.nanoTime();
                b.waitFor(
                        b.copyFrom(a, new LxdClient.CopyRequest(inst, pulled, true, false, null)),
                        Duration.ofMinutes(20));
                long pullMillis = (System.nanoTime() - t0) / 1_000_000;

                System.out.printf(
                        "relay of a %d MiB instance: %d bytes streamed (%s) in %.1f s, operator peak heap %.1f MiB"
                                + " (-Xmx24m); pull copy of the same instance: %.1f s%n",
                        SIZE / MIB, bytes, f[3], relayMillis / 1000.0, peakHeap / (double) MIB, pullMillis / 1000.0);
                assertThat(bytes).isGreaterThan(SIZE);
                assertThat(peakHeap).isLessThan(24 * MIB);
                assertThat(f[4]).isEqualTo("true");
                assertThat(a.listBackups(inst)).isEmpty();
                Path pools = Path.of("/var/lib/lxd-rig-b/storage-pools/default/containers");
                assertThat(sha(pools.resolve(relayed).resolve("rootfs/root/big.bin")))
                        .isEqualTo(expected);
                assertThat(sha(pools.resolve(pulled).resolve("rootfs/root/big.bin")))
                        .isEqualTo(expected);
            } finally {
                LxdRig.deleteQuietly(a, inst);
                LxdRig.deleteQuietly(b, relayed, pulled);
            }
        }
    }

    static String sha(Path file) throws Exception {
        return run(List.of("sha256sum", file.toString())).split("\\s+")[0];
    }

    static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(20, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException(cmd.get(0) + " failed: " + out);
        }
        return out;
    }
}
