package io.lxdbackup.operator.testing;

import io.lxdbackup.operator.controller.RemoteConnections;
import io.lxdbackup.operator.lxd.Backup;
import io.lxdbackup.operator.lxd.Capabilities;
import io.lxdbackup.operator.lxd.Instance;
import io.lxdbackup.operator.lxd.InstanceTarget;
import io.lxdbackup.operator.lxd.LxdApi;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.lxd.LxdEndpoint;
import io.lxdbackup.operator.lxd.LxdEvent;
import io.lxdbackup.operator.lxd.LxdException;
import io.lxdbackup.operator.lxd.LxdTarget;
import io.lxdbackup.operator.lxd.Operation;
import io.lxdbackup.operator.lxd.ServerInfo;
import io.lxdbackup.operator.lxd.Snapshot;
import io.lxdbackup.operator.lxd.StorageVolume;
import io.lxdbackup.operator.lxd.VolumeTarget;
import java.io.InputStream;
import java.net.ConnectException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * An in-process LXD server behind {@link LxdApi}: no network, no daemon. It keeps instances
 * (config, devices, status), their snapshots (creation time, expiry to the nanosecond, as LXD
 * does) and backups, custom volumes with their snapshots, and finished operations. Every call
 * that changes something takes effect at once and returns a finished operation.
 *
 * <p>Fault switches, by call name (the {@link LxdApi} method name, or {@code "*"} for every
 * call): {@link #failNext} throws a given error for the next N calls, {@link #hang} holds calls
 * until released, {@link #crashBefore}/{@link #crashAfter} throw {@link Crash} (an
 * {@link Error}, so no reconciler catches it) right before or after the call takes effect: the
 * test then builds a fresh reconciler, as a restarted operator would, on the same fake.
 *
 * <p>{@link #inProject} views share the server; {@link #connector()} plugs the fake into
 * {@link RemoteConnections} for every remote.
 */
public final class FakeLxd implements LxdApi {
    /** A simulated operator crash at a named step; deliberately not an {@link Exception}. */
    public static final class Crash extends Error {
        public Crash(String step) {
            super("simulated crash at " + step);
        }
    }

    /** Holds calls until {@link #release}; {@link #awaitHeld} tells that one arrived. */
    public static final class Gate {
        private final CountDownLatch released = new CountDownLatch(1);
        private final CountDownLatch held = new CountDownLatch(1);

        public void release() {
            released.countDown();
        }

        public boolean awaitHeld(Duration timeout) throws InterruptedException {
            return held.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }

        void hold() {
            held.countDown();
            try {
                if (!released.await(5, TimeUnit.MINUTES)) {
                    throw new IllegalStateException("gate never released");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LxdException.Unresponsive("call interrupted while held", e);
            }
        }
    }

    /** What a fault switch throws: the errors {@link LxdClient} raises for the same conditions. */
    public static RuntimeException serverError() {
        return new LxdException.ServerError(500, "Failed to run: fake server error");
    }

    public static RuntimeException notFound() {
        return new LxdException.NotFound("not found");
    }

    public static RuntimeException unreachable() {
        return new LxdException.Unreachable(
                "cannot reach LXD at fake:8443: Connection refused", new ConnectException("Connection refused"));
    }

    public static RuntimeException timeout() {
        return new LxdException.Unresponsive(
                "LXD at fake:8443 did not answer within 30s", new java.net.SocketTimeoutException("timeout"));
    }

    /** What {@link LxdClient} raises when a server answers 200 with a body that is not JSON. */
    public static RuntimeException garbage() {
        return new LxdException.BadRequest(200, "unexpected non-JSON answer (HTTP 200)");
    }

    // ---------------------------------------------------------------- model

    private static final class Snap {
        final String name;
        final Instant createdAt;
        Instant expiresAt;
        final boolean stateful;

        Snap(String name, Instant createdAt, Instant expiresAt, boolean stateful) {
            this.name = name;
            this.createdAt = createdAt;
            this.expiresAt = expiresAt;
            this.stateful = stateful;
        }

        Snapshot view() {
            return new Snapshot(name, createdAt, expiresAt, stateful, 4096L);
        }
    }

    private static final class Inst {
        String name;
        final Instant createdAt;
        String status = "Stopped";
        final Map<String, String> config = new TreeMap<>();
        final Map<String, Map<String, String>> devices = new TreeMap<>();
        final Map<String, Snap> snapshots = new LinkedHashMap<>();
        final Map<String, Backup> backups = new LinkedHashMap<>();
        int version;

        Inst(String name, Instant createdAt) {
            this.name = name;
            this.createdAt = createdAt;
        }
    }

    private static final class Vol {
        final String pool;
        String name;
        final Map<String, String> config = new TreeMap<>();
        final Map<String, Snap> snapshots = new LinkedHashMap<>();

        Vol(String pool, String name) {
            this.pool = pool;
            this.name = name;
        }
    }

    private record Fault(String call, int[] left, Supplier<RuntimeException> error) {}

    private record Step(String call, boolean after) {}

    private static final class Server {
        final Clock clock;
        final Map<String, Map<String, Inst>> instances = new HashMap<>();
        final Map<String, Map<String, Vol>> volumes = new HashMap<>();
        final Map<String, String> pools = new TreeMap<>(Map.of("default", "dir"));
        final Map<String, Operation> operations = new LinkedHashMap<>();
        final Set<String> extensions = new LinkedHashSet<>(List.of(
                Capabilities.EXT_SNAPSHOT_EXPIRY,
                Capabilities.EXT_SNAPSHOT_EXPIRY_CREATION,
                Capabilities.EXT_DISK_VOLUMES_MODE,
                Capabilities.EXT_VOLUME_SNAPSHOTS,
                Capabilities.EXT_CUSTOM_VOLUME_SNAPSHOT_EXPIRY,
                Capabilities.EXT_OPERATION_WAIT));
        final List<Fault> faults = new CopyOnWriteArrayList<>();
        final Map<String, Deque<Gate>> gates = new HashMap<>();
        final Set<Step> crashes = java.util.concurrent.ConcurrentHashMap.newKeySet();
        final List<String> calls = new CopyOnWriteArrayList<>();
        final Map<String, AtomicInteger> counts = new java.util.concurrent.ConcurrentHashMap<>();
        final List<String> trustedClients = new CopyOnWriteArrayList<>();
        volatile String fingerprint = "ab".repeat(32);
        volatile boolean trusted = true;

        Server(Clock clock) {
            this.clock = clock;
        }
    }

    private final Server server;
    private final LxdEndpoint endpoint;

    /** A server on the system clock. */
    public FakeLxd() {
        this(Clock.systemUTC());
    }

    /** A server whose creation times and {@link #serverTime()} come from {@code clock}. */
    public FakeLxd(Clock clock) {
        this(new Server(clock), LxdEndpoint.unix("/fake/lxd/unix.socket"));
    }

    private FakeLxd(Server server, LxdEndpoint endpoint) {
        this.server = server;
        this.endpoint = endpoint;
    }

    /** Plugs this server in for every remote a {@link RemoteConnections} connects to. */
    public RemoteConnections.Connector connector() {
        return (ep, idle) -> new FakeLxd(server, ep);
    }

    // ---------------------------------------------------------------- setup and inspection

    /** Adds a stopped container in the default project. */
    public FakeLxd addInstance(String name) {
        return addInstance(name, Map.of());
    }

    public FakeLxd addInstance(String name, Map<String, String> config) {
        synchronized (server) {
            Inst i = new Inst(name, server.clock.instant());
            i.config.putAll(config);
            i.devices.put("root", Map.of("type", "disk", "path", "/", "pool", "default"));
            instances().put(name, i);
        }
        return this;
    }

    /** Adds a snapshot as if a user (not the operator) had taken it. */
    public FakeLxd addSnapshot(String instance, String name, Instant expiresAt) {
        synchronized (server) {
            inst(instance).snapshots.put(name, new Snap(name, server.clock.instant(), expiresAt, false));
        }
        return this;
    }

    /** Removes a snapshot behind the operator's back (a user, or LXD's expiry). */
    public void removeSnapshot(String instance, String name) {
        synchronized (server) {
            inst(instance).snapshots.remove(name);
        }
    }

    public void removeInstance(String name) {
        synchronized (server) {
            instances().remove(name);
        }
    }

    /** The names of an instance's snapshots, oldest first. */
    public List<String> snapshotNames(String instance) {
        synchronized (server) {
            return List.copyOf(inst(instance).snapshots.keySet());
        }
    }

    /** The server does not trust the client until {@link #trust} enrols it. */
    public FakeLxd untrusted() {
        server.trusted = false;
        return this;
    }

    /** Takes an API extension away (an older server). */
    public FakeLxd withoutExtension(String extension) {
        server.extensions.remove(extension);
        return this;
    }

    /** How many times {@code call} was made (including the ones a fault ended). */
    public int calls(String call) {
        AtomicInteger n = server.counts.get(call);
        return n == null ? 0 : n.get();
    }

    /** Every call made, in order, as method names. */
    public List<String> callLog() {
        return List.copyOf(server.calls);
    }

    /** Client names trusted through {@link #trust}. */
    public List<String> trustedClients() {
        return List.copyOf(server.trustedClients);
    }

    // ---------------------------------------------------------------- fault switches

    /** The next {@code times} calls of {@code call} ({@code "*"}: any) throw {@code error}, changing nothing. */
    public FakeLxd failNext(String call, int times, Supplier<RuntimeException> error) {
        server.faults.add(new Fault(call, new int[] {times}, error));
        return this;
    }

    /** Every call of {@code call} throws {@code error} until {@link #heal()}. */
    public FakeLxd failAlways(String call, Supplier<RuntimeException> error) {
        return failNext(call, Integer.MAX_VALUE, error);
    }

    /** Removes every fault, gate and crash point. */
    public void heal() {
        server.faults.clear();
        server.crashes.clear();
        synchronized (server.gates) {
            server.gates.values().forEach(q -> q.forEach(Gate::release));
            server.gates.clear();
        }
    }

    /** The next call of {@code call} waits, before taking effect, until the gate is released. */
    public Gate hang(String call) {
        Gate g = new Gate();
        synchronized (server.gates) {
            server.gates.computeIfAbsent(call, k -> new ArrayDeque<>()).add(g);
        }
        return g;
    }

    /** The next call of {@code call} throws {@link Crash} before it reaches the server. */
    public FakeLxd crashBefore(String call) {
        server.crashes.add(new Step(call, false));
        return this;
    }

    /** The next call of {@code call} takes effect on the server, then throws {@link Crash} (the answer is lost). */
    public FakeLxd crashAfter(String call) {
        server.crashes.add(new Step(call, true));
        return this;
    }

    private <T> T call(String name, Supplier<T> body) {
        server.calls.add(name);
        server.counts.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
        if (server.crashes.remove(new Step(name, false))) {
            throw new Crash("before " + name);
        }
        for (Fault f : server.faults) {
            if (f.call().equals(name) || f.call().equals("*")) {
                synchronized (f.left()) {
                    if (f.left()[0] > 0) {
                        f.left()[0]--;
                        throw f.error().get();
                    }
                }
            }
        }
        Gate g;
        synchronized (server.gates) {
            Deque<Gate> q = server.gates.get(name);
            g = q == null ? null : q.poll();
        }
        if (g != null) {
            g.hold();
        }
        T result;
        synchronized (server) {
            result = body.get();
        }
        if (server.crashes.remove(new Step(name, true))) {
            throw new Crash("after " + name);
        }
        return result;
    }

    private void run(String name, Runnable body) {
        call(name, () -> {
            body.run();
            return null;
        });
    }

    // ---------------------------------------------------------------- model helpers (under the lock)

    private Map<String, Inst> instances() {
        return server.instances.computeIfAbsent(project(), k -> new LinkedHashMap<>());
    }

    private Map<String, Vol> volumes() {
        return server.volumes.computeIfAbsent(project(), k -> new LinkedHashMap<>());
    }

    private Inst inst(String name) {
        Inst i = instances().get(name);
        if (i == null) {
            throw new LxdException.NotFound("Instance not found");
        }
        return i;
    }

    private Vol vol(String pool, String name) {
        if (!server.pools.containsKey(pool)) {
            throw new LxdException.NotFound("Storage pool not found");
        }
        Vol v = volumes().get(pool + "/" + name);
        if (v == null) {
            throw new LxdException.NotFound("Storage volume not found");
        }
        return v;
    }

    private Map<String, Snap> snapshotsOf(LxdTarget target) {
        return target instanceof VolumeTarget v ? vol(v.pool(), v.name()).snapshots : inst(target.name()).snapshots;
    }

    private Operation done(String description, String resource) {
        Instant now = server.clock.instant();
        Operation op = new Operation(
                UUID.randomUUID().toString(),
                "task",
                description,
                "Success",
                200,
                "",
                false,
                now,
                now,
                resource == null ? Map.of() : Map.of("instances", List.of(resource)),
                null);
        server.operations.put(op.id(), op);
        return op;
    }

    private Instance view(Inst i) {
        Map<String, Map<String, String>> devices = new TreeMap<>();
        i.devices.forEach((k, v) -> devices.put(k, Map.copyOf(v)));
        return new Instance(
                i.name,
                "container",
                i.status,
                "x86_64",
                "none",
                project(),
                i.createdAt,
                false,
                false,
                List.of("default"),
                Map.copyOf(i.config),
                Map.copyOf(i.config),
                devices,
                devices,
                "etag-" + i.version,
                null);
    }

    private static String freeName(Map<String, Snap> snaps, String pattern) {
        for (int n = 0; ; n++) {
            String candidate = pattern.replace("%d", Integer.toString(n));
            if (!snaps.containsKey(candidate)) {
                return candidate;
            }
        }
    }

    // ---------------------------------------------------------------- LxdApi: connection

    @Override
    public LxdEndpoint endpoint() {
        return endpoint;
    }

    @Override
    public LxdApi inProject(String project) {
        return Objects.equals(project, endpoint.project()) ? this : new FakeLxd(server, endpoint.withProject(project));
    }

    @Override
    public Object connection() {
        return server;
    }

    @Override
    public String project() {
        return endpoint.project() == null || endpoint.project().isEmpty() ? "default" : endpoint.project();
    }

    @Override
    public void close() {}

    @Override
    public ServerInfo server() {
        return call("server", this::info);
    }

    @Override
    public ServerInfo refreshServer() {
        return call("refreshServer", this::info);
    }

    private ServerInfo info() {
        return new ServerInfo(
                server.trusted,
                "1.0",
                "5.21.0",
                "fake",
                false,
                null,
                server.fingerprint,
                Set.copyOf(server.extensions),
                Capabilities.from(server.extensions),
                List.of(1, 2),
                Map.of());
    }

    @Override
    public Instant serverTime() {
        return call("serverTime", server.clock::instant);
    }

    @Override
    public String presentedServerFingerprint() {
        return server.fingerprint;
    }

    @Override
    public void trust(String secret, String clientName) {
        run("trust", () -> {
            server.trustedClients.add(clientName);
            server.trusted = true;
        });
    }

    // ---------------------------------------------------------------- operations

    @Override
    public Operation getOperation(String id) {
        return call("getOperation", () -> {
            Operation op = server.operations.get(id);
            if (op == null) {
                throw new LxdException.NotFound("Operation not found");
            }
            return op;
        });
    }

    @Override
    public List<Operation> listOperations() {
        return call("listOperations", () -> List.copyOf(server.operations.values()));
    }

    @Override
    public List<Operation> runningOperationsOn(String instance) {
        return runningOperationsOn(new InstanceTarget(instance));
    }

    @Override
    public List<Operation> runningOperationsOn(LxdTarget target) {
        return call(
                "runningOperationsOn",
                () -> server.operations.values().stream()
                        .filter(o -> !o.isDone() && target.isNamedBy(o))
                        .toList());
    }

    @Override
    public void cancelOperation(String id) {
        run("cancelOperation", () -> {});
    }

    @Override
    public Operation waitFor(Operation op, Duration timeout) {
        return waitFor(op, timeout, null);
    }

    @Override
    public Operation waitFor(Operation op, Duration timeout, Consumer<Operation> progress) {
        return call("waitFor", () -> op);
    }

    // ---------------------------------------------------------------- instances

    @Override
    public List<Instance> listInstances() {
        return call(
                "listInstances",
                () -> instances().values().stream().map(this::view).toList());
    }

    @Override
    public List<Instance> listInstancesWithSnapshots() {
        return call(
                "listInstancesWithSnapshots",
                () -> instances().values().stream().map(this::view).toList());
    }

    @Override
    public Instance getInstance(String name) {
        return call("getInstance", () -> view(inst(name)));
    }

    @Override
    public boolean instanceExists(String name) {
        return call("instanceExists", () -> instances().containsKey(name));
    }

    @Override
    public Operation copyLocal(String source, String target, boolean instanceOnly) {
        return call("copyLocal", () -> {
            Inst s = inst(source);
            if (instances().containsKey(target)) {
                throw new LxdException.AlreadyExists("Instance \"" + target + "\" already exists");
            }
            Inst t = new Inst(target, server.clock.instant());
            t.config.putAll(s.config);
            t.devices.putAll(s.devices);
            if (!instanceOnly) {
                s.snapshots.forEach((k, v) -> t.snapshots.put(k, new Snap(k, v.createdAt, v.expiresAt, v.stateful)));
            }
            instances().put(target, t);
            return done("Creating instance", "/1.0/instances/" + target);
        });
    }

    @Override
    public Operation deleteInstance(String name) {
        return call("deleteInstance", () -> {
            inst(name);
            instances().remove(name);
            return done("Deleting instance", "/1.0/instances/" + name);
        });
    }

    @Override
    public Operation changeState(String name, String action, boolean force, int timeoutSeconds) {
        return call("changeState", () -> {
            Inst i = inst(name);
            i.status = switch (action) {
                case "start", "restart", "unfreeze" -> "Running";
                case "freeze" -> "Frozen";
                default -> "Stopped";
            };
            return done("Updating instance state", "/1.0/instances/" + name);
        });
    }

    @Override
    public int exec(String instance, List<String> command, Duration timeout) {
        throw new UnsupportedOperationException("FakeLxd runs no commands");
    }

    @Override
    public Operation renameInstance(String name, String newName) {
        return call("renameInstance", () -> {
            Inst i = inst(name);
            if (instances().containsKey(newName)) {
                throw new LxdException.AlreadyExists("Instance \"" + newName + "\" already exists");
            }
            instances().remove(name);
            i.name = newName;
            instances().put(newName, i);
            return done("Renaming instance", "/1.0/instances/" + newName);
        });
    }

    @Override
    public void updateInstanceConfig(String name, Map<String, String> set, Set<String> remove) {
        run("updateInstanceConfig", () -> {
            Inst i = inst(name);
            if (set != null) {
                i.config.putAll(set);
            }
            if (remove != null) {
                remove.forEach(i.config::remove);
            }
            i.version++;
        });
    }

    @Override
    public boolean editInstanceConfig(String name, Function<Map<String, String>, LxdClient.ConfigEdit> edit) {
        return call("editInstanceConfig", () -> {
            Inst i = inst(name);
            LxdClient.ConfigEdit change = edit.apply(Map.copyOf(i.config));
            if (change == null) {
                return false;
            }
            if (change.set() != null) {
                i.config.putAll(change.set());
            }
            if (change.remove() != null) {
                change.remove().forEach(i.config::remove);
            }
            i.version++;
            return true;
        });
    }

    @Override
    public void setInstanceDevices(String name, Map<String, Map<String, String>> devices) {
        run("setInstanceDevices", () -> {
            Inst i = inst(name);
            i.devices.clear();
            i.devices.putAll(devices);
            i.version++;
        });
    }

    // ---------------------------------------------------------------- storage

    @Override
    public boolean storagePoolExists(String pool) {
        return call("storagePoolExists", () -> server.pools.containsKey(pool));
    }

    @Override
    public String storagePoolDriver(String pool) {
        return call("storagePoolDriver", () -> {
            String d = server.pools.get(pool);
            if (d == null) {
                throw new LxdException.NotFound("Storage pool not found");
            }
            return d;
        });
    }

    @Override
    public List<String> listStorageVolumes(String pool) {
        return call(
                "listStorageVolumes",
                () -> volumes().values().stream()
                        .filter(v -> v.pool.equals(pool))
                        .map(v -> "/1.0/storage-pools/" + pool + "/volumes/custom/" + v.name)
                        .toList());
    }

    @Override
    public StorageVolume getVolume(String pool, String name) {
        return call("getVolume", () -> volumeView(vol(pool, name)));
    }

    private StorageVolume volumeView(Vol v) {
        return new StorageVolume(v.pool, v.name, "filesystem", "", Map.copyOf(v.config), List.of());
    }

    @Override
    public boolean volumeExists(String pool, String name) {
        return call("volumeExists", () -> volumes().containsKey(pool + "/" + name));
    }

    @Override
    public List<StorageVolume> listCustomVolumes(String pool) {
        return call(
                "listCustomVolumes",
                () -> volumes().values().stream()
                        .filter(v -> v.pool.equals(pool))
                        .map(this::volumeView)
                        .toList());
    }

    @Override
    public void createVolume(String pool, String name, Map<String, String> config) {
        run("createVolume", () -> {
            if (!server.pools.containsKey(pool)) {
                throw new LxdException.NotFound("Storage pool not found");
            }
            if (volumes().containsKey(pool + "/" + name)) {
                throw new LxdException.AlreadyExists("Volume by that name already exists");
            }
            Vol v = new Vol(pool, name);
            if (config != null) {
                v.config.putAll(config);
            }
            volumes().put(pool + "/" + name, v);
        });
    }

    @Override
    public Operation renameVolume(String pool, String name, String newName) {
        return call("renameVolume", () -> {
            Vol v = vol(pool, name);
            volumes().remove(pool + "/" + name);
            v.name = newName;
            volumes().put(pool + "/" + newName, v);
            return done("Renaming storage volume", null);
        });
    }

    @Override
    public Operation deleteVolume(String pool, String name) {
        return call("deleteVolume", () -> {
            vol(pool, name);
            volumes().remove(pool + "/" + name);
            return done("Deleting storage volume", null);
        });
    }

    @Override
    public void updateVolumeConfig(String pool, String name, Map<String, String> set, Set<String> remove) {
        run("updateVolumeConfig", () -> {
            Vol v = vol(pool, name);
            if (set != null) {
                v.config.putAll(set);
            }
            if (remove != null) {
                remove.forEach(v.config::remove);
            }
        });
    }

    @Override
    public boolean editVolumeConfig(
            String pool, String name, Function<Map<String, String>, LxdClient.ConfigEdit> edit) {
        return call("editVolumeConfig", () -> {
            Vol v = vol(pool, name);
            LxdClient.ConfigEdit change = edit.apply(Map.copyOf(v.config));
            if (change == null) {
                return false;
            }
            if (change.set() != null) {
                v.config.putAll(change.set());
            }
            if (change.remove() != null) {
                change.remove().forEach(v.config::remove);
            }
            return true;
        });
    }

    // ---------------------------------------------------------------- snapshots

    @Override
    public Operation createSnapshot(String instance, LxdClient.SnapshotRequest req) {
        return createSnapshot(new InstanceTarget(instance), req);
    }

    @Override
    public Operation createSnapshot(LxdTarget target, LxdClient.SnapshotRequest req) {
        return call("createSnapshot", () -> {
            Map<String, Snap> snaps = snapshotsOf(target);
            String name = req.name();
            if (name == null) {
                String pattern = target instanceof VolumeTarget
                        ? "snap%d"
                        : inst(target.name()).config.getOrDefault("snapshots.pattern", "snap%d");
                name = freeName(snaps, pattern);
            }
            if (snaps.containsKey(name)) {
                throw new LxdException.AlreadyExists("Snapshot \"" + name + "\" already exists");
            }
            Instant now = server.clock.instant();
            Instant expires = req.neverExpire() ? null : req.expiresAt();
            snaps.put(name, new Snap(name, now, expires, req.stateful()));
            return done(target.snapshotCreateDescription(), "/1.0/instances/" + target.name());
        });
    }

    @Override
    public List<Snapshot> listSnapshots(String instance) {
        return listSnapshots(new InstanceTarget(instance));
    }

    @Override
    public List<Snapshot> listSnapshots(LxdTarget target) {
        return call(
                "listSnapshots",
                () -> snapshotsOf(target).values().stream().map(Snap::view).toList());
    }

    @Override
    public Snapshot getSnapshot(String instance, String name) {
        return getSnapshot(new InstanceTarget(instance), name);
    }

    @Override
    public Snapshot getSnapshot(LxdTarget target, String name) {
        return call("getSnapshot", () -> {
            Snap s = snapshotsOf(target).get(name);
            if (s == null) {
                throw new LxdException.NotFound("Snapshot not found");
            }
            return s.view();
        });
    }

    @Override
    public boolean snapshotExists(String instance, String name) {
        return snapshotExists(new InstanceTarget(instance), name);
    }

    @Override
    public boolean snapshotExists(LxdTarget target, String name) {
        return call("snapshotExists", () -> snapshotsOf(target).containsKey(name));
    }

    @Override
    public Operation updateSnapshotExpiry(String instance, String name, Instant expiresAt) {
        return updateSnapshotExpiry(new InstanceTarget(instance), name, expiresAt);
    }

    @Override
    public Operation updateSnapshotExpiry(LxdTarget target, String name, Instant expiresAt) {
        return call("updateSnapshotExpiry", () -> {
            Snap s = snapshotsOf(target).get(name);
            if (s == null) {
                throw new LxdException.NotFound("Snapshot not found");
            }
            s.expiresAt = expiresAt;
            return done("Updating snapshot", "/1.0/instances/" + target.name());
        });
    }

    @Override
    public Operation deleteSnapshot(String instance, String name) {
        return deleteSnapshot(new InstanceTarget(instance), name);
    }

    @Override
    public Operation deleteSnapshot(LxdTarget target, String name) {
        return deleteSnapshot(target, name, null);
    }

    @Override
    public Operation deleteSnapshot(LxdTarget target, String name, String diskVolumesMode) {
        return call("deleteSnapshot", () -> {
            if (snapshotsOf(target).remove(name) == null) {
                throw new LxdException.NotFound("Snapshot not found");
            }
            return done("Deleting snapshot", "/1.0/instances/" + target.name());
        });
    }

    @Override
    public Operation restoreSnapshot(String instance, String snapshot, boolean stateful) {
        return restoreSnapshot(instance, snapshot, stateful, null);
    }

    @Override
    public Operation restoreSnapshot(String instance, String snapshot, boolean stateful, String diskVolumesMode) {
        return call("restoreSnapshot", () -> {
            if (!inst(instance).snapshots.containsKey(snapshot)) {
                throw new LxdException.NotFound("Snapshot not found");
            }
            return done("Restoring snapshot", "/1.0/instances/" + instance);
        });
    }

    @Override
    public Operation restoreVolumeSnapshot(VolumeTarget volume, String snapshot) {
        return call("restoreVolumeSnapshot", () -> {
            if (!vol(volume.pool(), volume.name()).snapshots.containsKey(snapshot)) {
                throw new LxdException.NotFound("Snapshot not found");
            }
            return done("Restoring storage volume snapshot", null);
        });
    }

    // ---------------------------------------------------------------- backups

    @Override
    public Operation createBackup(String instance, LxdClient.BackupRequest req) {
        return createBackup(new InstanceTarget(instance), req);
    }

    @Override
    public Operation createBackup(LxdTarget target, LxdClient.BackupRequest req) {
        return call("createBackup", () -> {
            Map<String, Backup> backups = backupsOf(target);
            String name = req.name() != null ? req.name() : "backup" + backups.size();
            if (backups.containsKey(name)) {
                throw new LxdException.AlreadyExists("Backup \"" + name + "\" already exists");
            }
            backups.put(
                    name,
                    new Backup(
                            name, server.clock.instant(), req.expiresAt(), req.instanceOnly(), req.optimizedStorage()));
            return done("Backing up instance", "/1.0/instances/" + target.name());
        });
    }

    private Map<String, Backup> backupsOf(LxdTarget target) {
        if (target instanceof VolumeTarget) {
            throw new UnsupportedOperationException("FakeLxd keeps no volume backups");
        }
        return inst(target.name()).backups;
    }

    @Override
    public List<Backup> listBackups(String instance) {
        return listBackups(new InstanceTarget(instance));
    }

    @Override
    public List<Backup> listBackups(LxdTarget target) {
        return call("listBackups", () -> new ArrayList<>(backupsOf(target).values()));
    }

    @Override
    public Backup getBackup(String instance, String name) {
        return getBackup(new InstanceTarget(instance), name);
    }

    @Override
    public Backup getBackup(LxdTarget target, String name) {
        return call("getBackup", () -> {
            Backup b = backupsOf(target).get(name);
            if (b == null) {
                throw new LxdException.NotFound("Backup not found");
            }
            return b;
        });
    }

    @Override
    public Operation deleteBackup(String instance, String name) {
        return deleteBackup(new InstanceTarget(instance), name);
    }

    @Override
    public Operation deleteBackup(LxdTarget target, String name) {
        return call("deleteBackup", () -> {
            if (backupsOf(target).remove(name) == null) {
                throw new LxdException.NotFound("Backup not found");
            }
            return done("Deleting backup", "/1.0/instances/" + target.name());
        });
    }

    @Override
    public LxdClient.Download downloadBackup(String instance, String name) {
        throw new UnsupportedOperationException("FakeLxd streams no backup files");
    }

    @Override
    public LxdClient.Download downloadBackup(LxdTarget target, String name) {
        throw new UnsupportedOperationException("FakeLxd streams no backup files");
    }

    @Override
    public Operation importBackup(InputStream data, long length, LxdClient.ImportRequest req) {
        throw new UnsupportedOperationException("FakeLxd imports no backup files");
    }

    @Override
    public Operation importVolumeBackup(InputStream data, long length, String pool, String name) {
        throw new UnsupportedOperationException("FakeLxd imports no backup files");
    }

    @Override
    public LxdClient.CopyOperations pullFrom(LxdApi source, LxdClient.CopyRequest req) {
        throw new UnsupportedOperationException("FakeLxd copies nothing between servers");
    }

    @Override
    public LxdClient.CopyOperations pushTo(LxdApi target, LxdClient.CopyRequest req) {
        throw new UnsupportedOperationException("FakeLxd copies nothing between servers");
    }

    @Override
    public LxdClient.CopyOperations pullVolumeFrom(LxdApi source, LxdClient.VolumeCopyRequest req) {
        throw new UnsupportedOperationException("FakeLxd copies nothing between servers");
    }

    @Override
    public LxdClient.EventSubscription events(
            Set<String> types, Consumer<LxdEvent> onEvent, Consumer<Throwable> onClose) {
        throw new UnsupportedOperationException("FakeLxd sends no events");
    }

    @Override
    public String toString() {
        return "FakeLxd[" + project() + "]";
    }
}
