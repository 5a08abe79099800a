package io.lxdbackup.operator.config;

import io.lxdbackup.operator.lxd.LxdTimeouts;
import io.lxdbackup.operator.transfer.TransferLimits;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Operator options, from command-line flags ({@code --name=value}) or environment variables
 * ({@code LXDBACKUP_NAME}); flags win.
 *
 * @param namespaces      namespaces to watch; empty = all
 * @param leaderElection  take a Lease before reconciling (on by default inside a cluster)
 * @param leaseNamespace  namespace of the Lease (default: the pod's namespace)
 * @param httpPort        port of /healthz, /readyz and /metrics (0 = pick a free one)
 * @param logLevel        root log level
 * @param scheduleMaxWait longest a schedule sleeps before deciding again (guards against clock
 *                        jumps; tests shorten it to drive schedules with an injected clock)
 * @param transfers       bounds on concurrent exports, restores and relay copies and their
 *                        buffers ({@code --max-transfers}, {@code --max-transfers-per-remote},
 *                        {@code --transfer-memory}, {@code --max-part-size})
 * @param allowAmbientCredentials a BackupStore without credentialsSecretRef may use the operator's
 *                        own cloud identity (the default AWS credentials chain); off by default
 * @param httpAddress     address /healthz, /readyz and /metrics listen on; null = every address
 * @param lxdTimeouts     deadlines on LXD calls and streams ({@code --lxd-request-timeout},
 *                        {@code --lxd-stream-idle-timeout}); null = defaults
 * @param reconcileThreads reconciles running at once over all controllers ({@code --reconcile-threads});
 *                        0 = the default
 */
public record OperatorSettings(
        List<String> namespaces,
        boolean leaderElection,
        String leaseNamespace,
        int httpPort,
        String logLevel,
        java.time.Duration scheduleMaxWait,
        TransferLimits transfers,
        boolean allowAmbientCredentials,
        String httpAddress,
        LxdTimeouts lxdTimeouts,
        int reconcileThreads) {

    /** Reconciles running at once, over all controllers (the Java Operator SDK's default). */
    public static final int DEFAULT_RECONCILE_THREADS = 50;

    public OperatorSettings {
        lxdTimeouts = lxdTimeouts == null ? LxdTimeouts.defaults() : lxdTimeouts;
        reconcileThreads = reconcileThreads <= 0 ? DEFAULT_RECONCILE_THREADS : reconcileThreads;
    }

    public static final java.time.Duration DEFAULT_SCHEDULE_MAX_WAIT = java.time.Duration.ofMinutes(10);

    public OperatorSettings(
            List<String> namespaces, boolean leaderElection, String leaseNamespace, int httpPort, String logLevel) {
        this(namespaces, leaderElection, leaseNamespace, httpPort, logLevel, DEFAULT_SCHEDULE_MAX_WAIT);
    }

    public OperatorSettings(
            List<String> namespaces,
            boolean leaderElection,
            String leaseNamespace,
            int httpPort,
            String logLevel,
            java.time.Duration scheduleMaxWait) {
        this(
                namespaces,
                leaderElection,
                leaseNamespace,
                httpPort,
                logLevel,
                scheduleMaxWait,
                TransferLimits.defaults(),
                false,
                null,
                null,
                0);
    }

    /** The same settings with other transfer limits. */
    public OperatorSettings withTransfers(TransferLimits limits) {
        return new OperatorSettings(
                namespaces,
                leaderElection,
                leaseNamespace,
                httpPort,
                logLevel,
                scheduleMaxWait,
                limits,
                allowAmbientCredentials,
                httpAddress,
                lxdTimeouts,
                reconcileThreads);
    }

    /** The same settings with other deadlines on LXD calls and streams. */
    public OperatorSettings withLxdTimeouts(LxdTimeouts timeouts) {
        return new OperatorSettings(
                namespaces,
                leaderElection,
                leaseNamespace,
                httpPort,
                logLevel,
                scheduleMaxWait,
                transfers,
                allowAmbientCredentials,
                httpAddress,
                timeouts,
                reconcileThreads);
    }

    /** The same settings with another number of reconcile threads. */
    public OperatorSettings withReconcileThreads(int threads) {
        return new OperatorSettings(
                namespaces,
                leaderElection,
                leaseNamespace,
                httpPort,
                logLevel,
                scheduleMaxWait,
                transfers,
                allowAmbientCredentials,
                httpAddress,
                lxdTimeouts,
                threads);
    }

    public OperatorSettings withAllowAmbientCredentials(boolean allow) {
        return new OperatorSettings(
                namespaces,
                leaderElection,
                leaseNamespace,
                httpPort,
                logLevel,
                scheduleMaxWait,
                transfers,
                allow,
                httpAddress,
                lxdTimeouts,
                reconcileThreads);
    }

    public OperatorSettings withHttpAddress(String address) {
        return new OperatorSettings(
                namespaces,
                leaderElection,
                leaseNamespace,
                httpPort,
                logLevel,
                scheduleMaxWait,
                transfers,
                allowAmbientCredentials,
                address,
                lxdTimeouts,
                reconcileThreads);
    }

    public static final String LEASE_NAME = "lxd-backup-operator";

    public static OperatorSettings from(String[] args, Map<String, String> env, boolean inCluster) {
        String ns = option(args, env, "namespaces", "");
        String le = option(args, env, "leader-election", inCluster ? "true" : "false");
        String leaseNs = option(args, env, "lease-namespace", env.getOrDefault("POD_NAMESPACE", ""));
        String port = option(args, env, "http-port", "8080");
        String level = option(args, env, "log-level", "info");
        List<String> list = ns.isBlank()
                ? List.of()
                : Arrays.stream(ns.split(","))
                        .map(String::trim)
                        .filter(s -> !s.isEmpty())
                        .toList();
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--http-port must be a number (got " + port + ")");
        }
        String ambient = option(args, env, "allow-ambient-credentials", "false");
        String address = option(args, env, "http-address", "");
        return new OperatorSettings(
                list,
                Boolean.parseBoolean(le),
                leaseNs.isBlank() ? null : leaseNs,
                p,
                level,
                DEFAULT_SCHEDULE_MAX_WAIT,
                transferLimits(args, env),
                Boolean.parseBoolean(ambient),
                address.isBlank() ? null : address,
                lxdTimeouts(args, env),
                number(
                        option(args, env, "reconcile-threads", String.valueOf(DEFAULT_RECONCILE_THREADS)),
                        "reconcile-threads"));
    }

    static TransferLimits transferLimits(String[] args, Map<String, String> env) {
        TransferLimits d = TransferLimits.defaults();
        return new TransferLimits(
                number(option(args, env, "max-transfers", String.valueOf(d.maxConcurrent())), "max-transfers"),
                number(
                        option(args, env, "max-transfers-per-remote", String.valueOf(d.maxPerRemote())),
                        "max-transfers-per-remote"),
                TransferLimits.parseSize(
                        "transfer-memory", option(args, env, "transfer-memory", String.valueOf(d.memoryBytes()))),
                TransferLimits.parseSize(
                        "max-part-size", option(args, env, "max-part-size", String.valueOf(d.maxPartSize()))));
    }

    static LxdTimeouts lxdTimeouts(String[] args, Map<String, String> env) {
        LxdTimeouts d = LxdTimeouts.defaults();
        return new LxdTimeouts(
                duration(
                        option(args, env, "lxd-request-timeout", d.request().toSeconds() + "s"), "lxd-request-timeout"),
                duration(
                        option(
                                args,
                                env,
                                "lxd-stream-idle-timeout",
                                d.streamIdle().toSeconds() + "s"),
                        "lxd-stream-idle-timeout"));
    }

    private static java.time.Duration duration(String value, String flag) {
        try {
            return io.lxdbackup.operator.schedule.GoDuration.parse(value.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "--" + flag + " must be a duration such as 30s or 5m (got " + value + ")");
        }
    }

    private static int number(String value, String flag) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + flag + " must be a number (got " + value + ")");
        }
    }

    /** Reads {@code --name=value} from args, else {@code LXDBACKUP_NAME} from env, else the default. */
    public static String option(String[] args, Map<String, String> env, String name, String def) {
        String prefix = "--" + name + "=";
        for (String a : args) {
            if (a.startsWith(prefix)) {
                return a.substring(prefix.length());
            }
        }
        String v = env.get("LXDBACKUP_" + name.toUpperCase().replace('-', '_'));
        return v != null ? v : def;
    }

    public boolean watchAllNamespaces() {
        return namespaces.isEmpty();
    }
}
