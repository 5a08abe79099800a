package io.lxdbackup.operator.config;

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
 * @param allowAmbientCredentials a BackupStore without credentialsSecretRef may use the operator's
 *                        own cloud identity (the default AWS credentials chain); off by default
 * @param httpAddress     address /healthz, /readyz and /metrics listen on; null = every address
 */
public record OperatorSettings(
    List<String> namespaces,
    boolean leaderElection,
    String leaseNamespace,
    int httpPort,
    String logLevel,
    java.time.Duration scheduleMaxWait,
    boolean allowAmbientCredentials,
    String httpAddress) {

  public static final java.time.Duration DEFAULT_SCHEDULE_MAX_WAIT = java.time.Duration.ofMinutes(10);

  public OperatorSettings(List<String> namespaces, boolean leaderElection, String leaseNamespace, int httpPort, String logLevel) {
    this(namespaces, leaderElection, leaseNamespace, httpPort, logLevel, DEFAULT_SCHEDULE_MAX_WAIT);
  }

  public OperatorSettings(List<String> namespaces, boolean leaderElection, String leaseNamespace, int httpPort, String logLevel,
      java.time.Duration scheduleMaxWait) {
    this(namespaces, leaderElection, leaseNamespace, httpPort, logLevel, scheduleMaxWait, false, null);
  }

  public OperatorSettings withAllowAmbientCredentials(boolean allow) {
    return new OperatorSettings(namespaces, leaderElection, leaseNamespace, httpPort, logLevel, scheduleMaxWait, allow, httpAddress);
  }

  public OperatorSettings withHttpAddress(String address) {
    return new OperatorSettings(namespaces, leaderElection, leaseNamespace, httpPort, logLevel, scheduleMaxWait,
        allowAmbientCredentials, address);
  }

  public static final String LEASE_NAME = "lxd-backup-operator";

  public static OperatorSettings from(String[] args, Map<String, String> env, boolean inCluster) {
    String ns = option(args, env, "namespaces", "");
    String le = option(args, env, "leader-election", inCluster ? "true" : "false");
    String leaseNs = option(args, env, "lease-namespace", env.getOrDefault("POD_NAMESPACE", ""));
    String port = option(args, env, "http-port", "8080");
    String level = option(args, env, "log-level", "info");
    List<String> list = ns.isBlank() ? List.of()
        : Arrays.stream(ns.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    int p;
    try {
      p = Integer.parseInt(port);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--http-port must be a number (got " + port + ")");
    }
    String ambient = option(args, env, "allow-ambient-credentials", "false");
    String address = option(args, env, "http-address", "");
    return new OperatorSettings(list, Boolean.parseBoolean(le), leaseNs.isBlank() ? null : leaseNs, p, level)
        .withAllowAmbientCredentials(Boolean.parseBoolean(ambient))
        .withHttpAddress(address.isBlank() ? null : address);
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
