package io.lxdbackup.operator.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.lxdbackup.operator.lxd.Certificates;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A stand-in for an LXD server, for benchmarking the schedule engine without creating
 * thousands of real snapshots: an HTTPS endpoint (self-signed certificate, pinned by
 * fingerprint like a real remote) that answers only the calls a snapshot schedule and its
 * InstanceSnapshot children make: {@code GET /1.0}, the instance list and single instances,
 * snapshot list/get/create/delete. Snapshots are created instantly (the operation is already
 * finished when returned), so what is measured is the operator, not LXD.
 *
 * <p>Not a test double for behaviour: it does not validate requests beyond what it needs.
 */
public final class FakeLxdServer implements AutoCloseable {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final HttpsServer server;
    private final ExecutorService executor;
    private final String fingerprint;
    private final List<String> instances;
    private final Map<String, Map<String, String>> snapshots =
            new ConcurrentHashMap<>(); // instance -> name -> created_at
    private final AtomicLong nextSnapshot = new AtomicLong();
    private final AtomicLong nextOperation = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong created = new AtomicLong();
    private final AtomicLong deleted = new AtomicLong();
    private volatile Consumer<Instant> onSnapshotCreate = t -> {};
    private final Map<String, AtomicLong> calls = new ConcurrentHashMap<>();
    private final java.util.Set<String> snapshotsRead = ConcurrentHashMap.newKeySet();

    public FakeLxdServer(List<String> instanceNames) {
        this.instances = List.copyOf(instanceNames);
        instances.forEach(i -> snapshots.put(i, new ConcurrentHashMap<>()));
        try {
            Certificates.GeneratedIdentity id = Certificates.generate("fake-lxd");
            Certificates.ClientIdentity parsed = Certificates.parseIdentity(id.certificatePem(), id.privateKeyPem());
            fingerprint = parsed.fingerprint();
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("server", parsed.key(), new char[0], parsed.chain().toArray(new Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, new char[0]);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(kmf.getKeyManagers(), null, new SecureRandom());
            server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
            server.setHttpsConfigurator(new HttpsConfigurator(ssl));
        } catch (IOException | java.security.GeneralSecurityException e) {
            throw new IllegalStateException("cannot start the fake LXD server", e);
        }
        executor = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(executor);
        server.createContext("/1.0", this::handle);
        server.start();
    }

    public String url() {
        return "https://127.0.0.1:" + server.getAddress().getPort();
    }

    /** SHA-256 fingerprint of the server certificate, for {@code serverCertificateFingerprint}. */
    public String fingerprint() {
        return fingerprint;
    }

    /** Called with the arrival time of every snapshot-create request. */
    public void onSnapshotCreate(Consumer<Instant> listener) {
        this.onSnapshotCreate = listener;
    }

    public long requests() {
        return requests.get();
    }

    public long snapshotsCreated() {
        return created.get();
    }

    public long snapshotsDeleted() {
        return deleted.get();
    }

    /** A snapshot that exists already (a server with history), created at {@code createdAt}. */
    public void addSnapshot(String instance, String name, Instant createdAt) {
        snapshots.get(instance).put(name, createdAt.toString());
    }

    /** Requests served so far by call ({@code GET /1.0/instances/{i}/snapshots/{s}} and so on). */
    public Map<String, Long> calls() {
        Map<String, Long> out = new java.util.TreeMap<>();
        calls.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    /** How many distinct snapshots were read back (a GET of the snapshot, or a listing of its instance). */
    public int snapshotsRead() {
        return snapshotsRead.size();
    }

    public long snapshotsAlive() {
        return snapshots.values().stream().mapToLong(Map::size).sum();
    }

    private void handle(HttpExchange ex) throws IOException {
        requests.incrementAndGet();
        try (ex) {
            String method = ex.getRequestMethod();
            String[] p = ex.getRequestURI().getRawPath().substring(1).split("/");
            for (int i = 0; i < p.length; i++) {
                p[i] = URLDecoder.decode(p[i], StandardCharsets.UTF_8);
            }
            byte[] body;
            try (InputStream in = ex.getRequestBody()) {
                body = in.readAllBytes();
            }
            // p[0] = "1.0"
            StringBuilder call = new StringBuilder(method).append(' ');
            for (int i = 0; i < p.length; i++) {
                boolean named = p.length > 1 && p[1].equals("instances") && (i == 2 || i == 4);
                call.append('/').append(named ? (i == 2 ? "{instance}" : "{snapshot}") : p[i]);
            }
            calls.computeIfAbsent(call.toString(), k -> new AtomicLong()).incrementAndGet();
            if (p.length == 5 && method.equals("GET") && p[3].equals("snapshots")) {
                snapshotsRead.add(p[2] + "/" + p[4]);
            }
            if (p.length == 1 && method.equals("GET")) {
                sync(ex, serverInfo());
            } else if (p.length == 2 && p[1].equals("instances") && method.equals("GET")) {
                ArrayNode list = MAPPER.createArrayNode();
                instances.forEach(i -> list.add(instance(i)));
                sync(ex, list);
            } else if (p.length == 3 && p[1].equals("instances") && method.equals("GET")) {
                if (!snapshots.containsKey(p[2])) {
                    error(ex, 404, "Instance not found");
                } else {
                    sync(ex, instance(p[2]));
                }
            } else if (p.length >= 4 && p[1].equals("instances") && p[3].equals("snapshots")) {
                snapshotCall(ex, method, p, body);
            } else {
                error(ex, 404, "not found (fake LXD answers only the calls of snapshot schedules)");
            }
        } catch (RuntimeException e) {
            error(ex, 500, e.toString());
        }
    }

    private void snapshotCall(HttpExchange ex, String method, String[] p, byte[] body) throws IOException {
        Map<String, String> snaps = snapshots.get(p[2]);
        if (snaps == null) {
            error(ex, 404, "Instance not found");
            return;
        }
        if (p.length == 4 && method.equals("GET")) {
            ArrayNode list = MAPPER.createArrayNode();
            snaps.forEach((n, t) -> list.add(snapshot(p[2], n, t)));
            // a listing with recursion reads every snapshot back at once
            if (ex.getRequestURI().getRawQuery() != null
                    && ex.getRequestURI().getRawQuery().contains("recursion=1")) {
                snaps.keySet().forEach(n -> snapshotsRead.add(p[2] + "/" + n));
            }
            sync(ex, list);
        } else if (p.length == 4 && method.equals("POST")) {
            onSnapshotCreate.accept(Instant.now());
            JsonNode req = MAPPER.readTree(body.length == 0 ? "{}".getBytes() : body);
            String name = req.path("name").asText("");
            if (name.isEmpty()) {
                name = "snap" + nextSnapshot.getAndIncrement();
            }
            if (snaps.putIfAbsent(name, Instant.now().toString()) != null) {
                error(ex, 409, "Snapshot \"" + name + "\" already exists");
                return;
            }
            created.incrementAndGet();
            operation(ex, p[2], name);
        } else if (p.length == 5 && method.equals("GET")) {
            String t = snaps.get(p[4]);
            if (t == null) {
                error(ex, 404, "Snapshot not found");
            } else {
                sync(ex, snapshot(p[2], p[4], t));
            }
        } else if (p.length == 5 && method.equals("DELETE")) {
            if (snaps.remove(p[4]) == null) {
                error(ex, 404, "Snapshot not found");
            } else {
                deleted.incrementAndGet();
                operation(ex, p[2], p[4]);
            }
        } else {
            error(ex, 404, "not found");
        }
    }

    private ObjectNode serverInfo() {
        ObjectNode md = MAPPER.createObjectNode();
        md.put("auth", "trusted");
        md.put("api_version", "1.0");
        md.putArray("api_extensions").add("snapshot_expiry").add("snapshot_expiry_creation");
        ObjectNode env = md.putObject("environment");
        env.put("server_version", "fake-5.21");
        env.put("server_name", "fake-lxd");
        env.put("server_clustered", false);
        env.put("certificate_fingerprint", fingerprint);
        md.putObject("config");
        return md;
    }

    private static ObjectNode instance(String name) {
        ObjectNode i = MAPPER.createObjectNode();
        i.put("name", name);
        i.put("type", "container");
        i.put("status", "Running");
        i.put("project", "default");
        i.putObject("config");
        i.putObject("expanded_config");
        return i;
    }

    private static ObjectNode snapshot(String instance, String name, String createdAt) {
        ObjectNode s = MAPPER.createObjectNode();
        s.put("name", name);
        s.put("created_at", createdAt);
        s.put("expires_at", "0001-01-01T00:00:00Z");
        s.put("stateful", false);
        s.put("size", 0);
        return s;
    }

    private void operation(HttpExchange ex, String instance, String snapshot) throws IOException {
        String id = "op-" + nextOperation.getAndIncrement();
        ObjectNode op = MAPPER.createObjectNode();
        op.put("id", id);
        op.put("class", "task");
        op.put("status", "Success");
        op.put("status_code", 200);
        op.put("err", "");
        op.put("created_at", Instant.now().toString());
        op.putObject("resources").putArray("instances").add("/1.0/instances/" + instance + "/snapshots/" + snapshot);
        ObjectNode env = MAPPER.createObjectNode();
        env.put("type", "async");
        env.put("status", "Operation created");
        env.put("status_code", 100);
        env.put("operation", "/1.0/operations/" + id);
        env.set("metadata", op);
        send(ex, 202, env);
    }

    private static void sync(HttpExchange ex, JsonNode metadata) throws IOException {
        ObjectNode env = MAPPER.createObjectNode();
        env.put("type", "sync");
        env.put("status", "Success");
        env.put("status_code", 200);
        env.set("metadata", metadata);
        send(ex, 200, env);
    }

    private static void error(HttpExchange ex, int code, String message) throws IOException {
        ObjectNode env = MAPPER.createObjectNode();
        env.put("type", "error");
        env.put("error", message);
        env.put("error_code", code);
        send(ex, code, env);
    }

    private static void send(HttpExchange ex, int code, JsonNode body) throws IOException {
        byte[] bytes = MAPPER.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(code, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    public List<String> instanceNames() {
        return new ArrayList<>(instances);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
