package io.lxdbackup.operator.testing;

import io.lxdbackup.operator.lxd.Certificates;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.lxd.LxdEndpoint;
import io.lxdbackup.operator.lxd.LxdException;
import io.lxdbackup.operator.lxd.Operation;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Assumptions;

/**
 * The two real LXD daemons started by {@code hack/lxd-test-env.sh up}, as the tests see them.
 * Without the rig the calling test is reported SKIPPED with the reason, unless
 * {@code LXD_RIG_REQUIRED=true} (set by CI), where a missing rig is a failure.
 */
public final class LxdRig {
    private static volatile LxdRig instance;

    private final Properties props;
    private final Path dir;

    private LxdRig(Properties props, Path dir) {
        this.props = props;
        this.dir = dir;
    }

    /** The rig, or an aborted (skipped) test when it is not there. */
    public static LxdRig require() {
        LxdRig r = instance;
        if (r != null) {
            return r;
        }
        synchronized (LxdRig.class) {
            if (instance == null) {
                instance = load();
            }
            return instance;
        }
    }

    private static LxdRig load() {
        Path dir = Path.of(System.getenv().getOrDefault("LXD_RIG_DIR", "/var/tmp/lxd-rig"));
        Path file = dir.resolve("rig.properties");
        String why = null;
        Properties p = new Properties();
        if (!Files.isReadable(file)) {
            why = "no LXD test rig: " + file + " is missing (run 'sudo hack/lxd-test-env.sh up')";
        } else {
            try (Reader r = Files.newBufferedReader(file)) {
                p.load(r);
            } catch (IOException e) {
                why = "cannot read " + file + ": " + e.getMessage();
            }
        }
        if (why == null) {
            LxdRig rig = new LxdRig(p, dir);
            try (LxdClient c = rig.clientA()) {
                if (!c.refreshServer().trusted()) {
                    why = "LXD test rig daemon A does not trust the rig's client certificate";
                }
            } catch (LxdException e) {
                why = "LXD test rig daemon A does not answer (" + e.getMessage()
                        + "); run 'sudo hack/lxd-test-env.sh up'";
            }
            if (why == null) {
                return rig;
            }
        }
        if ("true".equalsIgnoreCase(System.getenv("LXD_RIG_REQUIRED"))) {
            throw new IllegalStateException(why + " (LXD_RIG_REQUIRED=true, so this is a failure, not a skip)");
        }
        Assumptions.abort(why);
        return null;
    }

    public String get(String key) {
        String v = props.getProperty(key);
        if (v == null) {
            throw new IllegalStateException("rig.properties has no " + key);
        }
        return v;
    }

    public Path dir() {
        return dir;
    }

    public String read(String key) {
        try {
            return Files.readString(Path.of(get(key)));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public Certificates.ClientIdentity trustedIdentity() {
        return Certificates.parseIdentity(read("client.crt"), read("client.key"));
    }

    public Certificates.ClientIdentity untrustedIdentity() {
        return Certificates.parseIdentity(read("untrusted.crt"), read("untrusted.key"));
    }

    /** Endpoint of daemon "a" or "b" with the trusted client identity and the server pinned. */
    public LxdEndpoint endpoint(String daemon) {
        return LxdEndpoint.https(get(daemon + ".url"), trustedIdentity(), get(daemon + ".fingerprint"));
    }

    public LxdClient clientA() {
        return LxdClient.create(endpoint("a"));
    }

    public LxdClient clientB() {
        return LxdClient.create(endpoint("b"));
    }

    public String image() {
        return get("image");
    }

    /** A fresh instance name, unique across test runs (LXD names: letters, digits, dashes). */
    public static String uniqueName(String prefix) {
        return prefix + "-" + Long.toString(System.currentTimeMillis() % 100_000_000L, 36)
                + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36), 36);
    }

    /** Creates a stopped privileged busybox container and returns its name. */
    public String createInstance(LxdClient client, String prefix) {
        String name = uniqueName(prefix);
        Operation op = client.createInstanceFromImage(name, image(), Map.of("security.privileged", "true"));
        client.waitFor(op, Duration.ofMinutes(2));
        return name;
    }

    /**
     * Runs the {@code lxc} command line against daemon "a" or "b" (through its unix socket), for
     * set-ups the client has no call for, such as a storage pool of a test's own. Returns stdout.
     */
    public String lxc(String daemon, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("lxc");
        cmd.addAll(List.of(args));
        // stdin from /dev/null: "lxc init" reads a config from stdin when it is not a terminal
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment()
                .put("LXD_DIR", Path.of(get(daemon + ".socket")).getParent().toString());
        try {
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (!p.waitFor(2, java.util.concurrent.TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IllegalStateException("lxc " + String.join(" ", args) + " failed: " + out);
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run lxc: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A fresh custom volume in the rig's storage pool of daemon "a" or "b"; returns its name. */
    public String createVolume(LxdClient client, String prefix) {
        String name = uniqueName(prefix);
        client.createVolume(get("storage.pool"), name, Map.of());
        return name;
    }

    /**
     * Where a custom volume of the default project keeps its files on the rig's {@code dir} pool:
     * tests read and write a volume's content there, independently of the operator and LXD's API.
     */
    public Path volumeDir(String daemon, String pool, String volume) {
        return Path.of(get(daemon + ".socket"))
                .getParent()
                .resolve("storage-pools")
                .resolve(pool)
                .resolve("custom")
                .resolve("default_" + volume);
    }

    /** Deletes custom volumes of the rig's pool, ignoring ones already gone; for test clean-up. */
    public void deleteVolumesQuietly(LxdClient client, String... names) {
        for (String n : names) {
            if (n == null) {
                continue;
            }
            try {
                client.waitFor(client.deleteVolume(get("storage.pool"), n), Duration.ofMinutes(2));
            } catch (LxdException.NotFound e) {
                // already gone
            } catch (LxdException e) {
                System.err.println("clean-up left volume " + n + " behind: " + e.getMessage());
            }
        }
    }

    /** Deletes instances, ignoring ones already gone; for test clean-up. */
    public static void deleteQuietly(LxdClient client, String... names) {
        List<String> failures = new ArrayList<>();
        for (String n : names) {
            if (n == null) {
                continue;
            }
            try {
                if (client.getInstance(n).isRunning()) {
                    client.waitFor(client.changeState(n, "stop", true, 30), Duration.ofMinutes(1));
                }
                client.waitFor(client.deleteInstance(n), Duration.ofMinutes(2));
            } catch (LxdException.NotFound e) {
                // already gone
            } catch (LxdException e) {
                failures.add(n + ": " + e.getMessage());
            }
        }
        if (!failures.isEmpty()) {
            System.err.println("clean-up left instances behind: " + failures);
        }
    }
}
