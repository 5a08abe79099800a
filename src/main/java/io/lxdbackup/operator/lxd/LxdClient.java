package io.lxdbackup.operator.lxd;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import okhttp3.ConnectionSpec;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okhttp3.TlsVersion;
import okhttp3.WebSocket;
import okhttp3.WebSocketListener;
import okio.BufferedSink;

/**
 * A typed client for the LXD REST API ({@code /1.0}), modelled on LXD's own Go client.
 *
 * <p>One instance holds one connection pool to one server; {@link #inProject(String)} and
 * {@link #onTarget(String)} return views that share it. Every method that changes something
 * returns the {@link Operation} LXD started, which the caller waits for with
 * {@link #waitFor(Operation, Duration, Consumer)}. Options the server does not support are
 * refused with {@link LxdException.NotSupported} before any request is sent.
 *
 * <p>Large transfers (backup download, import) are streamed: neither the whole file nor a
 * temporary copy is ever held by the client.
 */
public final class LxdClient implements LxdApi {
    /** LXD's way of saying "never expires" for snapshots and backups. */
    public static final String NEVER = "0001-01-01T00:00:00Z";

    private static final MediaType JSON = MediaType.get("application/json");
    private static final MediaType OCTET = MediaType.get("application/octet-stream");
    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** TLS sessions kept for resumption: a client talks to one server. */
    static final int SESSION_CACHE_SIZE = 32;
    /**
     * Idle connections kept per server. Reconciles run 50 at a time; with OkHttp's default of 5,
     * a burst of schedule runs opened (and TLS-handshaked) a new connection for most calls.
     */
    static final int IDLE_CONNECTIONS = 16;

    private final LxdEndpoint endpoint;
    private final OkHttpClient http;
    private final OkHttpClient streaming;
    private final HttpUrl base;
    private final PinningTrustManager trustManager;
    private final Shared shared;
    private final ClientProbe probe;

    /** State shared by the project/target views of one connection. */
    private static final class Shared {
        volatile ServerInfo server;
        /** Whether {@code /wait} is served: null until known (tried first), false to poll. */
        volatile Boolean waitEndpoint;
        /** The TLS version and cipher suite of the last handshake, for diagnostics. */
        volatile okhttp3.Handshake lastHandshake;
    }

    private LxdClient(
            LxdEndpoint endpoint,
            OkHttpClient http,
            OkHttpClient streaming,
            HttpUrl base,
            PinningTrustManager trustManager,
            Shared shared,
            ClientProbe probe) {
        this.endpoint = endpoint;
        this.http = http;
        this.streaming = streaming;
        this.base = base;
        this.trustManager = trustManager;
        this.shared = shared;
        this.probe = probe;
    }

    /**
     * Longest a stream (a backup download, an import upload) may go without a byte moving before it
     * is ended as {@link LxdException.Unresponsive}.
     */
    public static final Duration DEFAULT_STREAM_IDLE_TIMEOUT = Duration.ofMinutes(5);

    /** Builds a client. No request is sent until the first call. */
    public static LxdClient create(LxdEndpoint endpoint) {
        return create(endpoint, DEFAULT_STREAM_IDLE_TIMEOUT);
    }

    /**
     * Builds a client whose streams end when no byte moved for {@code streamIdleTimeout}; ordinary
     * calls end after {@link LxdEndpoint#requestTimeout()} (plus 5 s for the whole call).
     */
    public static LxdClient create(LxdEndpoint endpoint, Duration streamIdleTimeout) {
        OkHttpClient.Builder b = new OkHttpClient.Builder()
                .connectTimeout(endpoint.connectTimeout())
                .readTimeout(endpoint.requestTimeout())
                .writeTimeout(endpoint.requestTimeout())
                .callTimeout(endpoint.requestTimeout().plusSeconds(5))
                .retryOnConnectionFailure(true)
                .connectionPool(new okhttp3.ConnectionPool(IDLE_CONNECTIONS, 5, java.util.concurrent.TimeUnit.MINUTES))
                .followRedirects(false);
        HttpUrl base;
        PinningTrustManager tm = null;
        Shared shared = new Shared();
        if (endpoint.isUnix()) {
            // No idle connections kept: before reusing one that sat idle for 10 s for anything but a
            // GET, OkHttp checks it with a 1 ms read, and a unix-socket stream cannot time out a read,
            // so that request hung for ever. Connecting to the local socket costs next to nothing.
            b.connectionPool(new okhttp3.ConnectionPool(0, 1, java.util.concurrent.TimeUnit.SECONDS))
                    .socketFactory(new UnixSocketFactory(Path.of(endpoint.socketPath())))
                    .dns(host -> List.of(java.net.InetAddress.getLoopbackAddress()));
            base = HttpUrl.get("http://lxd/");
        } else {
            String fingerprint = endpoint.pinnedFingerprint();
            if (endpoint.pinnedCertificatePem() != null
                    && !endpoint.pinnedCertificatePem().isBlank()) {
                String pemFingerprint = Certificates.fingerprint(
                        Certificates.parseCertificate(endpoint.pinnedCertificatePem(), "pinned server certificate"));
                if (fingerprint != null
                        && !Certificates.normalizeFingerprint(fingerprint).equals(pemFingerprint)) {
                    throw new IllegalArgumentException("the pinned server certificate (fingerprint " + pemFingerprint
                            + ") and the pinned fingerprint " + Certificates.normalizeFingerprint(fingerprint)
                            + " disagree; set only one of them");
                }
                fingerprint = pemFingerprint;
            }
            tm = new PinningTrustManager(fingerprint, endpoint.insecureSkipVerify());
            SSLContext ssl = sslContext(endpoint.identity(), tm);
            b.sslSocketFactory(ssl.getSocketFactory(), tm)
                    // LXD certificates name the host, not the address we dial; identity is the pin.
                    .hostnameVerifier((host, session) -> true)
                    // TLS 1.3 only: LXD (Go's TLS stack) offers it, and nothing older is negotiated.
                    .connectionSpecs(List.of(new ConnectionSpec.Builder(ConnectionSpec.RESTRICTED_TLS)
                            .tlsVersions(TlsVersion.TLS_1_3)
                            .build()))
                    .eventListener(new okhttp3.EventListener() {
                        @Override
                        public void secureConnectEnd(okhttp3.Call call, okhttp3.Handshake handshake) {
                            if (handshake != null) {
                                shared.lastHandshake = handshake;
                            }
                        }
                    });
            base = HttpUrl.get(endpoint.url());
        }
        OkHttpClient http = b.build();
        // HTTP/1.1 for streams: over HTTP/2 OkHttp reads ahead into memory up to its 16 MiB
        // connection window whenever the consumer is slower than the server (a relay whose upload
        // is slower than its download); HTTP/1.1 leaves the back-pressure to TCP.
        OkHttpClient streaming = http.newBuilder()
                .protocols(List.of(Protocol.HTTP_1_1))
                .callTimeout(Duration.ZERO)
                .readTimeout(streamIdleTimeout)
                .writeTimeout(streamIdleTimeout)
                .pingInterval(Duration.ofSeconds(30))
                .build();
        return new LxdClient(endpoint, http, streaming, base, tm, shared, ClientProbe.NONE);
    }

    private static SSLContext sslContext(Certificates.ClientIdentity identity, PinningTrustManager tm) {
        try {
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            char[] pw = new char[0];
            if (identity != null) {
                ks.setKeyEntry("client", identity.key(), pw, identity.chain().toArray(new Certificate[0]));
            }
            kmf.init(ks, pw);
            SSLContext ctx = SSLContext.getInstance("TLSv1.3");
            ctx.init(kmf.getKeyManagers(), new javax.net.ssl.TrustManager[] {tm}, new SecureRandom());
            // one server per context: the JDK's default cache (20,480 sessions for 24 hours) only grew
            // with every new connection, by a few hundred bytes each (see docs/benchmarks.md)
            ctx.getClientSessionContext().setSessionCacheSize(SESSION_CACHE_SIZE);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new LxdException.TlsFailure(
                    "cannot load the client certificate and key: "
                            + e.getClass().getSimpleName(),
                    null);
        }
    }

    public LxdEndpoint endpoint() {
        return endpoint;
    }

    /** A view of this client whose calls address another project (null = the server default). */
    public LxdClient inProject(String project) {
        if (Objects.equals(project, endpoint.project())) {
            return this;
        }
        return new LxdClient(endpoint.withProject(project), http, streaming, base, trustManager, shared, probe);
    }

    /**
     * What identifies this client's connection: the same object for all views of one client
     * (other projects, other members), a new one when the client is rebuilt.
     */
    public Object connection() {
        return http;
    }

    /** A view of this client whose calls go to one cluster member ({@code ?target=}). */
    public LxdClient onTarget(String target) {
        if (Objects.equals(target, endpoint.target())) {
            return this;
        }
        return new LxdClient(endpoint.withTarget(target), http, streaming, base, trustManager, shared, probe);
    }

    /** A view of this client (same connection, project and member) whose inner steps {@code probe} observes. */
    LxdClient observedBy(ClientProbe probe) {
        return new LxdClient(endpoint, http, streaming, base, trustManager, shared, probe);
    }

    public String project() {
        return endpoint.project() == null || endpoint.project().isEmpty() ? "default" : endpoint.project();
    }

    @Override
    public void close() {
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
    }

    // ---------------------------------------------------------------- server

    /** {@code GET /1.0}, cached after the first successful call. */
    public ServerInfo server() {
        ServerInfo s = shared.server;
        return s != null ? s : refreshServer();
    }

    /** {@code GET /1.0}, always asking the server. */
    public ServerInfo refreshServer() {
        JsonNode md = call("GET", url("1.0"), null).metadata;
        JsonNode env = md.path("environment");
        Set<String> ext = new LinkedHashSet<>();
        md.path("api_extensions").forEach(n -> ext.add(n.asText()));
        List<Integer> versions = new ArrayList<>();
        env.path("backup_metadata_version_range").forEach(n -> versions.add(n.asInt()));
        Map<String, String> config = new LinkedHashMap<>();
        md.path("config")
                .fields()
                .forEachRemaining(e -> config.put(e.getKey(), e.getValue().asText()));
        String certificate = env.path("certificate").asText(null);
        String fingerprint = env.path("certificate_fingerprint").asText(null);
        if (fingerprint == null && trustManager != null) {
            fingerprint = trustManager.lastSeenFingerprint();
        }
        if (certificate == null && trustManager != null && trustManager.lastSeenCertificate() != null) {
            certificate = Certificates.toPem(trustManager.lastSeenCertificate());
        }
        ServerInfo info = new ServerInfo(
                "trusted".equals(md.path("auth").asText()),
                md.path("api_version").asText(null),
                env.path("server_version").asText(null),
                env.path("server_name").asText(null),
                env.path("server_clustered").asBoolean(false),
                certificate,
                fingerprint,
                Set.copyOf(ext),
                Capabilities.from(ext),
                List.copyOf(versions),
                Map.copyOf(config));
        if (info.trusted()) {
            shared.server = info;
        }
        return info;
    }

    /**
     * The server's clock (the {@code Date} header of {@code GET /1.0}, whole seconds). Used to
     * compare with times LXD records, such as a snapshot's {@code created_at}, without trusting
     * the operator's own clock to agree with the server's.
     */
    public Instant serverTime() {
        try (Response resp =
                execute(http, new Request.Builder().url(url("1.0")).get().build())) {
            java.util.Date date = resp.headers().getDate("Date");
            if (!resp.isSuccessful() || date == null) {
                throw errorFrom(resp.code(), readJson(resp));
            }
            return date.toInstant();
        } catch (IOException e) {
            throw transportError(e);
        }
    }

    /**
     * The TLS version ({@code TLSv1.3}) negotiated in this connection's last handshake, or null
     * before the first one and over the unix socket.
     */
    public String negotiatedTlsVersion() {
        okhttp3.Handshake h = shared.lastHandshake;
        return h == null ? null : h.tlsVersion().javaName();
    }

    /** The fingerprint of the certificate the server presented in the last TLS handshake. */
    public String presentedServerFingerprint() {
        return trustManager == null ? null : trustManager.lastSeenFingerprint();
    }

    /**
     * Adds this client's certificate to the server's trust store, like {@code lxc remote add}.
     * {@code secret} is a trust password or a trust token ({@code lxc config trust add}).
     */
    public void trust(String secret, String clientName) {
        Objects.requireNonNull(secret, "secret");
        ObjectNode body = obj().put("type", "client");
        if (clientName != null) {
            body.put("name", clientName);
        }
        String tokenSecret = trustTokenSecret(secret);
        ServerInfo info = refreshServer();
        if (tokenSecret != null && info.hasExtension(Capabilities.EXT_EXPLICIT_TRUST_TOKEN)) {
            body.put("trust_token", secret);
        } else {
            // Servers before explicit_trust_token take the whole token in the password field.
            body.put("password", secret);
        }
        call("POST", url("1.0", "certificates"), body);
        shared.server = null;
    }

    /**
     * Issues a trust token for a new client ({@code lxc config trust add --name}); needs a
     * trusted client. The token is what {@link #trust(String, String)} accepts on the new client.
     */
    public String createTrustToken(String clientName) {
        ObjectNode body = obj().put("type", "client").put("name", clientName).put("token", true);
        Operation op = async(call("POST", url("1.0", "certificates"), body));
        JsonNode md = op == null ? null : op.metadata();
        if (md == null || !md.hasNonNull("secret")) {
            throw new LxdException.ServerError(0, "the server did not return a trust token");
        }
        ObjectNode token = obj().put("client_name", clientName)
                .put("fingerprint", md.path("fingerprint").asText())
                .put("secret", md.path("secret").asText());
        token.set(
                "addresses",
                md.path("addresses").isArray() ? md.path("addresses") : JsonNodeFactory.instance.arrayNode());
        return Base64.getEncoder().encodeToString(token.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The secret inside a trust token, or null when the text is not a token (a password). */
    static String trustTokenSecret(String text) {
        try {
            JsonNode token = MAPPER.readTree(Base64.getDecoder().decode(text.trim()));
            return token.hasNonNull("secret") ? token.get("secret").asText() : null;
        } catch (IllegalArgumentException | IOException e) {
            return null;
        }
    }

    // ---------------------------------------------------------------- projects

    /**
     * Creates a project ({@code POST /1.0/projects}). {@code config} holds its {@code features.*}
     * and limits; features left out take the server's defaults.
     */
    public void createProject(String name, Map<String, String> config) {
        ObjectNode body = obj().put("name", name);
        ObjectNode cfg = body.putObject("config");
        if (config != null) {
            config.forEach(cfg::put);
        }
        call("POST", base.newBuilder().addPathSegments("1.0/projects").build(), body);
    }

    /** Deletes an empty project; LXD refuses one that still holds instances. */
    public void deleteProject(String name) {
        call(
                "DELETE",
                base.newBuilder()
                        .addPathSegments("1.0/projects")
                        .addPathSegment(name)
                        .build(),
                null);
    }

    // ---------------------------------------------------------------- operations

    /**
     * {@code GET /1.0/operations/{id}}. NotFound once LXD has forgotten the operation (about five
     * seconds after it ended); see {@link #waitFor(Operation, Duration, Consumer)} for what then.
     */
    public Operation getOperation(String id) {
        return parseOperation(call("GET", url("1.0", "operations", id), null).metadata);
    }

    /** Every operation the server knows in this project: running ones and those finished in the last seconds. */
    public List<Operation> listOperations() {
        JsonNode md = call(
                        "GET",
                        url("1.0", "operations")
                                .newBuilder()
                                .addQueryParameter("recursion", "1")
                                .build(),
                        null)
                .metadata;
        List<Operation> out = new ArrayList<>();
        md.fields().forEachRemaining(e -> e.getValue().forEach(n -> out.add(parseOperation(n))));
        return out;
    }

    /** Running operations that name the instance among their resources (a copy into it, a backup of it, ...). */
    public List<Operation> runningOperationsOn(String instance) {
        return runningOperationsOn(LxdTarget.instance(instance));
    }

    /** Running operations that name the instance or volume among their resources. */
    public List<Operation> runningOperationsOn(LxdTarget target) {
        List<Operation> out = new ArrayList<>();
        for (Operation op : listOperations()) {
            if (!op.isDone() && target.isNamedBy(op)) {
                out.add(op);
            }
        }
        return out;
    }

    /** Asks LXD to cancel an operation; already finished or forgotten operations are ignored. */
    public void cancelOperation(String id) {
        try {
            call("DELETE", url("1.0", "operations", id), null);
        } catch (LxdException.NotFound | LxdException.BadRequest e) {
            // finished, forgotten, or not cancellable: nothing left to cancel
        }
    }

    /** Waits for an operation to end, without progress reports. */
    public Operation waitFor(Operation op, Duration timeout) {
        return waitFor(op, timeout, null);
    }

    /**
     * Waits for an operation to end. Where the server serves {@code GET /1.0/operations/{id}/wait}
     * the wait is a long poll in slices (short ones when {@code progress} wants the operation's
     * metadata as it changes); otherwise the client polls {@code GET /1.0/operations/{id}} with a
     * backoff from {@value #POLL_FIRST_MS} ms up to {@value #POLL_MAX_MS} ms.
     *
     * <p>Throws {@link LxdException.OperationCancelled} when it was cancelled,
     * {@link LxdException.OperationFailed} when it failed (or {@link LxdException.AlreadyExists}
     * for a name clash, {@link LxdException.BadRequest} for a value LXD refused inside the
     * operation), {@link LxdException.OperationTimeout} when it outlives {@code timeout} (the
     * operation itself goes on), and {@link LxdException.NotFound} when LXD no longer knows it.
     *
     * <p>LXD forgets a finished operation about five seconds after it ends, so NotFound does not
     * say whether it succeeded. A caller that may have missed the end (a restart, a long pause)
     * confirms the outcome from the object the operation was to produce or change (the snapshot,
     * the backup, the copied instance) and repeats the request only when that object is missing.
     */
    public Operation waitFor(Operation op, Duration timeout, Consumer<Operation> progress) {
        if (op == null) {
            return null;
        }
        if (op.isDone()) {
            return checkResult(op);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        Operation current = op;
        long pollMs = POLL_FIRST_MS;
        while (true) {
            long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (remainingMs <= 0) {
                throw new LxdException.OperationTimeout("operation " + op.id() + " (" + op.description()
                        + ") did not finish within " + timeout.toSeconds() + "s");
            }
            if (usesWaitEndpoint()) {
                long slice =
                        Math.max(1, Math.min(TimeUnit.MILLISECONDS.toSeconds(remainingMs), progress == null ? 30 : 1));
                HttpUrl waitUrl = url("1.0", "operations", op.id(), "wait")
                        .newBuilder()
                        .addQueryParameter("timeout", Long.toString(slice))
                        .build();
                try {
                    current = parseOperation(call("GET", waitUrl, null, Duration.ofSeconds(slice + 30)).metadata);
                } catch (LxdException.NotFound e) {
                    ServerInfo info = shared.server;
                    if (info != null && info.capabilities().operationWait()) {
                        throw e;
                    }
                    // Either the operation is gone or this server has no /wait: only GET can tell.
                    current = getOperation(op.id());
                    shared.waitEndpoint = Boolean.FALSE;
                }
            } else {
                sleepMillis(Math.min(pollMs, remainingMs));
                pollMs = Math.min(POLL_MAX_MS, pollMs * 2);
                probe.operationPolled(op.id());
                current = getOperation(op.id());
            }
            if (current.isDone()) {
                return checkResult(current);
            }
            if (progress != null) {
                progress.accept(current);
            }
        }
    }

    static final long POLL_FIRST_MS = 100;
    static final long POLL_MAX_MS = 2000;

    /**
     * Whether to long-poll {@code /wait}. The {@code operation_wait} extension announces it, but
     * servers before that extension (LXD 5.0.2 among them) serve {@code /wait} too, so it is
     * tried until it answers 404 for an operation that GET still finds.
     */
    private boolean usesWaitEndpoint() {
        return !probe.forcePolling() && !Boolean.FALSE.equals(shared.waitEndpoint);
    }

    private static void sleepMillis(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LxdException.OperationTimeout("interrupted while waiting for an LXD operation");
        }
    }

    private Operation checkResult(Operation op) {
        if (op.isSuccess()) {
            return op;
        }
        String err = op.err() == null || op.err().isBlank() ? op.status() : op.err();
        if (op.statusCode() == 401) {
            throw new LxdException.OperationCancelled(
                    op.id(),
                    "operation " + op.id() + " (" + op.description() + ") was cancelled"
                            + (err == null || err.equals(op.status()) ? "" : ": " + err));
        }
        if (err != null && err.toLowerCase().contains("already exists")) {
            throw new LxdException.AlreadyExists(err);
        }
        if (err != null && err.startsWith("Invalid")) {
            // validation done inside the operation (config values, names): the request was wrong
            throw new LxdException.BadRequest(400, err);
        }
        throw new LxdException.OperationFailed(op.id(), err);
    }

    // ---------------------------------------------------------------- instances

    public List<Instance> listInstances() {
        JsonNode md = call(
                        "GET",
                        url("1.0", "instances")
                                .newBuilder()
                                .addQueryParameter("recursion", "1")
                                .build(),
                        null)
                .metadata;
        List<Instance> out = new ArrayList<>();
        md.forEach(n -> out.add(parseInstance((ObjectNode) n, null)));
        return out;
    }

    /**
     * The instances with their snapshots ({@code recursion=2}), read with {@link #snapshotsOf}: one
     * request for the whole project instead of one per instance. LXD adds each instance's state
     * and backups too.
     */
    public List<Instance> listInstancesWithSnapshots() {
        JsonNode md = call(
                        "GET",
                        url("1.0", "instances")
                                .newBuilder()
                                .addQueryParameter("recursion", "2")
                                .build(),
                        null)
                .metadata;
        List<Instance> out = new ArrayList<>();
        md.forEach(n -> out.add(parseInstance((ObjectNode) n, null)));
        return out;
    }

    /**
     * The snapshots of an instance read by {@link #listInstancesWithSnapshots}; null when the
     * instance came from a listing without them.
     */
    public static List<Snapshot> snapshotsOf(Instance instance) {
        if (instance.raw() == null || !instance.raw().has("snapshots")) {
            return null;
        }
        List<Snapshot> out = new ArrayList<>();
        instance.raw().path("snapshots").forEach(n -> out.add(parseSnapshot(n)));
        return out;
    }

    public Instance getInstance(String name) {
        Result r = call("GET", url("1.0", "instances", name), null);
        return parseInstance((ObjectNode) r.metadata, r.etag);
    }

    public boolean instanceExists(String name) {
        try {
            getInstance(name);
            return true;
        } catch (LxdException.NotFound e) {
            return false;
        }
    }

    /** Creates an instance from a local image alias (used by tests and examples). */
    public Operation createInstanceFromImage(String name, String imageAlias, Map<String, String> config) {
        ObjectNode body = obj().put("name", name);
        body.putObject("source").put("type", "image").put("alias", imageAlias);
        ObjectNode cfg = body.putObject("config");
        if (config != null) {
            config.forEach(cfg::put);
        }
        return async(call("POST", url("1.0", "instances"), body));
    }

    /**
     * Copies an instance within this server ({@code lxc copy a b} on one remote). The new
     * instance is not started.
     */
    public Operation copyLocal(String source, String target, boolean instanceOnly) {
        Instance inst = getInstance(source);
        ObjectNode body = obj().put("name", target);
        ObjectNode cfg = body.putObject("config");
        inst.config().forEach((k, v) -> {
            if (!k.startsWith("volatile.") || k.equals("volatile.base_image")) {
                cfg.put(k, v);
            }
        });
        body.set("devices", MAPPER.valueToTree(inst.devices()));
        body.set("profiles", MAPPER.valueToTree(inst.profiles()));
        body.putObject("source")
                .put("type", "copy")
                .put("source", source)
                .put("instance_only", instanceOnly)
                .put("container_only", instanceOnly);
        return async(call("POST", url("1.0", "instances"), body));
    }

    public Operation deleteInstance(String name) {
        return async(call("DELETE", url("1.0", "instances", name), null));
    }

    /** {@code action} is start, stop, restart, freeze or unfreeze. */
    public Operation changeState(String name, String action, boolean force, int timeoutSeconds) {
        ObjectNode body = obj().put("action", action).put("force", force).put("timeout", timeoutSeconds);
        return async(call("PUT", url("1.0", "instances", name, "state"), body));
    }

    /**
     * Runs {@code command} inside the running instance, without a terminal or websockets (LXD
     * records the output in its log files), and returns the exit code.
     */
    public int exec(String instance, List<String> command, Duration timeout) {
        ObjectNode body =
                obj().put("wait-for-websocket", false).put("interactive", false).put("record-output", true);
        body.set("command", MAPPER.valueToTree(command));
        body.putObject("environment");
        Operation done = waitFor(async(call("POST", url("1.0", "instances", instance, "exec"), body)), timeout);
        if (done == null || done.metadata() == null || !done.metadata().has("return")) {
            throw new LxdException.OperationFailed(
                    done == null ? null : done.id(), "exec in " + instance + " returned no exit code");
        }
        return done.metadata().get("return").asInt();
    }

    public Operation renameInstance(String name, String newName) {
        return async(call("POST", url("1.0", "instances", name), obj().put("name", newName)));
    }

    /**
     * Sets and removes single config keys and leaves every other key as it is. The update is
     * guarded by the instance's ETag and retried when someone else changed the instance in
     * between, so concurrent edits of other keys are never lost.
     */
    public void updateInstanceConfig(String name, Map<String, String> set, Set<String> remove) {
        editInstanceConfig(name, config -> new ConfigEdit(set, remove));
    }

    /** Keys to set and to remove; {@code null} maps and sets mean none. */
    public record ConfigEdit(Map<String, String> set, Set<String> remove) {}

    /**
     * Like {@link #updateInstanceConfig}, with the change decided from the instance's config as
     * read for this very write (again after a 412), so a decision about who owns a key can never
     * act on an older state. {@code edit} answers null to write nothing.
     *
     * @return whether a write was made
     */
    public boolean editInstanceConfig(String name, java.util.function.Function<Map<String, String>, ConfigEdit> edit) {
        for (int attempt = 0; ; attempt++) {
            Instance current = getInstance(name);
            ConfigEdit change = edit.apply(current.config());
            if (change == null) {
                return false;
            }
            ObjectNode put = writableInstance(current.raw());
            ObjectNode cfg = (ObjectNode) put.get("config");
            if (change.set() != null) {
                change.set().forEach(cfg::put);
            }
            if (change.remove() != null) {
                change.remove().forEach(cfg::remove);
            }
            probe.beforeConfigWrite(attempt, name);
            if (putIfUnchanged(url("1.0", "instances", name), put, current.etag(), attempt)) {
                return true;
            }
        }
    }

    /**
     * Sets (adds or replaces) instance-local devices, leaving the others as they are; a device of
     * the same name in a profile is overridden by the local one. Guarded by the instance's ETag
     * like {@link #editInstanceConfig}.
     */
    public void setInstanceDevices(String name, Map<String, Map<String, String>> devices) {
        for (int attempt = 0; ; attempt++) {
            Instance current = getInstance(name);
            ObjectNode put = writableInstance(current.raw());
            ObjectNode devs = put.has("devices") && put.get("devices").isObject()
                    ? (ObjectNode) put.get("devices")
                    : put.putObject("devices");
            devices.forEach((device, config) -> {
                ObjectNode d = devs.putObject(device);
                config.forEach(d::put);
            });
            if (putIfUnchanged(url("1.0", "instances", name), put, current.etag(), attempt)) {
                return;
            }
        }
    }

    /**
     * PUTs {@code body} guarded by the {@code etag} it was read with, and waits for the operation.
     *
     * @return false when the object changed since it was read (412: its ETag moved on) and fewer
     *     than five attempts were made: read it again and retry
     */
    private boolean putIfUnchanged(HttpUrl url, ObjectNode body, String etag, int attempt) {
        try {
            Operation op = async(call("PUT", url, body, null, etag));
            if (op != null) {
                waitFor(op, Duration.ofMinutes(2));
            }
            return true;
        } catch (LxdException e) {
            if (e.statusCode() == 412 && attempt < 5) {
                return false;
            }
            throw e;
        }
    }

    private static ObjectNode writableInstance(ObjectNode raw) {
        ObjectNode put = obj();
        for (String f :
                List.of("architecture", "config", "devices", "ephemeral", "profiles", "description", "stateful")) {
            if (raw.has(f)) {
                put.set(f, raw.get(f).deepCopy());
            }
        }
        if (!put.has("config") || !put.get("config").isObject()) {
            put.putObject("config");
        }
        return put;
    }

    // ---------------------------------------------------------------- storage

    public boolean storagePoolExists(String pool) {
        try {
            call("GET", url("1.0", "storage-pools", pool), null);
            return true;
        } catch (LxdException.NotFound e) {
            return false;
        }
    }

    /** The storage driver of a pool ({@code dir}, {@code btrfs}, {@code zfs}, ...). */
    public String storagePoolDriver(String pool) {
        return call("GET", url("1.0", "storage-pools", pool), null)
                .metadata
                .path("driver")
                .asText("");
    }

    /** The volumes of a storage pool in this project, as {@code <type>/<name>} (for example {@code container/web1}). */
    public List<String> listStorageVolumes(String pool) {
        JsonNode md = call("GET", url("1.0", "storage-pools", pool, "volumes"), null).metadata;
        List<String> out = new ArrayList<>();
        String marker = "/storage-pools/" + pool + "/volumes/";
        md.forEach(n -> {
            String u = n.asText();
            int q = u.indexOf('?');
            String path = q < 0 ? u : u.substring(0, q);
            int i = path.indexOf(marker);
            out.add(i < 0 ? path : path.substring(i + marker.length()));
        });
        return out;
    }

    /** {@code GET /1.0/storage-pools/<pool>/volumes/custom/<name>}. */
    public StorageVolume getVolume(String pool, String name) {
        JsonNode n = call("GET", url("1.0", "storage-pools", pool, "volumes", "custom", name), null).metadata;
        return new StorageVolume(
                pool,
                n.path("name").asText(name),
                n.path("content_type").asText("filesystem"),
                n.path("description").asText(""),
                stringMap(n.path("config")),
                strings(n.path("used_by")));
    }

    public boolean volumeExists(String pool, String name) {
        try {
            getVolume(pool, name);
            return true;
        } catch (LxdException.NotFound e) {
            return false;
        }
    }

    /** The custom volumes of a pool in this project (snapshots left out). */
    public List<StorageVolume> listCustomVolumes(String pool) {
        JsonNode md = call(
                        "GET",
                        url("1.0", "storage-pools", pool, "volumes", "custom")
                                .newBuilder()
                                .addQueryParameter("recursion", "1")
                                .build(),
                        null)
                .metadata;
        List<StorageVolume> out = new ArrayList<>();
        md.forEach(n -> {
            if (!n.path("name").asText().contains("/")) {
                out.add(new StorageVolume(
                        pool,
                        n.path("name").asText(),
                        n.path("content_type").asText("filesystem"),
                        n.path("description").asText(""),
                        stringMap(n.path("config")),
                        strings(n.path("used_by"))));
            }
        });
        return out;
    }

    /** Creates an empty custom filesystem volume (used by tests and examples). */
    public void createVolume(String pool, String name, Map<String, String> config) {
        ObjectNode body = obj().put("name", name).put("type", "custom").put("content_type", "filesystem");
        ObjectNode cfg = body.putObject("config");
        if (config != null) {
            config.forEach(cfg::put);
        }
        Operation op = async(call("POST", url("1.0", "storage-pools", pool, "volumes", "custom"), body));
        if (op != null) {
            waitFor(op, Duration.ofMinutes(5));
        }
    }

    /** Renames a custom volume within its pool ({@code lxc storage volume rename}). */
    public Operation renameVolume(String pool, String name, String newName) {
        return async(call(
                "POST",
                url("1.0", "storage-pools", pool, "volumes", "custom", name),
                obj().put("name", newName).put("pool", pool)));
    }

    public Operation deleteVolume(String pool, String name) {
        return async(call("DELETE", url("1.0", "storage-pools", pool, "volumes", "custom", name), null));
    }

    /**
     * Sets and removes single config keys of a custom volume and leaves the others (the
     * volume's {@code snapshots.schedule}, {@code .expiry}, {@code .pattern} in server mode).
     * Guarded by the volume's ETag and retried when someone else changed it in between.
     */
    public void updateVolumeConfig(String pool, String name, Map<String, String> set, Set<String> remove) {
        editVolumeConfig(pool, name, cfg -> new ConfigEdit(set, remove));
    }

    /**
     * Like {@link #updateVolumeConfig}, with the change decided from the volume's config as read
     * for this very write (again after a 412), as {@link #editInstanceConfig} does for instances.
     * {@code edit} answers null to write nothing.
     *
     * @return whether a write was made
     */
    @Override
    public boolean editVolumeConfig(
            String pool, String name, java.util.function.Function<Map<String, String>, ConfigEdit> edit) {
        for (int attempt = 0; ; attempt++) {
            Result cur = call("GET", url("1.0", "storage-pools", pool, "volumes", "custom", name), null);
            ConfigEdit change = edit.apply(stringMap(cur.metadata.path("config")));
            if (change == null) {
                return false;
            }
            ObjectNode put =
                    obj().put("description", cur.metadata.path("description").asText(""));
            ObjectNode cfg = put.putObject("config");
            cur.metadata
                    .path("config")
                    .fields()
                    .forEachRemaining(e -> cfg.put(e.getKey(), e.getValue().asText()));
            if (change.set() != null) {
                change.set().forEach(cfg::put);
            }
            if (change.remove() != null) {
                change.remove().forEach(cfg::remove);
            }
            if (putIfUnchanged(
                    url("1.0", "storage-pools", pool, "volumes", "custom", name), put, cur.etag(), attempt)) {
                return true;
            }
        }
    }

    // ---------------------------------------------------------------- files

    /** Reads a file from an instance (small files; used to verify restores). */
    public byte[] readFile(String instance, String path) {
        HttpUrl u = url("1.0", "instances", instance, "files")
                .newBuilder()
                .addQueryParameter("path", path)
                .build();
        try (Response resp = execute(http, new Request.Builder().url(u).get().build())) {
            if (!resp.isSuccessful()) {
                throw errorFrom(resp.code(), readJson(resp));
            }
            return boundedBody(resp, MAX_FILE_BYTES).toByteArray();
        } catch (IOException e) {
            throw transportError(e);
        }
    }

    public void writeFile(String instance, String path, byte[] content, int mode) {
        HttpUrl u = url("1.0", "instances", instance, "files")
                .newBuilder()
                .addQueryParameter("path", path)
                .build();
        Request req = new Request.Builder()
                .url(u)
                .post(RequestBody.create(content, OCTET))
                .header("X-LXD-type", "file")
                .header("X-LXD-mode", String.format("%04o", mode))
                .header("X-LXD-uid", "0")
                .header("X-LXD-gid", "0")
                .build();
        try (Response resp = execute(http, req)) {
            if (!resp.isSuccessful()) {
                throw errorFrom(resp.code(), readJson(resp));
            }
        } catch (IOException e) {
            throw transportError(e);
        }
    }

    // ---------------------------------------------------------------- snapshots

    /** Options of a new snapshot. {@code name} null = the server's {@code snapshots.pattern}. */
    public record SnapshotRequest(
            String name, boolean stateful, Instant expiresAt, boolean neverExpire, String diskVolumesMode) {
        public static SnapshotRequest named(String name) {
            return new SnapshotRequest(name, false, null, false, null);
        }
    }

    public Operation createSnapshot(String instance, SnapshotRequest req) {
        return createSnapshot(LxdTarget.instance(instance), req);
    }

    public Operation createSnapshot(LxdTarget target, SnapshotRequest req) {
        ServerInfo info = server();
        ObjectNode body = obj();
        if (req.name() != null && !req.name().isEmpty()) {
            body.put("name", req.name());
        }
        if (target instanceof VolumeTarget) {
            info.require(Capabilities.EXT_VOLUME_SNAPSHOTS, "snapshots of custom storage volumes");
            if (req.stateful()) {
                throw new IllegalArgumentException(
                        "a storage volume has no running state: stateful applies to instances only");
            }
            if (req.expiresAt() != null || req.neverExpire()) {
                info.require(Capabilities.EXT_CUSTOM_VOLUME_SNAPSHOT_EXPIRY, "setting the expiry of a volume snapshot");
                body.put(
                        "expires_at",
                        req.neverExpire() ? NEVER : req.expiresAt().toString());
            }
            return async(call("POST", url(target.path("snapshots")), body));
        }
        if (req.stateful()) {
            info.require(Capabilities.EXT_STATEFUL, "stateful snapshots");
            body.put("stateful", true);
        }
        if (req.expiresAt() != null || req.neverExpire()) {
            info.require(Capabilities.EXT_SNAPSHOT_EXPIRY_CREATION, "setting a snapshot expiry at creation");
            body.put("expires_at", req.neverExpire() ? NEVER : req.expiresAt().toString());
        }
        if (req.diskVolumesMode() != null && !req.diskVolumesMode().isEmpty()) {
            // "root" is what every server does anyway; only other modes need the extension
            if (info.hasExtension(Capabilities.EXT_DISK_VOLUMES_MODE)) {
                body.put("disk_volumes_mode", req.diskVolumesMode());
            } else if (!"root".equals(req.diskVolumesMode())) {
                info.require(Capabilities.EXT_DISK_VOLUMES_MODE, "diskVolumesMode " + req.diskVolumesMode());
            }
        }
        return async(call("POST", url(target.path("snapshots")), body));
    }

    public List<Snapshot> listSnapshots(String instance) {
        return listSnapshots(LxdTarget.instance(instance));
    }

    public List<Snapshot> listSnapshots(LxdTarget target) {
        JsonNode md = call(
                        "GET",
                        url(target.path("snapshots"))
                                .newBuilder()
                                .addQueryParameter("recursion", "1")
                                .build(),
                        null)
                .metadata;
        List<Snapshot> out = new ArrayList<>();
        md.forEach(n -> out.add(parseSnapshot(n)));
        return out;
    }

    public Snapshot getSnapshot(String instance, String name) {
        return getSnapshot(LxdTarget.instance(instance), name);
    }

    public Snapshot getSnapshot(LxdTarget target, String name) {
        return parseSnapshot(call("GET", url(target.path("snapshots", name)), null).metadata);
    }

    public boolean snapshotExists(String instance, String name) {
        return snapshotExists(LxdTarget.instance(instance), name);
    }

    public boolean snapshotExists(LxdTarget target, String name) {
        try {
            getSnapshot(target, name);
            return true;
        } catch (LxdException.NotFound e) {
            return false;
        }
    }

    /** Sets a snapshot's expiry; null means never. */
    public Operation updateSnapshotExpiry(String instance, String name, Instant expiresAt) {
        return updateSnapshotExpiry(LxdTarget.instance(instance), name, expiresAt);
    }

    /** Sets a snapshot's expiry; null means never. A volume snapshot keeps its description. */
    public Operation updateSnapshotExpiry(LxdTarget target, String name, Instant expiresAt) {
        ObjectNode body = obj().put("expires_at", expiresAt == null ? NEVER : expiresAt.toString());
        if (target instanceof VolumeTarget) {
            server().require(Capabilities.EXT_CUSTOM_VOLUME_SNAPSHOT_EXPIRY, "the expiry of a volume snapshot");
            JsonNode current = call("GET", url(target.path("snapshots", name)), null).metadata;
            body.put("description", current.path("description").asText(""));
        } else {
            server().require(Capabilities.EXT_SNAPSHOT_EXPIRY, "snapshot expiry");
        }
        return async(call("PUT", url(target.path("snapshots", name)), body));
    }

    public Operation renameSnapshot(String instance, String name, String newName) {
        return async(call("POST", url("1.0", "instances", instance, "snapshots", name), obj().put("name", newName)));
    }

    public Operation deleteSnapshot(String instance, String name) {
        return deleteSnapshot(LxdTarget.instance(instance), name);
    }

    public Operation deleteSnapshot(LxdTarget target, String name) {
        return deleteSnapshot(target, name, null);
    }

    /**
     * Deletes a snapshot; {@code diskVolumesMode} {@code all-exclusive} also deletes the snapshots
     * of the exclusively attached volumes taken with it ({@code lxc delete --disk-volumes}).
     */
    public Operation deleteSnapshot(LxdTarget target, String name, String diskVolumesMode) {
        HttpUrl u = url(target.path("snapshots", name));
        String mode = diskVolumesMode(target, diskVolumesMode, "deleting a snapshot with diskVolumesMode ");
        if (mode != null) {
            u = u.newBuilder().addQueryParameter("disk-volumes", mode).build();
        }
        return async(call("DELETE", u, null));
    }

    /** Restores an instance in place to one of its snapshots. */
    public Operation restoreSnapshot(String instance, String snapshot, boolean stateful) {
        return restoreSnapshot(instance, snapshot, stateful, null);
    }

    /**
     * Restores an instance in place to one of its snapshots; {@code diskVolumesMode}
     * {@code all-exclusive} also restores the exclusively attached volumes from the snapshots
     * taken with it ({@code lxc restore --disk-volumes}).
     */
    public Operation restoreSnapshot(String instance, String snapshot, boolean stateful, String diskVolumesMode) {
        if (stateful) {
            server().require(Capabilities.EXT_STATEFUL, "stateful restore");
        }
        ObjectNode body = obj().put("restore", snapshot).put("stateful", stateful);
        String mode = diskVolumesMode(
                LxdTarget.instance(instance), diskVolumesMode, "restoring a snapshot with diskVolumesMode ");
        if (mode != null) {
            body.put("restore_disk_volumes_mode", mode);
        }
        return async(call("PUT", url("1.0", "instances", instance), body));
    }

    /**
     * The disk volumes mode to send, or null to send none. {@code root} is what every server does
     * anyway, so it is sent only where the extension exists; other modes need it.
     */
    private String diskVolumesMode(LxdTarget target, String mode, String feature) {
        if (mode == null || mode.isEmpty() || target instanceof VolumeTarget) {
            return null;
        }
        ServerInfo info = server();
        if (info.hasExtension(Capabilities.EXT_DISK_VOLUMES_MODE)) {
            return mode;
        }
        if (!"root".equals(mode)) {
            info.require(Capabilities.EXT_DISK_VOLUMES_MODE, feature + mode);
        }
        return null;
    }

    /**
     * Restores a custom volume in place to one of its snapshots ({@code lxc storage volume
     * restore}). LXD takes the restore from a PUT of the volume and leaves its config alone.
     */
    public Operation restoreVolumeSnapshot(VolumeTarget volume, String snapshot) {
        server().require(Capabilities.EXT_VOLUME_SNAPSHOTS, "restoring a volume snapshot");
        StorageVolume current = getVolume(volume.pool(), volume.name());
        ObjectNode body = obj().put("restore", snapshot).put("description", current.description());
        body.set("config", MAPPER.valueToTree(current.config()));
        return async(call("PUT", url(volume.segments()), body));
    }

    // ---------------------------------------------------------------- backups

    /** Options of a new LXD-side backup. Null fields are left to the server. */
    public record BackupRequest(
            String name,
            Instant expiresAt,
            boolean instanceOnly,
            boolean optimizedStorage,
            String compression,
            Integer version) {}

    public Operation createBackup(String instance, BackupRequest req) {
        return createBackup(LxdTarget.instance(instance), req);
    }

    /**
     * Creates an LXD-side backup of an instance or custom volume. For a volume
     * {@code instanceOnly} means "without its snapshots" ({@code volume_only}).
     */
    public Operation createBackup(LxdTarget target, BackupRequest req) {
        ServerInfo info = server();
        ObjectNode body = obj().put("name", req.name()).put("optimized_storage", req.optimizedStorage());
        if (target instanceof VolumeTarget) {
            info.require(Capabilities.EXT_CUSTOM_VOLUME_BACKUP, "exporting a custom storage volume");
            body.put("volume_only", req.instanceOnly());
        } else {
            body.put("instance_only", req.instanceOnly()).put("container_only", req.instanceOnly());
        }
        if (req.expiresAt() != null) {
            body.put("expires_at", req.expiresAt().toString());
        }
        if (req.compression() != null && !req.compression().isEmpty()) {
            info.require(Capabilities.EXT_BACKUP_COMPRESSION_ALGORITHM, "choosing a backup compression algorithm");
            body.put("compression_algorithm", req.compression());
        }
        if (req.version() != null && req.version() > 0) {
            // as lxc export --export-version: a server without backup_metadata_version writes
            // version 1 only, so 1 is asked for by sending nothing, and anything newer is refused
            if (info.hasExtension(Capabilities.EXT_BACKUP_METADATA_VERSION)) {
                body.put("version", req.version());
            } else if (req.version() > 1) {
                info.require(
                        Capabilities.EXT_BACKUP_METADATA_VERSION,
                        "backup format version " + req.version() + " (this server writes version 1 only)");
            }
        }
        return async(call("POST", url(target.path("backups")), body));
    }

    public List<Backup> listBackups(String instance) {
        return listBackups(LxdTarget.instance(instance));
    }

    public List<Backup> listBackups(LxdTarget target) {
        JsonNode md = call(
                        "GET",
                        url(target.path("backups"))
                                .newBuilder()
                                .addQueryParameter("recursion", "1")
                                .build(),
                        null)
                .metadata;
        List<Backup> out = new ArrayList<>();
        md.forEach(n -> out.add(parseBackup(n)));
        return out;
    }

    public Backup getBackup(String instance, String name) {
        return getBackup(LxdTarget.instance(instance), name);
    }

    public Backup getBackup(LxdTarget target, String name) {
        return parseBackup(call("GET", url(target.path("backups", name)), null).metadata);
    }

    public Operation deleteBackup(String instance, String name) {
        return deleteBackup(LxdTarget.instance(instance), name);
    }

    public Operation deleteBackup(LxdTarget target, String name) {
        return async(call("DELETE", url(target.path("backups", name)), null));
    }

    /** An open download; close it to release the connection. */
    public record Download(InputStream stream, long contentLength) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            stream.close();
        }
    }

    /**
     * Opens the backup file as a stream straight from the server's response. The caller reads
     * and closes it; nothing is buffered beyond the socket.
     */
    public Download downloadBackup(String instance, String name) {
        return downloadBackup(LxdTarget.instance(instance), name);
    }

    /** {@link #downloadBackup(String, String)} for an instance or a custom volume. */
    public Download downloadBackup(LxdTarget target, String name) {
        HttpUrl u = url(target.path("backups", name, "export"));
        Response resp = null;
        try {
            resp = execute(streaming, new Request.Builder().url(u).get().build());
            if (!resp.isSuccessful()) {
                LxdException err = errorFrom(resp.code(), readJson(resp));
                resp.close();
                throw err;
            }
            ResponseBody body = resp.body();
            return new Download(new IdleGuard(body.byteStream(), where()), body.contentLength());
        } catch (IOException e) {
            if (resp != null) {
                resp.close();
            }
            throw transportError(e);
        }
    }

    /**
     * A read from LXD that timed out: the stream sent nothing for the client's stream idle timeout
     * (a stalled or trickling server). Recognised by {@link #unresponsive(Throwable)} wherever the
     * reader wraps it.
     */
    public static final class StreamIdle extends SocketTimeoutException {
        public StreamIdle(String message) {
            super(message);
        }
    }

    /** The stream-idle timeout somewhere in {@code t}'s causes, as an {@link LxdException.Unresponsive}. */
    public static java.util.Optional<LxdException.Unresponsive> unresponsive(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof StreamIdle idle) {
                return java.util.Optional.of(new LxdException.Unresponsive(idle.getMessage(), null));
            }
            if (c instanceof LxdException.Unresponsive u) {
                return java.util.Optional.of(u);
            }
        }
        return java.util.Optional.empty();
    }

    /** Names a read timeout of a download as {@link StreamIdle}. */
    private final class IdleGuard extends java.io.FilterInputStream {
        private final String where;

        IdleGuard(InputStream in, String where) {
            super(in);
            this.where = where;
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (SocketTimeoutException e) {
                throw idle();
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (SocketTimeoutException e) {
                throw idle();
            }
        }

        private StreamIdle idle() {
            return new StreamIdle("LXD at " + where + " sent no data for " + streaming.readTimeoutMillis() / 1000
                    + " s while streaming a download (--lxd-stream-idle-timeout)");
        }
    }

    private String where() {
        return endpoint.isUnix() ? endpoint.socketPath() : base.host() + ":" + base.port();
    }

    /** Options of an import ({@code lxc import}). */
    public record ImportRequest(String pool, String name, Map<String, Map<String, String>> devices) {}

    /**
     * Creates an instance from a backup file read from {@code data}, streamed as the request
     * body. {@code length} may be -1 (chunked upload). The stream is read exactly once.
     */
    public Operation importBackup(InputStream data, long length, ImportRequest req) {
        ServerInfo info = server();
        Request.Builder rb = new Request.Builder().url(url("1.0", "instances"));
        if (req.pool() != null && !req.pool().isEmpty()) {
            info.require(Capabilities.EXT_BACKUP_OVERRIDE_POOL, "importing into another storage pool");
            rb.header("X-LXD-pool", req.pool());
        }
        if (req.name() != null && !req.name().isEmpty()) {
            info.require(Capabilities.EXT_BACKUP_OVERRIDE_NAME, "importing under another instance name");
            rb.header("X-LXD-name", req.name());
        }
        if (req.devices() != null && !req.devices().isEmpty()) {
            info.require(Capabilities.EXT_IMPORT_DEVICES, "device overrides on import");
            rb.header("X-LXD-devices", encodeDevices(req.devices()));
        }
        return postStream(rb, data, length);
    }

    /**
     * Creates a custom volume from a volume backup file read from {@code data}
     * ({@code lxc storage volume import}), under {@code name} in {@code pool}. {@code length}
     * may be -1 (chunked upload). The stream is read exactly once.
     */
    public Operation importVolumeBackup(InputStream data, long length, String pool, String name) {
        server().require(Capabilities.EXT_CUSTOM_VOLUME_BACKUP, "importing a custom storage volume");
        Request.Builder rb = new Request.Builder()
                .url(url("1.0", "storage-pools", pool, "volumes", "custom"))
                .header("X-LXD-name", name);
        return postStream(rb, data, length);
    }

    private Operation postStream(Request.Builder rb, InputStream data, long length) {
        // A failure of the source (a checksum mismatch, a broken download) aborts the upload and
        // is reported as such, not as a network problem with LXD.
        IOException[] sourceError = new IOException[1];
        RequestBody body = new RequestBody() {
            @Override
            public MediaType contentType() {
                return OCTET;
            }

            @Override
            public long contentLength() {
                return length;
            }

            @Override
            public boolean isOneShot() {
                return true;
            }

            @Override
            public void writeTo(BufferedSink sink) throws IOException {
                byte[] buf = new byte[64 * 1024];
                while (true) {
                    int n;
                    try {
                        n = data.read(buf);
                    } catch (IOException e) {
                        sourceError[0] = e;
                        throw e;
                    }
                    if (n < 0) {
                        return;
                    }
                    sink.write(buf, 0, n);
                }
            }
        };
        try (Response resp = execute(streaming, rb.post(body).build())) {
            return async(parse(resp));
        } catch (IOException e) {
            if (sourceError[0] != null) {
                throw new LxdException.SourceFailed(sourceError[0]);
            }
            throw transportError(e);
        }
    }

    static String encodeDevices(Map<String, Map<String, String>> devices) {
        StringBuilder outer = new StringBuilder();
        devices.forEach((dev, props) -> {
            StringBuilder inner = new StringBuilder();
            props.forEach((k, v) -> {
                if (inner.length() > 0) {
                    inner.append('&');
                }
                inner.append(form(k)).append('=').append(form(v));
            });
            if (outer.length() > 0) {
                outer.append('&');
            }
            outer.append(form(dev)).append('=').append(form(inner.toString()));
        });
        return outer.toString();
    }

    private static String form(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------- copy

    /**
     * What to copy where, like {@code lxc copy src:name dst:target}. {@code config} holds keys
     * added to the new instance's config on top of the source's (ignored by a refresh of an
     * existing instance, whose config LXD leaves as it is).
     */
    public record CopyRequest(
            String sourceInstance,
            String targetInstance,
            boolean instanceOnly,
            boolean refresh,
            String targetPool,
            Map<String, String> config) {
        public CopyRequest(
                String sourceInstance,
                String targetInstance,
                boolean instanceOnly,
                boolean refresh,
                String targetPool) {
            this(sourceInstance, targetInstance, instanceOnly, refresh, targetPool, Map.of());
        }
    }

    /**
     * Copies an instance from {@code source} into this client's server in pull mode: the source
     * opens a migration operation, this server connects to it with the operation's secrets and
     * pulls the data. With {@code refresh} an existing target is brought up to date and only
     * missing snapshots and changed data travel. The target is never started.
     * Returns the target's operation; the source operation is cancelled if the target refuses.
     */
    public Operation copyFrom(LxdApi source, CopyRequest req) {
        return pullFrom(source, req).target();
    }

    /** The other side of a copy between servers, which needs its address and credentials. */
    private static LxdClient sameKind(LxdApi other, String side) {
        if (other instanceof LxdClient c) {
            return c;
        }
        throw new IllegalArgumentException("a copy between servers needs an LxdClient as the " + side + ", not "
                + other.getClass().getSimpleName());
    }

    /** Both sides of a running copy: the target's operation ends when the copy is complete. */
    public record CopyOperations(Operation source, Operation target) {}

    /**
     * {@link #copyFrom} returning both operations: the source's migration operation can be
     * cancelled ({@link #cancelOperation}) to abort the transfer, which LXD does not allow on
     * the target's side.
     */
    public CopyOperations pullFrom(LxdApi sourceApi, CopyRequest req) {
        LxdClient source = sameKind(sourceApi, "source");
        if (source.endpoint.isUnix()) {
            throw new IllegalArgumentException(
                    "a pull copy needs the source server's HTTPS address, not a unix socket");
        }
        ServerInfo srcInfo = source.server();
        Instance inst = source.getInstance(req.sourceInstance());
        Operation srcOp =
                async(source.call("POST", source.url("1.0", "instances", req.sourceInstance()), migrationSource(req)));
        try {
            ObjectNode body = migrationTarget(inst, req, "pull");
            ObjectNode src = (ObjectNode) body.get("source");
            src.put(
                            "operation",
                            source.base
                                    .newBuilder()
                                    .addPathSegments("1.0/operations/" + srcOp.id())
                                    .build()
                                    .toString())
                    .put("certificate", srcInfo.certificatePem());
            ObjectNode secrets = src.putObject("secrets");
            if (srcOp.metadata() != null) {
                srcOp.metadata()
                        .fields()
                        .forEachRemaining(
                                e -> secrets.put(e.getKey(), e.getValue().asText()));
            }
            if (!source.project().equals("default")) {
                src.put("project", source.project());
            }
            return new CopyOperations(srcOp, async(call("POST", url("1.0", "instances"), body)));
        } catch (RuntimeException e) {
            source.cancelOperation(srcOp.id());
            throw e;
        }
    }

    /**
     * Copies an instance of this client's server to {@code target} in push mode, like
     * {@code lxc copy --mode=push}: the target opens a migration sink, this (source) server
     * connects to it and sends the data, so only the source needs to reach the target. Refresh
     * works as in {@link #copyFrom}: the sink decides which snapshots it still needs.
     * Returns both operations; the target's ends when the sink has everything, and it is the
     * one to cancel. The target operation is cancelled if the source refuses.
     */
    public CopyOperations pushTo(LxdApi targetApi, CopyRequest req) {
        LxdClient target = sameKind(targetApi, "target");
        if (target.endpoint.isUnix()) {
            throw new IllegalArgumentException(
                    "a push copy needs the target server's HTTPS address, not a unix socket");
        }
        ServerInfo targetInfo = target.server();
        Instance inst = getInstance(req.sourceInstance());
        Operation sinkOp =
                target.async(target.call("POST", target.url("1.0", "instances"), migrationTarget(inst, req, "push")));
        try {
            ObjectNode body = migrationSource(req);
            ObjectNode t = body.putObject("target")
                    .put("certificate", targetInfo.certificatePem())
                    .put(
                            "operation",
                            target.base
                                    .newBuilder()
                                    .addPathSegments("1.0/operations/" + sinkOp.id())
                                    .build()
                                    .toString());
            ObjectNode secrets = t.putObject("secrets");
            if (sinkOp.metadata() != null) {
                sinkOp.metadata()
                        .fields()
                        .forEachRemaining(
                                e -> secrets.put(e.getKey(), e.getValue().asText()));
            }
            return new CopyOperations(async(call("POST", url("1.0", "instances", req.sourceInstance()), body)), sinkOp);
        } catch (RuntimeException e) {
            target.cancelOperation(sinkOp.id());
            throw e;
        }
    }

    private static ObjectNode migrationSource(CopyRequest req) {
        return obj().put("migration", true)
                .put("live", false)
                .put("instance_only", req.instanceOnly())
                .put("container_only", req.instanceOnly());
    }

    /** The body of the target's {@code POST /1.0/instances} for a migration in {@code mode}. */
    private static ObjectNode migrationTarget(Instance inst, CopyRequest req, String mode) {
        ObjectNode body = obj().put("name", req.targetInstance())
                .put("type", inst.type())
                .put("architecture", inst.architecture())
                .put("ephemeral", inst.ephemeral());
        ObjectNode cfg = body.putObject("config");
        inst.config().forEach((k, v) -> {
            // Volatile keys describe the source host (MACs, idmaps, power state); the target makes its own.
            if (!k.startsWith("volatile.") || k.equals("volatile.base_image")) {
                cfg.put(k, v);
            }
        });
        if (req.config() != null) {
            req.config().forEach(cfg::put);
        }
        ObjectNode devs = MAPPER.valueToTree(inst.devices());
        if (req.targetPool() != null && !req.targetPool().isEmpty()) {
            ObjectNode root = null;
            for (Map.Entry<String, Map<String, String>> d :
                    inst.expandedDevices().entrySet()) {
                if ("disk".equals(d.getValue().get("type"))
                        && "/".equals(d.getValue().get("path"))) {
                    root = MAPPER.valueToTree(d.getValue());
                    root.put("pool", req.targetPool());
                    devs.set(d.getKey(), root);
                }
            }
            if (root == null) {
                devs.putObject("root").put("type", "disk").put("path", "/").put("pool", req.targetPool());
            }
        }
        body.set("devices", devs);
        body.set("profiles", MAPPER.valueToTree(inst.profiles()));
        ObjectNode src = body.putObject("source")
                .put("type", "migration")
                .put("mode", mode)
                .put("instance_only", req.instanceOnly())
                .put("container_only", req.instanceOnly())
                .put("refresh", req.refresh())
                .put("live", false);
        if (inst.config().get("volatile.base_image") != null) {
            src.put("base-image", inst.config().get("volatile.base_image"));
        }
        return body;
    }

    /**
     * What to copy where for a custom volume, like {@code lxc storage volume copy
     * a:pool/name b:pool/target [--refresh] [--volume-only]}.
     */
    public record VolumeCopyRequest(
            VolumeTarget source, VolumeTarget target, boolean volumeOnly, boolean refresh, Map<String, String> config) {
        public VolumeCopyRequest(VolumeTarget source, VolumeTarget target, boolean volumeOnly, boolean refresh) {
            this(source, target, volumeOnly, refresh, Map.of());
        }
    }

    /**
     * Copies a custom volume from {@code source} into this client's server in pull mode: the
     * source opens a migration operation ({@code POST} on the volume with {@code migration:
     * true}), this server creates the volume from it. With {@code refresh} (extension
     * {@code custom_volume_refresh}) an existing target volume is brought up to date and only
     * missing snapshots travel. Returns both operations; the source's is cancelled if the
     * target refuses.
     */
    public CopyOperations pullVolumeFrom(LxdApi sourceApi, VolumeCopyRequest req) {
        LxdClient source = sameKind(sourceApi, "source");
        if (source.endpoint.isUnix()) {
            throw new IllegalArgumentException(
                    "a pull copy needs the source server's HTTPS address, not a unix socket");
        }
        ServerInfo srcInfo = source.server();
        server().require(Capabilities.EXT_STORAGE_REMOTE_VOLUME_HANDLING, "copying a storage volume between servers");
        if (req.refresh()) {
            server().require(Capabilities.EXT_CUSTOM_VOLUME_REFRESH, "refreshing a copied storage volume");
        }
        StorageVolume vol = source.getVolume(req.source().pool(), req.source().name());
        Operation srcOp = async(source.call(
                "POST",
                source.url(req.source().segments()),
                obj().put("name", req.source().name())
                        .put("pool", req.source().pool())
                        .put("migration", true)
                        .put("volume_only", req.volumeOnly())));
        try {
            ObjectNode body = volumeMigrationTarget(vol, req, "pull");
            ObjectNode src = (ObjectNode) body.get("source");
            src.put(
                            "operation",
                            source.base
                                    .newBuilder()
                                    .addPathSegments("1.0/operations/" + srcOp.id())
                                    .build()
                                    .toString())
                    .put("certificate", srcInfo.certificatePem());
            ObjectNode secrets = src.putObject("secrets");
            if (srcOp.metadata() != null) {
                srcOp.metadata()
                        .fields()
                        .forEachRemaining(
                                e -> secrets.put(e.getKey(), e.getValue().asText()));
            }
            if (!source.project().equals("default")) {
                src.put("project", source.project());
            }
            return new CopyOperations(
                    srcOp,
                    async(call("POST", url("1.0", "storage-pools", req.target().pool(), "volumes", "custom"), body)));
        } catch (RuntimeException e) {
            source.cancelOperation(srcOp.id());
            throw e;
        }
    }

    private static ObjectNode volumeMigrationTarget(StorageVolume vol, VolumeCopyRequest req, String mode) {
        ObjectNode body = obj().put("name", req.target().name())
                .put("type", "custom")
                .put("content_type", vol.contentType())
                .put("description", vol.description());
        ObjectNode cfg = body.putObject("config");
        vol.config().forEach((k, v) -> {
            if (!k.startsWith("volatile.")) {
                cfg.put(k, v);
            }
        });
        if (req.config() != null) {
            req.config().forEach(cfg::put);
        }
        body.putObject("source")
                .put("type", "migration")
                .put("mode", mode)
                .put("name", req.source().name())
                .put("pool", req.source().pool())
                .put("volume_only", req.volumeOnly())
                .put("refresh", req.refresh());
        return body;
    }

    // ---------------------------------------------------------------- events

    /** A running event subscription; close it to stop. */
    public interface EventSubscription extends AutoCloseable {
        /**
         * Waits until the websocket is open. Returns false when it failed to open (the failure
         * went to {@code onClose}) or did not open within {@code timeout}. LXD registers the
         * listener as it accepts the websocket, so events of actions started after this returned
         * true are delivered.
         */
        boolean awaitOpen(Duration timeout) throws InterruptedException;

        @Override
        void close();
    }

    /**
     * Subscribes to {@code /1.0/events} over a websocket. {@code types} filters by event type
     * (lifecycle, operation, logging); {@code onClose} receives the failure, or null on a clean close.
     */
    public EventSubscription events(Set<String> types, Consumer<LxdEvent> onEvent, Consumer<Throwable> onClose) {
        HttpUrl.Builder ub = url("1.0", "events").newBuilder();
        if (types != null && !types.isEmpty()) {
            ub.addQueryParameter("type", String.join(",", types));
        }
        Request req = new Request.Builder().url(ub.build()).build();
        java.util.concurrent.CountDownLatch settled = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean opened = new java.util.concurrent.atomic.AtomicBoolean();
        WebSocket ws = streaming.newWebSocket(req, new WebSocketListener() {
            @Override
            public void onOpen(WebSocket webSocket, Response response) {
                opened.set(true);
                settled.countDown();
            }

            @Override
            public void onMessage(WebSocket webSocket, String text) {
                try {
                    JsonNode n = MAPPER.readTree(text);
                    onEvent.accept(new LxdEvent(
                            n.path("type").asText(),
                            time(n.path("timestamp").asText(null)),
                            n.path("location").asText(null),
                            n.path("project").asText(null),
                            n.path("metadata")));
                } catch (JsonProcessingException e) {
                    // a message we cannot parse is skipped; the stream goes on
                }
            }

            @Override
            public void onFailure(WebSocket webSocket, Throwable t, Response response) {
                settled.countDown();
                if (onClose == null) {
                    return;
                }
                if (!opened.get() && response != null && response.code() != 101) {
                    // refused before the upgrade (untrusted, unknown project): LXD's own answer
                    JsonNode n;
                    try {
                        n = readJson(response);
                    } catch (IOException | IllegalStateException e) {
                        n = obj();
                    }
                    onClose.accept(errorFrom(response.code(), n));
                    return;
                }
                onClose.accept(t instanceof IOException io ? transportError(io) : t);
            }

            @Override
            public void onClosed(WebSocket webSocket, int code, String reason) {
                if (onClose != null) {
                    onClose.accept(null);
                }
            }
        });
        return new EventSubscription() {
            @Override
            public boolean awaitOpen(Duration timeout) throws InterruptedException {
                return settled.await(timeout.toMillis(), TimeUnit.MILLISECONDS) && opened.get();
            }

            @Override
            public void close() {
                ws.close(1000, "done");
            }
        };
    }

    // ---------------------------------------------------------------- transport

    /** One parsed LXD response envelope. */
    private record Result(String type, int statusCode, JsonNode metadata, String operationUrl, String etag) {}

    HttpUrl url(String... segments) {
        HttpUrl.Builder b = base.newBuilder();
        for (String s : segments) {
            b.addPathSegment(s);
        }
        if (endpoint.project() != null && !endpoint.project().isEmpty()) {
            b.addQueryParameter("project", endpoint.project());
        }
        if (endpoint.target() != null && !endpoint.target().isEmpty()) {
            b.addQueryParameter("target", endpoint.target());
        }
        return b.build();
    }

    private Result call(String method, HttpUrl u, JsonNode body) {
        return call(method, u, body, null, null);
    }

    private Result call(String method, HttpUrl u, JsonNode body, Duration timeout) {
        return call(method, u, body, timeout, null);
    }

    private Result call(String method, HttpUrl u, JsonNode body, Duration timeout, String ifMatch) {
        RequestBody rb = null;
        if (body != null) {
            rb = RequestBody.create(body.toString(), JSON);
        } else if (method.equals("POST") || method.equals("PUT") || method.equals("PATCH")) {
            rb = RequestBody.create("{}", JSON);
        }
        Request.Builder req = new Request.Builder().url(u).method(method, rb);
        if (ifMatch != null) {
            req.header("If-Match", ifMatch);
        }
        OkHttpClient client = http;
        if (timeout != null) {
            client = http.newBuilder()
                    .readTimeout(timeout)
                    .callTimeout(timeout.plusSeconds(5))
                    .build();
        }
        try (Response resp = execute(client, req.build())) {
            return parse(resp);
        } catch (IOException e) {
            throw transportError(e);
        }
    }

    private Response execute(OkHttpClient client, Request req) throws IOException {
        RunningCall running = new RunningCall();
        okhttp3.Call call =
                client.newCall(req.newBuilder().tag(RunningCall.class, running).build());
        running.call = call;
        return call.execute();
    }

    /**
     * The call behind a response (a request tag), so that an answer refused as too large is cut
     * off: closing it would otherwise read on for a while to reuse the connection.
     */
    private static final class RunningCall {
        volatile okhttp3.Call call;
    }

    private static LxdException.ResponseTooLarge tooLarge(Response resp, long declared, long max) {
        RunningCall running = resp.request().tag(RunningCall.class);
        if (running != null && running.call != null) {
            running.call.cancel();
        }
        return new LxdException.ResponseTooLarge(
                resp.request().method() + " " + resp.request().url().encodedPath(), declared, max);
    }

    private Result parse(Response resp) throws IOException {
        JsonNode n = readJson(resp);
        if (!resp.isSuccessful() || "error".equals(n.path("type").asText())) {
            throw errorFrom(resp.code(), n);
        }
        return new Result(
                n.path("type").asText(),
                n.path("status_code").asInt(resp.code()),
                n.path("metadata"),
                n.path("operation").asText(null),
                resp.header("ETag"));
    }

    /**
     * Longest JSON answer read from LXD. Every non-streaming answer is read whole into memory: a
     * server answering without end, or with a huge body, must not exhaust the heap every tenant's
     * work shares. The largest real answers (recursive instance or snapshot lists) stay far below.
     */
    public static final long MAX_RESPONSE_BYTES = 16L * 1024 * 1024;

    /** Largest file {@link #readFile} reads whole into memory. */
    public static final long MAX_FILE_BYTES = 256L * 1024 * 1024;

    private static JsonNode readJson(Response resp) throws IOException {
        String text = boundedBody(resp, MAX_RESPONSE_BYTES).utf8();
        try {
            return text.isEmpty() ? obj() : MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            // Not JSON: keep only the status line; bodies can be large or contain anything.
            return obj().put("type", "error")
                    .put("error_code", resp.code())
                    .put("error", "unexpected non-JSON answer (HTTP " + resp.code() + ")");
        }
    }

    /** The body, refused once it exceeds {@code max} bytes (whatever Content-Length claims). */
    static okio.ByteString boundedBody(Response resp, long max) throws IOException {
        ResponseBody body = resp.body();
        long declared = body.contentLength();
        if (declared > max) {
            throw tooLarge(resp, declared, max);
        }
        okio.BufferedSource source = body.source();
        if (source.request(max + 1)) {
            throw tooLarge(resp, -1, max);
        }
        return source.readByteString();
    }

    private static LxdException errorFrom(int httpCode, JsonNode n) {
        int code = n.path("error_code").asInt(httpCode);
        String msg = n.path("error").asText("");
        if (msg.isEmpty()) {
            msg = "HTTP " + code;
        }
        String lower = msg.toLowerCase();
        if (code == 404 || lower.equals("not found")) {
            return new LxdException.NotFound(msg);
        }
        if (code == 409 || lower.contains("already exists")) {
            return new LxdException.AlreadyExists(msg);
        }
        if (code == 403 || code == 401) {
            return new LxdException.Forbidden(msg);
        }
        if (code >= 500) {
            return new LxdException.ServerError(code, msg);
        }
        return new LxdException.BadRequest(code, msg);
    }

    private LxdException transportError(IOException e) {
        Throwable cause = e;
        while (cause != null) {
            if (cause instanceof PinningTrustManager.FingerprintMismatch m) {
                return new LxdException.CertificateMismatch(m.expected, m.actual);
            }
            cause = cause.getCause();
        }
        String where = endpoint.isUnix() ? endpoint.socketPath() : base.host() + ":" + base.port();
        if (e instanceof SSLHandshakeException || e instanceof SSLPeerUnverifiedException) {
            String seen = trustManager == null ? null : trustManager.lastSeenFingerprint();
            String root = rootMessage(e);
            String hint = root.contains("protocol_version") || root.contains("No appropriate protocol")
                    ? "; this client speaks TLS 1.3 only, which the server must offer"
                    : "";
            return new LxdException.TlsFailure(
                    "TLS handshake with " + where + " failed: " + root
                            + (seen != null ? " (server certificate fingerprint " + seen + ")" : "") + hint,
                    null);
        }
        if (e instanceof SSLException) {
            return new LxdException.TlsFailure("TLS error talking to " + where + ": " + rootMessage(e), null);
        }
        if (e instanceof StreamIdle idle) {
            return new LxdException.Unresponsive(idle.getMessage(), null);
        }
        if (timedOut(e)) {
            return new LxdException.Unresponsive(
                    "LXD at " + where + " accepted the connection but did not answer in time"
                            + " (--lxd-request-timeout "
                            + endpoint.requestTimeout().toSeconds()
                            + " s for a call, --lxd-stream-idle-timeout " + streaming.readTimeoutMillis() / 1000
                            + " s without data for a stream)",
                    null);
        }
        if (e instanceof ConnectException
                || e instanceof UnknownHostException
                || e instanceof NoRouteToHostException
                || e instanceof SocketTimeoutException
                || e instanceof InterruptedIOException
                || e instanceof java.net.SocketException
                || e instanceof java.io.EOFException) {
            return new LxdException.Unreachable("cannot reach LXD at " + where + ": " + rootMessage(e), null);
        }
        return new LxdException.Unreachable("I/O error talking to LXD at " + where + ": " + rootMessage(e), null);
    }

    /**
     * A read or whole-call deadline that passed on an open connection (not a connect timeout: a
     * server that cannot be reached is another matter). OkHttp reports the call deadline as an
     * {@link InterruptedIOException} "timeout", a read deadline as a {@link SocketTimeoutException}.
     */
    static boolean timedOut(IOException e) {
        String m = e.getMessage() == null ? "" : e.getMessage().toLowerCase(java.util.Locale.ROOT);
        if (m.contains("connect")) {
            return false;
        }
        return e instanceof SocketTimeoutException
                || (e instanceof InterruptedIOException
                        && !(e instanceof java.nio.channels.ClosedByInterruptException)
                        && m.contains("timeout"))
                || (e.getCause() instanceof SocketTimeoutException s
                        && !String.valueOf(s.getMessage())
                                .toLowerCase(java.util.Locale.ROOT)
                                .contains("connect"));
    }

    private static String rootMessage(Throwable t) {
        Throwable r = t;
        while (r.getCause() != null && r.getCause() != r) {
            r = r.getCause();
        }
        String m = r.getMessage();
        return r.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    private Operation async(Result r) {
        if (!"async".equals(r.type())) {
            return null;
        }
        return parseOperation(r.metadata());
    }

    // ---------------------------------------------------------------- parsing

    private static Operation parseOperation(JsonNode n) {
        Map<String, List<String>> resources = new LinkedHashMap<>();
        n.path("resources").fields().forEachRemaining(e -> {
            List<String> l = new ArrayList<>();
            e.getValue().forEach(v -> l.add(v.asText()));
            resources.put(e.getKey(), l);
        });
        return new Operation(
                n.path("id").asText(),
                n.path("class").asText(null),
                n.path("description").asText(null),
                n.path("status").asText(null),
                n.path("status_code").asInt(),
                n.path("err").asText(null),
                n.path("may_cancel").asBoolean(false),
                time(n.path("created_at").asText(null)),
                time(n.path("updated_at").asText(null)),
                resources,
                n.path("metadata").isMissingNode() || n.path("metadata").isNull() ? null : n.path("metadata"));
    }

    private static Instance parseInstance(ObjectNode n, String etag) {
        return new Instance(
                n.path("name").asText(),
                n.path("type").asText("container"),
                n.path("status").asText(null),
                n.path("architecture").asText(null),
                n.path("location").asText(null),
                n.path("project").asText(null),
                time(n.path("created_at").asText(null)),
                n.path("ephemeral").asBoolean(false),
                n.path("stateful").asBoolean(false),
                strings(n.path("profiles")),
                stringMap(n.path("config")),
                stringMap(n.path("expanded_config")),
                deviceMap(n.path("devices")),
                deviceMap(n.path("expanded_devices")),
                etag,
                n);
    }

    private static Snapshot parseSnapshot(JsonNode n) {
        String name = n.path("name").asText();
        int slash = name.lastIndexOf('/');
        return new Snapshot(
                slash >= 0 ? name.substring(slash + 1) : name,
                time(n.path("created_at").asText(null)),
                time(n.path("expires_at").asText(null)),
                n.path("stateful").asBoolean(false),
                n.hasNonNull("size") && n.get("size").asLong() >= 0
                        ? n.get("size").asLong()
                        : null);
    }

    private static Backup parseBackup(JsonNode n) {
        String name = n.path("name").asText();
        int slash = name.lastIndexOf('/');
        return new Backup(
                slash >= 0 ? name.substring(slash + 1) : name,
                time(n.path("created_at").asText(null)),
                time(n.path("expires_at").asText(null)),
                n.path("instance_only")
                        .asBoolean(n.path("container_only")
                                .asBoolean(n.path("volume_only").asBoolean(false))),
                n.path("optimized_storage").asBoolean(false));
    }

    /** Parses LXD's RFC 3339 times; the zero time ({@code 0001-01-01}) means "none" and gives null. */
    static Instant time(String s) {
        if (s == null || s.isEmpty() || s.startsWith("0001-01-01")) {
            return null;
        }
        try {
            return OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static List<String> strings(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.forEach(v -> out.add(v.asText()));
        return out;
    }

    private static Map<String, String> stringMap(JsonNode n) {
        Map<String, String> out = new LinkedHashMap<>();
        n.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    private static Map<String, Map<String, String>> deviceMap(JsonNode n) {
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            out.put(e.getKey(), stringMap(e.getValue()));
        }
        return out;
    }

    private static ObjectNode obj() {
        return JsonNodeFactory.instance.objectNode();
    }

    @Override
    public String toString() {
        return "LxdClient[" + endpoint + "]";
    }
}
