package io.lxdbackup.operator.local;

import io.fabric8.kubernetes.api.model.APIGroupBuilder;
import io.fabric8.kubernetes.api.model.APIGroupListBuilder;
import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.APIResourceBuilder;
import io.fabric8.kubernetes.api.model.APIResourceListBuilder;
import io.fabric8.kubernetes.api.model.APIVersionsBuilder;
import io.fabric8.kubernetes.api.model.GroupVersionForDiscoveryBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.VersionInfo;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * An in-memory Kubernetes API (fabric8's CRUD mock server) with this operator's CRDs installed
 * and the discovery documents kubectl asks for. Everything lives in memory: it is for trying
 * the operator and for tests, never for keeping backups' bookkeeping.
 *
 * <p>As a real API server does (its {@code --event-ttl}), Events are deleted an hour after they
 * were created ({@link #DEFAULT_EVENT_TTL}); without that, a long-running local operator would
 * keep every event it ever wrote in memory.
 *
 * <p>It listens on the loopback address only, HTTPS for kubectl ({@link #url()}, a certificate made
 * at start and pinned in {@link #kubeconfig()}) in front of plain HTTP ({@link #backendUrl()}, for
 * the in-process clients), and answers only requests that carry its random bearer token
 * ({@link #token()}; in the kubeconfig and in every client {@link #newClient()} builds): anything
 * else gets 401 Unauthorized, as from a real API server. The mock server's own
 * line per request (its request line, never its headers) is off unless
 * {@link #logRequests(boolean)} turns it on.
 */
public final class InMemoryApiServer implements AutoCloseable {
    public static final List<String> CRD_FILES = List.of(
            "lxdremotes",
            "backupstores",
            "instancesnapshots",
            "snapshotschedules",
            "instanceexports",
            "exportschedules",
            "instancerestores",
            "instancecopies",
            "backupverifications");

    /** How long Events are kept: kube-apiserver's default {@code --event-ttl}. */
    public static final Duration DEFAULT_EVENT_TTL = Duration.ofHours(1);

    static final String EVENTS = "/events";

    private final KubernetesMockServer server;
    private final Duration eventTtl;
    private final List<CustomResourceDefinition> crds;
    private final KubernetesClient client;
    private final ScheduledExecutorService housekeeping;
    private final PartitionedDispatcher dispatcher;
    private final String token;
    private final TlsFront front;

    /** fabric8's mock web server writes one java.util.logging line per request at INFO; held so the level sticks. */
    private static final java.util.logging.Logger REQUEST_LOG =
            java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

    static {
        logRequests(false);
    }

    /** Turns the in-memory server's per-request log lines on or off (off by default). */
    public static void logRequests(boolean on) {
        REQUEST_LOG.setLevel(on ? java.util.logging.Level.INFO : java.util.logging.Level.WARNING);
    }

    public InMemoryApiServer(int port) {
        this(port, DEFAULT_EVENT_TTL);
    }

    /** With Events kept for {@code eventTtl} (checked every tenth of it, at most every minute). */
    public InMemoryApiServer(int port, Duration eventTtl) {
        if (eventTtl.isNegative() || eventTtl.isZero()) {
            throw new IllegalArgumentException("eventTtl must be positive");
        }
        this.eventTtl = eventTtl;
        this.token = BearerTokenDispatcher.newToken();
        Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
        crds = loadCrds();
        dispatcher = new PartitionedDispatcher(
                responses,
                crds.stream().map(CustomResourceDefinitionContext::fromCrd).toList());
        server =
                new KubernetesMockServer(
                        new Context(),
                        new MockWebServer(),
                        responses,
                        new BearerTokenDispatcher(token, dispatcher),
                        false) {
                    /** Every client this server builds (createClient) sends the token. */
                    @Override
                    protected Config initConfig() {
                        return new ConfigBuilder(super.initConfig())
                                .withOauthToken(token)
                                .build();
                    }
                };
        expectDiscovery();
        expectRulesReview();
        // plain HTTP behind, on a free loopback port; HTTPS on the given one (kubectl sends the
        // token over TLS only)
        server.init(InetAddress.getLoopbackAddress(), 0);
        try {
            front = new TlsFront(port, server.getPort());
        } catch (RuntimeException e) {
            server.destroy();
            throw e;
        }
        server.setVersionInfo(new VersionInfo.Builder()
                .withMajor("1")
                .withMinor("32")
                .withGitVersion("v1.32.0-inmemory")
                .build());
        client = server.createClient();
        for (CustomResourceDefinition crd : crds) {
            client.apiextensions()
                    .v1()
                    .customResourceDefinitions()
                    .resource(crd)
                    .create();
        }
        // The mock server keeps every request it served (with its body) for takeRequest(): nothing
        // here reads them, and a long-running local operator or benchmark would grow without bound.
        housekeeping = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "in-memory-api-housekeeping");
            t.setDaemon(true);
            return t;
        });
        housekeeping.scheduleWithFixedDelay(this::drainJournal, 5, 5, TimeUnit.SECONDS);
        long sweepMs = Math.max(100, Math.min(Duration.ofMinutes(1).toMillis(), eventTtl.toMillis() / 10));
        housekeeping.scheduleWithFixedDelay(this::expireEvents, sweepMs, sweepMs, TimeUnit.MILLISECONDS);
    }

    /**
     * Deletes the Events created more than the TTL ago (by their {@code creationTimestamp}, which
     * this server sets), through the store's own delete, so watchers see them go.
     */
    int expireEvents() {
        try {
            Instant cutoff = Instant.now().minus(eventTtl);
            IndexedCrudDispatcher events = dispatcher.store(EVENTS);
            List<String> expired = new ArrayList<>();
            for (Map.Entry<io.fabric8.mockwebserver.crud.AttributeSet, String> e :
                    List.copyOf(events.getMap().entrySet())) {
                Instant created = creationTimestamp(e.getValue());
                String key = IndexedCrudDispatcher.storedKey(e.getKey());
                if (created != null && key != null && created.isBefore(cutoff)) {
                    String[] nsName = key.split("/", 2);
                    expired.add("/api/v1/namespaces/" + nsName[0] + "/events/" + nsName[1]);
                }
            }
            expired.forEach(events::handleDelete);
            return expired.size();
        } catch (RuntimeException e) {
            return 0; // at the next tick
        }
    }

    /** {@code metadata.creationTimestamp} of a stored object's JSON, without parsing all of it. */
    static Instant creationTimestamp(String json) {
        String field = "\"creationTimestamp\":\"";
        int i = json == null ? -1 : json.indexOf(field);
        if (i < 0) {
            return null;
        }
        int start = i + field.length();
        int end = json.indexOf('"', start);
        try {
            return end < 0 ? null : Instant.parse(json.substring(start, end));
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /**
     * Hears the method and path of every request served, a few seconds late (when the journal is
     * drained); for benchmarks that count what the operator asks.
     */
    public void onRequest(java.util.function.BiConsumer<String, String> listener) {
        this.requestListener = listener;
    }

    private volatile java.util.function.BiConsumer<String, String> requestListener;

    private void drainJournal() {
        try {
            io.fabric8.mockwebserver.http.RecordedRequest r;
            while ((r = server.takeRequest(1, TimeUnit.MILLISECONDS)) != null) {
                java.util.function.BiConsumer<String, String> l = requestListener;
                if (l != null) {
                    l.accept(r.getMethod(), r.getPath());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // keep draining at the next tick
        }
    }

    /** The CRDs shipped in the jar (copied from {@code crds/} at build time). */
    public static List<CustomResourceDefinition> loadCrds() {
        List<CustomResourceDefinition> out = new ArrayList<>();
        for (String plural : CRD_FILES) {
            String path = "/crds/" + plural + ".lxdbackup.io-v1.yml";
            try (InputStream in = InMemoryApiServer.class.getResourceAsStream(path)) {
                if (in == null) {
                    throw new IllegalStateException(
                            "CRD " + path + " is not on the class path; build with ./mvnw package");
                }
                out.add(Serialization.unmarshal(in, CustomResourceDefinition.class));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }

    /** Canned discovery: without it kubectl cannot map kinds and short names to URLs. */
    private void expectDiscovery() {
        discovery("/api", new APIVersionsBuilder().withVersions("v1").build());
        discovery(
                "/apis",
                new APIGroupListBuilder()
                        .addToGroups(new APIGroupBuilder()
                                .withName("lxdbackup.io")
                                .addToVersions(new GroupVersionForDiscoveryBuilder()
                                        .withGroupVersion("lxdbackup.io/v1alpha1")
                                        .withVersion("v1alpha1")
                                        .build())
                                .withNewPreferredVersion()
                                .withGroupVersion("lxdbackup.io/v1alpha1")
                                .withVersion("v1alpha1")
                                .endPreferredVersion()
                                .build())
                        .build());
        List<String> verbs = List.of("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch");
        List<APIResource> resources = new ArrayList<>();
        for (CustomResourceDefinition crd : crds) {
            var names = crd.getSpec().getNames();
            resources.add(new APIResourceBuilder()
                    .withName(names.getPlural())
                    .withSingularName(names.getSingular())
                    .withKind(names.getKind())
                    .withNamespaced(true)
                    .withShortNames(names.getShortNames())
                    .withCategories(names.getCategories())
                    .withVerbs(verbs)
                    .build());
            resources.add(new APIResourceBuilder()
                    .withName(names.getPlural() + "/status")
                    .withKind(names.getKind())
                    .withNamespaced(true)
                    .withVerbs("get", "patch", "update")
                    .build());
        }
        discovery(
                "/apis/lxdbackup.io/v1alpha1",
                new APIResourceListBuilder()
                        .withGroupVersion("lxdbackup.io/v1alpha1")
                        .withResources(resources)
                        .build());
        discovery(
                "/api/v1",
                new APIResourceListBuilder()
                        .withGroupVersion("v1")
                        .addToResources(core("secrets", "secret", "Secret", true))
                        .addToResources(core("events", "event", "Event", true))
                        .addToResources(core("configmaps", "configmap", "ConfigMap", true))
                        .addToResources(core("namespaces", "namespace", "Namespace", false))
                        .build());
    }

    /**
     * JOSDK asks, before leader election, whether it may use Leases (a SelfSubjectRulesReview,
     * which every authenticated user may create). The in-memory API has no authorization: it
     * answers that everything is allowed, so the operator can run with leader election here.
     */
    private void expectRulesReview() {
        Map<String, Object> all = Map.of("apiGroups", List.of("*"), "resources", List.of("*"), "verbs", List.of("*"));
        Map<String, Object> review = Map.of(
                "apiVersion",
                "authorization.k8s.io/v1",
                "kind",
                "SelfSubjectRulesReview",
                "metadata",
                Map.of(),
                "spec",
                Map.of("namespace", "default"),
                "status",
                Map.of("resourceRules", List.of(all), "nonResourceRules", List.of(), "incomplete", false));
        server.expect()
                .post()
                .withPath("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")
                .andReturn(201, review)
                .withHeader("Content-Type", "application/json")
                .always();
    }

    /** kubectl adds {@code ?timeout=32s}; expectations match the whole path, so register both. */
    private void discovery(String path, Object body) {
        for (String p : List.of(path, path + "?timeout=32s")) {
            server.expect()
                    .get()
                    .withPath(p)
                    .andReturn(200, body)
                    .withHeader("Content-Type", "application/json")
                    .always();
        }
    }

    private static APIResource core(String plural, String singular, String kind, boolean namespaced) {
        return new APIResourceBuilder()
                .withName(plural)
                .withSingularName(singular)
                .withKind(kind)
                .withNamespaced(namespaced)
                .withVerbs("create", "delete", "get", "list", "patch", "update", "watch")
                .build();
    }

    /** The store behind one resource type ({@code group/plural}, "/configmaps" for core types). */
    IndexedCrudDispatcher store(String type) {
        return dispatcher.store(type);
    }

    public KubernetesClient client() {
        return client;
    }

    /** A new client of this server (as a separate process would have). */
    public KubernetesClient newClient() {
        return server.createClient();
    }

    /** A new client of this server, built with extra settings (e.g. an HTTP interceptor). */
    public KubernetesClient newClient(Consumer<KubernetesClientBuilder> customizer) {
        return server.createClient(customizer);
    }

    /** The HTTPS port (kubectl's). */
    public int port() {
        return front.port();
    }

    /**
     * The bearer token every request must carry. Secret: it is written to the kubeconfig (0600)
     * and must never be logged.
     */
    public String token() {
        return token;
    }

    /** The HTTPS address kubectl uses (its certificate: {@link #certificatePem()}). */
    public String url() {
        return "https://127.0.0.1:" + front.port();
    }

    /** The HTTPS server's self-signed certificate (PEM), for 127.0.0.1 and localhost, made at start. */
    public String certificatePem() {
        return front.certificatePem();
    }

    /**
     * The plain-HTTP server behind the HTTPS one, on a free loopback port: the clients of
     * {@link #newClient()} use it (with the token, which it checks as well).
     */
    public String backendUrl() {
        return "http://127.0.0.1:" + server.getPort();
    }

    /** A kubeconfig for kubectl that points at this server, with its token: write it readable by its owner only. */
    public String kubeconfig() {
        return """
        apiVersion: v1
        kind: Config
        clusters:
        - name: lxd-backup-local
          cluster:
            server: %s
            certificate-authority-data: %s
        users:
        - name: local
          user:
            token: %s
        contexts:
        - name: lxd-backup-local
          context:
            cluster: lxd-backup-local
            user: local
            namespace: default
        current-context: lxd-backup-local
        """.formatted(
                        url(),
                        java.util.Base64.getEncoder()
                                .encodeToString(certificatePem().getBytes(java.nio.charset.StandardCharsets.US_ASCII)),
                        token);
    }

    @Override
    public void close() {
        housekeeping.shutdownNow();
        front.close();
        client.close();
        server.destroy();
    }
}
