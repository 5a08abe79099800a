package io.lxdbackup.operator.rbac;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshot;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotSpec;
import io.lxdbackup.operator.api.v1alpha1.LxdRemote;
import io.lxdbackup.operator.api.v1alpha1.LxdRemotePhase;
import io.lxdbackup.operator.api.v1alpha1.LxdRemoteSpec;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.api.v1alpha1.RetentionPolicy;
import io.lxdbackup.operator.api.v1alpha1.SchedulePhase;
import io.lxdbackup.operator.api.v1alpha1.SecretKeyRef;
import io.lxdbackup.operator.api.v1alpha1.SnapshotSchedule;
import io.lxdbackup.operator.api.v1alpha1.SnapshotScheduleSpec;
import io.lxdbackup.operator.controller.ScheduleReconcilerBase;
import io.lxdbackup.operator.local.InMemoryApiServer;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.testing.Fixtures;
import io.lxdbackup.operator.testing.LxdRig;
import io.lxdbackup.operator.testing.MutableClock;
import io.lxdbackup.operator.testing.OperatorHarness;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * Issue 8: every Kubernetes API request the operator makes in a representative run is allowed by
 * the RBAC rules {@code helm template} renders from the chart, and every granted permission is
 * used in that run or listed, with its reason, in {@link #NOT_EXERCISED}.
 *
 * <p>The operator runs as in production (leader election on) against the in-memory API server
 * and the real LXD rig; an HTTP interceptor on the operator's own client records each request
 * (method, path, query, body), which is mapped to (namespace, apiGroup, resource[/subresource],
 * verb) the way kube-apiserver's RequestInfo does. Creating an object whose ownerReference has
 * {@code blockOwnerDeletion: true} also needs {@code update} on the owner's {@code /finalizers}
 * (admission plugin OwnerReferencesPermissionEnforcement), so such creates add that requirement.
 *
 * <p>To cover a new controller, add a {@link Step} to {@link #scenario} and remove its kind from
 * {@link #NOT_EXERCISED}.
 */
@Tag("lxd")
class RbacAuditLxdTest {
  static final String NS = Fixtures.NS;
  static final String GROUP = "lxdbackup.io";
  static final Duration T = Duration.ofSeconds(90);
  static final ObjectMapper JSON = new ObjectMapper();

  /** Kinds whose controllers no scenario step exercises yet (all their verbs are granted for them). */
  static final List<String> KINDS_WITHOUT_STEPS = List.of(
      "backupstores", "instanceexports", "exportschedules", "instancerestores", "instancecopies");

  /**
   * Granted, but not used by the scenario: each with the reason it is granted anyway. A grant
   * that is neither used nor listed here fails the test (drop it from the chart, or explain it).
   */
  static final Map<String, String> NOT_EXERCISED = notExercised();

  static Map<String, String> notExercised() {
    Map<String, String> m = new LinkedHashMap<>();
    for (String k : KINDS_WITHOUT_STEPS) {
      // list and watch are used by every controller's informer at start-up, step or not
      for (String v : List.of("get", "create", "update", "patch", "delete")) {
        m.put(GROUP + "/" + k + ":" + v, "no scenario step for this kind yet");
      }
      for (String v : List.of("get", "update", "patch")) {
        m.put(GROUP + "/" + k + "/status:" + v, "no scenario step for this kind yet");
      }
      m.put(GROUP + "/" + k + "/finalizers:update", "no scenario step for this kind yet");
    }
    // The chart grants the same verbs on every kind of the group (one rule over all plurals).
    // For the kinds the scenario covers, these are the ones the operator's code never calls:
    String uniform = "uniform per-kind rule of the chart; ";
    for (String k : List.of("lxdremotes", "instancesnapshots", "snapshotschedules")) {
      m.put(GROUP + "/" + k + ":update", uniform + "JOSDK writes finalizers with patch, nothing updates the object");
      m.put(GROUP + "/" + k + "/status:get", uniform + "status is read with the object");
      m.put(GROUP + "/" + k + "/status:update", uniform + "status is written with patch");
    }
    m.put(GROUP + "/instancesnapshots:get", uniform + "read from the informer cache (list/watch)");
    m.put(GROUP + "/snapshotschedules:get", uniform + "read from the informer cache (list/watch)");
    m.put(GROUP + "/lxdremotes:create", uniform + "only users create remotes");
    m.put(GROUP + "/lxdremotes:delete", uniform + "only users delete remotes");
    m.put(GROUP + "/lxdremotes:patch", uniform + "LxdRemote has no finalizer (no Cleaner), nothing patches it");
    m.put(GROUP + "/snapshotschedules:create", uniform + "only users create schedules");
    m.put(GROUP + "/snapshotschedules:delete", uniform + "only users delete schedules");
    m.put(GROUP + "/lxdremotes/finalizers:update", uniform + "no object has an LxdRemote owner");
    m.put(GROUP + "/instancesnapshots/finalizers:update", uniform + "no object has an InstanceSnapshot owner");
    return m;
  }

  /**
   * Requests Kubernetes allows every authenticated user through its default ClusterRoles, so
   * the chart need not (and does not) grant them.
   */
  static final Map<String, String> CLUSTER_DEFAULTS = Map.of(
      "authorization.k8s.io/selfsubjectrulesreviews:create",
      "JOSDK checks its Lease access before leader election; allowed by system:basic-user");

  /** One part of the representative run. */
  record Step(String name, Runnable action) {}

  /** One recorded request, mapped to RBAC terms. */
  record Access(String namespace, String group, String resource, String verb, String request) {
    String key() {
      return group + "/" + resource + ":" + verb;
    }
  }

  /** One rendered rule triple, cluster-wide (namespace null) or in one namespace. */
  record Grant(String namespace, String group, String resource, String verb) {
    String key() {
      return group + "/" + resource + ":" + verb;
    }
  }

  final ConcurrentLinkedQueue<String[]> recorded = new ConcurrentLinkedQueue<>(); // {method, uri, body}
  LxdRig rig;
  MutableClock clock;
  OperatorHarness op;
  KubernetesClient kube;
  LxdClient lxd;
  String instance;

  @Test
  void everyApiCallIsGrantedAndEveryGrantIsUsed() throws Exception {
    rig = LxdRig.require();
    List<Grant> grants = renderedGrants();
    assertThat(grants).as("rendered RBAC rules").isNotEmpty();

    clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.HOURS).plusSeconds(60));
    op = new OperatorHarness(clock, Duration.ofSeconds(1))
        .withLeaderElection(NS)
        .withOperatorClient(b -> b.withHttpClientBuilderConsumer(h -> h.addOrReplaceInterceptor("rbac-audit", new Interceptor() {
          @Override
          public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
            recorded.add(new String[] {request.method(), request.uri().toString(), request.bodyString()});
          }
        })));
    lxd = rig.clientA();
    try {
      op.start();
      kube = op.kube();
      instance = rig.createInstance(lxd, "rbac");
      for (Step s : scenario()) {
        try {
          s.action().run();
        } catch (RuntimeException | AssertionError e) {
          throw new AssertionError("scenario step failed: " + s.name(), e);
        }
      }
    } finally {
      op.close();
      LxdRig.deleteQuietly(lxd, instance);
      lxd.close();
    }

    Map<String, String> plurals = pluralsByKind();
    List<Access> accesses = new ArrayList<>();
    List<String> unmapped = new ArrayList<>();
    for (String[] r : recorded) {
      Access a = access(r[0], URI.create(r[1]));
      if (a == null) {
        unmapped.add(r[0] + " " + r[1]);
        continue;
      }
      accesses.add(a);
      if (a.verb().equals("create")) {
        accesses.addAll(ownerFinalizerAccesses(a, r[2], plurals));
      }
    }
    assertThat(unmapped).as("requests that are not resource requests (discovery is not expected)").isEmpty();

    // 1. everything the operator did is granted
    List<String> denied = accesses.stream().filter(a -> !allowed(a, grants) && !CLUSTER_DEFAULTS.containsKey(a.key()))
        .map(a -> a.key() + " in " + (a.namespace() == null ? "all namespaces" : a.namespace()) + " (" + a.request() + ")")
        .distinct().sorted().toList();
    assertThat(denied).as("API requests the rendered RBAC does not allow").isEmpty();

    // 2. everything granted was used, or is listed with a reason
    Set<String> used = accesses.stream().map(Access::key).collect(Collectors.toCollection(TreeSet::new));
    Set<String> granted = grants.stream().map(Grant::key).collect(Collectors.toCollection(TreeSet::new));
    List<String> unusedUnexplained = granted.stream().filter(g -> !used.contains(g) && !NOT_EXERCISED.containsKey(g)).toList();
    assertThat(unusedUnexplained).as("granted but neither used by the run nor explained in NOT_EXERCISED").isEmpty();
    // the allow-list must not go stale: entries that are used now, or no longer granted, go
    List<String> staleAllowList = NOT_EXERCISED.keySet().stream().filter(k -> used.contains(k) || !granted.contains(k)).toList();
    assertThat(staleAllowList).as("NOT_EXERCISED entries that are used by the run or not granted").isEmpty();

    System.out.println("RBAC audit: " + recorded.size() + " requests, " + used.size() + " distinct permissions used: " + used);
  }

  /** The representative run; extend with steps for new controllers. */
  List<Step> scenario() {
    return List.of(
        new Step("leader election takes the Lease", () ->
            await().atMost(T).until(() -> recorded.stream().anyMatch(r -> r[1].contains("/leases")))),
        new Step("LxdRemote enrols with a trust token and creates its client certificate Secret", this::remoteWithToken),
        new Step("InstanceSnapshot is created, becomes Ready and is deleted (finalizer)", this::snapshotCreateDelete),
        new Step("SnapshotSchedule fires twice and retention prunes, then is deleted", this::scheduleFiresAndPrunes));
  }

  void remoteWithToken() {
    String token = lxd.createTrustToken("rbac-audit-" + System.nanoTime());
    kube.secrets().inNamespace(NS).resource(Fixtures.opaque("rbac-token", "token", token)).create();
    LxdRemote r = new LxdRemote();
    r.getMetadata().setName("rbac");
    r.getMetadata().setNamespace(NS);
    LxdRemoteSpec spec = new LxdRemoteSpec();
    spec.setUrl(rig.get("a.url"));
    spec.setClientCertificateSecretRef(new ObjectRef("rbac-client"));
    spec.setServerCertificateFingerprint(rig.get("a.fingerprint"));
    spec.setTrustTokenSecretRef(new SecretKeyRef("rbac-token", "token"));
    spec.setProbeInterval("5m");
    r.setSpec(spec);
    kube.resource(r).create();
    await().atMost(T).until(() -> {
      LxdRemote x = kube.resources(LxdRemote.class).inNamespace(NS).withName("rbac").get();
      return x != null && x.getStatus() != null && x.getStatus().getPhase() == LxdRemotePhase.READY;
    });
    assertThat(kube.secrets().inNamespace(NS).withName("rbac-client").get()).isNotNull();
  }

  void snapshotCreateDelete() {
    InstanceSnapshot s = new InstanceSnapshot();
    s.getMetadata().setName("rbac-snap");
    s.getMetadata().setNamespace(NS);
    InstanceSnapshotSpec spec = new InstanceSnapshotSpec();
    spec.setRemoteRef(new ObjectRef("rbac"));
    spec.setInstance(instance);
    s.setSpec(spec);
    kube.resource(s).create();
    await().atMost(T).until(() -> {
      InstanceSnapshot x = kube.resources(InstanceSnapshot.class).inNamespace(NS).withName("rbac-snap").get();
      return x != null && x.getStatus() != null && x.getStatus().getPhase() == InstanceSnapshotPhase.READY;
    });
    kube.resources(InstanceSnapshot.class).inNamespace(NS).withName("rbac-snap").delete();
    await().atMost(T).until(() -> kube.resources(InstanceSnapshot.class).inNamespace(NS).withName("rbac-snap").get() == null);
    await().atMost(T).until(() -> lxd.listSnapshots(instance).isEmpty());
  }

  void scheduleFiresAndPrunes() {
    SnapshotSchedule s = new SnapshotSchedule();
    s.getMetadata().setName("rbac-hourly");
    s.getMetadata().setNamespace(NS);
    SnapshotScheduleSpec spec = new SnapshotScheduleSpec();
    spec.setRemoteRef(new ObjectRef("rbac"));
    spec.setSchedule("@hourly");
    spec.setInstances(List.of(instance));
    spec.setIncludeStopped(true);
    RetentionPolicy keep = new RetentionPolicy();
    keep.setKeepLast(1);
    spec.setRetention(keep);
    s.setSpec(spec);
    kube.resource(s).create();
    await().atMost(T).until(() -> {
      SnapshotSchedule x = kube.resources(SnapshotSchedule.class).inNamespace(NS).withName("rbac-hourly").get();
      return x != null && x.getStatus() != null && x.getStatus().getPhase() == SchedulePhase.ACTIVE;
    });
    for (int run = 1; run <= 2; run++) {
      clock.advance(Duration.ofHours(1));
      String due = clock.instant().truncatedTo(ChronoUnit.HOURS).toString();
      await().atMost(T).until(() -> {
        List<InstanceSnapshot> c = children();
        return c.size() == 1 && c.get(0).getMetadata().getAnnotations().get(ScheduleReconcilerBase.ANNOTATION_SCHEDULED_TIME).equals(due)
            && c.get(0).getStatus() != null && c.get(0).getStatus().getPhase() == InstanceSnapshotPhase.READY;
      });
    }
    await().atMost(T).until(() -> kube.v1().events().inNamespace(NS).list().getItems().stream()
        .anyMatch(e -> "Pruned".equals(e.getReason())));
    kube.resources(SnapshotSchedule.class).inNamespace(NS).withName("rbac-hourly").delete();
    await().atMost(T).until(() -> kube.resources(SnapshotSchedule.class).inNamespace(NS).withName("rbac-hourly").get() == null);
    // the child goes with its owner only through Kubernetes' garbage collector, which the
    // in-memory API server does not run: delete it as the collector would
    kube.resources(InstanceSnapshot.class).inNamespace(NS).withLabel(ScheduleReconcilerBase.LABEL_SCHEDULE, "rbac-hourly").delete();
    await().atMost(T).until(() -> children().isEmpty());
  }

  List<InstanceSnapshot> children() {
    return kube.resources(InstanceSnapshot.class).inNamespace(NS)
        .withLabel(ScheduleReconcilerBase.LABEL_SCHEDULE, "rbac-hourly").list().getItems().stream()
        .filter(c -> c.getMetadata().getDeletionTimestamp() == null).toList();
  }

  // ------------------------------------------------------------------ request -> RBAC terms

  /**
   * Maps a request like kube-apiserver's RequestInfo: {@code /api/v1/...} is the core group,
   * {@code /apis/<group>/<version>/...}; then {@code namespaces/<ns>/}, resource, name,
   * subresource. Null for non-resource paths.
   */
  static Access access(String method, URI uri) {
    String[] p = uri.getRawPath().replaceAll("^/+", "").split("/");
    int i;
    String group;
    if (p.length >= 2 && p[0].equals("api")) {
      group = "";
      i = 2;
    } else if (p.length >= 3 && p[0].equals("apis")) {
      group = p[1];
      i = 3;
    } else {
      return null;
    }
    List<String> rest = new ArrayList<>();
    for (int k = i; k < p.length; k++) {
      rest.add(URLDecoder.decode(p[k], StandardCharsets.UTF_8));
    }
    if (rest.isEmpty()) {
      return null;
    }
    String ns = null;
    if (rest.size() >= 3 && rest.get(0).equals("namespaces")) {
      ns = rest.get(1);
      rest = rest.subList(2, rest.size());
    }
    String resource = rest.get(0);
    String name = rest.size() > 1 ? rest.get(1) : null;
    if (rest.size() > 2) {
      resource = resource + "/" + rest.get(2);
    }
    Map<String, String> query = query(uri);
    String verb = switch (method) {
      case "GET" -> name != null ? "get" : ("true".equals(query.get("watch")) || "1".equals(query.get("watch")) ? "watch" : "list");
      case "POST" -> "create";
      case "PUT" -> "update";
      case "PATCH" -> "patch";
      case "DELETE" -> name != null ? "delete" : "deletecollection";
      default -> method.toLowerCase();
    };
    return new Access(ns, group, resource, verb, method + " " + uri.getRawPath());
  }

  static Map<String, String> query(URI uri) {
    Map<String, String> q = new HashMap<>();
    if (uri.getRawQuery() != null) {
      for (String kv : uri.getRawQuery().split("&")) {
        int eq = kv.indexOf('=');
        q.put(eq < 0 ? kv : kv.substring(0, eq), eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return q;
  }

  /** {@code update} on each owner's {@code /finalizers} for ownerReferences with blockOwnerDeletion. */
  static List<Access> ownerFinalizerAccesses(Access create, String body, Map<String, String> plurals) {
    List<Access> out = new ArrayList<>();
    if (body == null || body.isBlank()) {
      return out;
    }
    try {
      JsonNode refs = JSON.readTree(body).path("metadata").path("ownerReferences");
      for (JsonNode ref : refs) {
        if (!ref.path("blockOwnerDeletion").asBoolean(false)) {
          continue;
        }
        String apiVersion = ref.path("apiVersion").asText();
        String group = apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
        String plural = plurals.get(ref.path("kind").asText());
        assertThat(plural).as("plural of owner kind " + ref.path("kind").asText()).isNotNull();
        out.add(new Access(create.namespace(), group, plural + "/finalizers", "update",
            "blockOwnerDeletion in " + create.request()));
      }
    } catch (IOException e) {
      throw new AssertionError("unreadable request body of " + create.request(), e);
    }
    return out;
  }

  static Map<String, String> pluralsByKind() {
    Map<String, String> m = new HashMap<>();
    for (CustomResourceDefinition crd : InMemoryApiServer.loadCrds()) {
      m.put(crd.getSpec().getNames().getKind(), crd.getSpec().getNames().getPlural());
    }
    return m;
  }

  static boolean allowed(Access a, List<Grant> grants) {
    return grants.stream().anyMatch(g -> g.group().equals(a.group()) && g.resource().equals(a.resource())
        && g.verb().equals(a.verb()) && (g.namespace() == null || g.namespace().equals(a.namespace())));
  }

  // ------------------------------------------------------------------ rendered RBAC

  /** The chart's rules as rendered by {@code helm template} (default values, release namespace {@value NS}). */
  static List<Grant> renderedGrants() throws IOException, InterruptedException {
    Path root = Path.of("").toAbsolutePath();
    ProcessBuilder pb = new ProcessBuilder("bash", "-c",
        "set -euo pipefail; eval \"$(hack/tools.sh)\"; \"$HELM\" template lxd-backup helm/lxd-backup-operator --namespace " + NS)
        .directory(root.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT);
    Process proc = pb.start();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (InputStream in = proc.getInputStream()) {
      in.transferTo(out);
    }
    assertThat(proc.waitFor(5, TimeUnit.MINUTES)).isTrue();
    assertThat(proc.exitValue()).as("helm template (via hack/tools.sh) exit code").isZero();
    List<Grant> grants = new ArrayList<>();
    for (Object doc : new Yaml(new LoaderOptions()).loadAll(out.toString(StandardCharsets.UTF_8))) {
      if (!(doc instanceof Map<?, ?> m)) {
        continue;
      }
      Object kind = m.get("kind");
      if (!"ClusterRole".equals(kind) && !"Role".equals(kind)) {
        continue;
      }
      String ns = "Role".equals(kind) ? String.valueOf(((Map<?, ?>) m.get("metadata")).get("namespace")) : null;
      for (Object o : (List<?>) m.get("rules")) {
        Map<?, ?> rule = (Map<?, ?>) o;
        assertThat(rule.get("resourceNames")).as("resourceNames are not modelled by this test").isNull();
        for (Object g : (List<?>) rule.get("apiGroups")) {
          for (Object r : (List<?>) rule.get("resources")) {
            for (Object v : (List<?>) rule.get("verbs")) {
              grants.add(new Grant(ns, String.valueOf(g), String.valueOf(r), String.valueOf(v)));
            }
          }
        }
      }
    }
    return grants;
  }
}
