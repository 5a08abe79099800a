package io.lxdbackup.operator.local;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.crud.KubernetesCrudDispatcherException;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.crud.Attribute;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.crud.AttributeType;
import io.fabric8.mockwebserver.crud.CrudDispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.lang.reflect.Field;
import java.util.AbstractMap;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * fabric8's CRUD mock with an index by namespace and name. The mock finds an object by testing
 * every stored object's attribute set against the request's (each test a linear search of
 * the attributes), so with a few thousand InstanceSnapshots every read, create, patch and
 * replace of one of them cost milliseconds of CPU, most of it under the store's write lock.
 * Here the lookups that name one object ({@link #findResource}, which the create, replace and
 * patch handlers use, a GET of one object, and the search a DELETE of one object makes) go
 * through the index; everything else (lists, watches, the semantics of every write) is
 * fabric8's own code.
 *
 * <p>The index sits in the store's map itself (a map that keeps it up to date on every put and
 * remove), so it cannot drift from what the mock stores, whichever of its code paths writes.
 * A candidate from the index is still tested with the mock's own {@code matches}; an object the
 * index does not hold makes a GET fall back to the mock's own search, which waits for a write in
 * progress (a patch removes and re-adds an object) instead of answering 404 in between.
 *
 * <p>Watches resumed from a resource version: fabric8's mock ignores the version a watch asks
 * to start from and, when the watch opens, sends every stored object as ADDED. That covers
 * objects created or changed in between, but not objects deleted in between: a client whose
 * watch reconnected (an informer after a dropped connection) kept those for ever. A real API
 * server answers such a watch with 410 Gone ("too old resource version") when it cannot replay
 * what happened since, and informers then list again. Here the same answer is given when an
 * object left the store (deleted, or its labels changed) after the requested version; see
 * {@link #handleWatch}.
 */
final class IndexedCrudDispatcher extends KubernetesCrudDispatcher {
    private static final Logger LOG = LoggerFactory.getLogger(IndexedCrudDispatcher.class);
    private static final String NAME = "name";
    private static final String NAMESPACE = "namespace";

    /** Null when the mock's map could not be replaced: then every lookup is the mock's own. */
    private final IndexedMap index;
    /** fabric8's store lock (writes hold it for writing); null when it could not be read. */
    private final ReadWriteLock storeLock;
    /**
     * The resource version at which an object last left the store (deleted, or relabelled so that
     * a label-selected watch loses it). Written under the store's write lock.
     */
    private volatile long lastRemoval;
    /** Watches open now, for {@link #closeWatches()}. */
    private final Set<WebSocket> openWatches = ConcurrentHashMap.newKeySet();

    private final java.util.concurrent.atomic.AtomicLong refusedWatches = new java.util.concurrent.atomic.AtomicLong();

    IndexedCrudDispatcher(List<CustomResourceDefinitionContext> customResources) {
        super(customResources);
        index = installIndex();
        storeLock = readStoreLock();
    }

    private ReadWriteLock readStoreLock() {
        try {
            Field f = KubernetesCrudDispatcher.class.getDeclaredField("lock");
            f.setAccessible(true);
            return (ReadWriteLock) f.get(this);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("in-memory API: watches resumed after a dropped connection may miss deletions: {}", e.toString());
            return null;
        }
    }

    @Override
    public void processEvent(
            String path,
            AttributeSet oldAttributes,
            AttributeSet newAttributes,
            GenericKubernetesResource resource,
            String newState) {
        // the attributes the object is stored under (the callers pass those of the request path)
        Map.Entry<AttributeSet, String> before = oldAttributes == null ? null : findResource(oldAttributes);
        super.processEvent(path, oldAttributes, newAttributes, resource, newState);
        if (before == null) {
            return;
        }
        Map.Entry<AttributeSet, String> after = newState == null ? null : findResource(oldAttributes);
        if (after == null || !after.getKey().equals(before.getKey())) {
            // a version of its own, so that a list taken after this removal reports a version not
            // older than it (and a watch from there is not refused)
            lastRemoval = requestResourceVersion();
        }
    }

    /**
     * A watch from a resource version older than the last removal is refused, once it opens, with
     * the ERROR event a real API server sends (410, reason Expired); the client lists again. The
     * check and the mock's initial ADDED events happen under the store's read lock, so no removal
     * can fall between them; removals after that reach the open watch as DELETED events.
     */
    @Override
    public MockResponse handleWatch(String path) {
        MockResponse response = super.handleWatch(path);
        WebSocketListener mock = response.getWebSocketListener();
        if (mock == null) {
            return response;
        }
        return response.withWebSocketUpgrade(new ResumableWatch(mock, storeLock == null ? -1 : requestedVersion(path)));
    }

    /** Closes every open watch, as a dropped connection would (clients reconnect). For tests. */
    int closeWatches() {
        int n = 0;
        for (WebSocket ws : List.copyOf(openWatches)) {
            ws.close(1001, "closed by the in-memory API");
            n++;
        }
        return n;
    }

    /** How many watches were refused with 410 so far. */
    long refusedWatches() {
        return refusedWatches.get();
    }

    /** The {@code resourceVersion} a watch path asks to start after; -1 when none ("from now"). */
    static long requestedVersion(String path) {
        int q = path == null ? -1 : path.indexOf('?');
        if (q < 0) {
            return -1;
        }
        for (String param : path.substring(q + 1).split("&")) {
            if (param.startsWith("resourceVersion=")) {
                try {
                    long v = Long.parseLong(param.substring("resourceVersion=".length()));
                    return v > 0 ? v : -1; // "0": any version
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    static String expiredEvent(long requested, long current) {
        return "{\"type\":\"ERROR\",\"object\":{\"apiVersion\":\"v1\",\"kind\":\"Status\",\"metadata\":{},"
                + "\"status\":\"Failure\",\"message\":\"too old resource version: " + requested + " (" + current
                + ")\","
                + "\"reason\":\"Expired\",\"code\":410}}";
    }

    /** The mock's watch listener, refused when it resumes from before a removal. */
    private final class ResumableWatch extends WebSocketListener {
        private final WebSocketListener mock;
        private final long since;
        private volatile boolean refused;

        ResumableWatch(WebSocketListener mock, long since) {
            this.mock = mock;
            this.since = since;
        }

        @Override
        public void onBeforeAccept(WebSocket ws, Response response) {
            mock.onBeforeAccept(ws, response);
        }

        @Override
        public void onOpen(WebSocket ws, Response response) {
            if (since < 0) {
                openWatches.add(ws);
                mock.onOpen(ws, response);
                return;
            }
            Lock read = storeLock.readLock();
            read.lock();
            try {
                long removed = lastRemoval;
                if (removed > since) {
                    refused = true;
                    refusedWatches.incrementAndGet();
                    LOG.debug(
                            "in-memory API: watch {} refused: an object left the store at version {}, after {}",
                            ws.request() == null ? "" : ws.request().getPath(),
                            removed,
                            since);
                    ws.send(expiredEvent(since, removed));
                    ws.close(1000, "resource version expired");
                    return;
                }
                openWatches.add(ws);
                // the mock's initial events, under the same read lock as the check
                mock.onOpen(ws, response);
            } finally {
                read.unlock();
            }
        }

        @Override
        public void onMessage(WebSocket ws, String text) {
            mock.onMessage(ws, text);
        }

        @Override
        public void onMessage(WebSocket ws, byte[] bytes) {
            mock.onMessage(ws, bytes);
        }

        @Override
        public void onClosing(WebSocket ws, int code, String reason) {
            openWatches.remove(ws);
            if (!refused) {
                mock.onClosing(ws, code, reason);
            }
        }

        @Override
        public void onClosed(WebSocket ws, int code, String reason) {
            openWatches.remove(ws);
            // also when refused: the mock then stops sending and forgets the listener
            mock.onClosed(ws, code, reason);
        }

        @Override
        public void onFailure(WebSocket ws, Throwable t, Response response) {
            openWatches.remove(ws);
            mock.onFailure(ws, t, response);
        }
    }

    private IndexedMap installIndex() {
        try {
            Field f = CrudDispatcher.class.getDeclaredField("map");
            f.setAccessible(true);
            @SuppressWarnings("unchecked")
            Map<AttributeSet, String> current = (Map<AttributeSet, String>) f.get(this);
            IndexedMap indexed = new IndexedMap();
            indexed.putAll(current);
            f.set(this, indexed);
            return indexed;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn(
                    "in-memory API: objects are looked up without an index (slower with many objects): {}",
                    e.toString());
            return null;
        }
    }

    boolean indexed() {
        return index != null && map == index;
    }

    /** How many stored objects the index holds (all of them, when it is installed). */
    int indexSize() {
        return index == null ? -1 : index.indexed();
    }

    /**
     * A JSON merge patch as RFC 7386 and the API server apply it: an array in the patch replaces
     * the stored one, and a null removes the field. (The mock's own merge updates the stored tree
     * with Jackson, which appends a patch's array elements to the stored array: a status list
     * written twice, such as status.volumes, would hold every element twice.)
     */
    @Override
    public JsonNode merge(JsonNode stored, String patch) throws KubernetesCrudDispatcherException {
        try {
            return mergePatch(stored.deepCopy(), Serialization.jsonMapper().readTree(patch));
        } catch (JsonProcessingException e) {
            throw new KubernetesCrudDispatcherException(e.getOriginalMessage(), 422);
        }
    }

    static JsonNode mergePatch(JsonNode target, JsonNode patch) {
        if (patch == null || !patch.isObject()) {
            return patch;
        }
        ObjectNode out = target != null && target.isObject()
                ? (ObjectNode) target
                : Serialization.jsonMapper().createObjectNode();
        patch.properties().forEach(e -> {
            if (e.getValue().isNull()) {
                out.remove(e.getKey());
            } else {
                out.set(e.getKey(), mergePatch(out.get(e.getKey()), e.getValue()));
            }
        });
        return out;
    }

    @Override
    public Map.Entry<AttributeSet, String> findResource(AttributeSet query) {
        // called by the create, replace and patch handlers under the store's write lock: the index
        // is complete here, so "not in the index" is "not stored"
        String key = indexed() ? nameKey(query) : null;
        return key == null ? super.findResource(query) : index.find(key, query);
    }

    @Override
    public MockResponse handleGet(String path) {
        if (indexed() && path != null && !path.contains("watch=")) {
            AttributeSet query = attributeExtractor.fromPath(path);
            String key = nameKey(query);
            if (key != null) {
                Map.Entry<AttributeSet, String> hit = index.find(key, query);
                if (hit != null) {
                    return new MockResponse().setResponseCode(200).setBody(hit.getValue());
                }
            }
        }
        return super.handleGet(path);
    }

    /**
     * A DELETE of one named object: fabric8's delete (finalizers, deletion timestamp, events), with
     * its search of the store limited to the objects stored under that namespace/name.
     */
    @Override
    public MockResponse handleDelete(String path) {
        String key = indexed() && path != null ? nameKey(attributeExtractor.fromPath(path)) : null;
        if (key == null) {
            return super.handleDelete(path);
        }
        index.narrowTo(key);
        try {
            return super.handleDelete(path);
        } finally {
            index.narrowTo(null);
        }
    }

    /**
     * {@code namespace/name} when the attribute set names exactly one object of one namespace
     * (plain equality on both), else null: such a query can only match that object.
     */
    static String nameKey(AttributeSet query) {
        String name = single(query.getAttribute(NAME));
        String ns = single(query.getAttribute(NAMESPACE));
        return name == null || ns == null ? null : ns + "/" + name;
    }

    /** The key an object is stored under: its namespace ("" when cluster-scoped) and name. */
    static String storedKey(AttributeSet stored) {
        String name = single(stored.getAttribute(NAME));
        if (name == null) {
            return null;
        }
        Attribute ns = stored.getAttribute(NAMESPACE);
        String n = ns == null ? "" : single(ns);
        return n == null ? null : n + "/" + name;
    }

    private static String single(Attribute a) {
        if (a == null
                || a.getType() != AttributeType.WITH
                || a.getValues() == null
                || a.getValues().size() != 1) {
            return null;
        }
        return String.valueOf(a.getValues().get(0));
    }

    /**
     * The mock's map (insertion-ordered, synchronized, as the mock's own) plus an index from
     * {@code namespace/name} to the attribute sets stored under it. Views are read-only: the mock
     * writes only through put and remove.
     */
    static final class IndexedMap extends AbstractMap<AttributeSet, String> {
        private final Map<AttributeSet, String> objects = Collections.synchronizedMap(new LinkedHashMap<>());
        private final Map<String, Set<AttributeSet>> byName = new ConcurrentHashMap<>();
        /** Objects whose attributes name no single namespace/name: searched by every lookup. */
        private final Set<AttributeSet> unnamed = ConcurrentHashMap.newKeySet();

        @Override
        public String put(AttributeSet key, String value) {
            String old = objects.put(key, value);
            String k = storedKey(key);
            if (k == null) {
                unnamed.add(key);
            } else {
                byName.computeIfAbsent(k, x -> ConcurrentHashMap.newKeySet()).add(key);
            }
            return old;
        }

        @Override
        public String remove(Object key) {
            String old = objects.remove(key);
            if (key instanceof AttributeSet a) {
                String k = storedKey(a);
                if (k == null) {
                    unnamed.remove(a);
                } else {
                    byName.computeIfPresent(k, (x, set) -> {
                        set.remove(a);
                        return set.isEmpty() ? null : set;
                    });
                }
            }
            return old;
        }

        @Override
        public void clear() {
            synchronized (objects) {
                objects.clear();
                byName.clear();
                unnamed.clear();
            }
        }

        @Override
        public String get(Object key) {
            return objects.get(key);
        }

        @Override
        public boolean containsKey(Object key) {
            return objects.containsKey(key);
        }

        @Override
        public int size() {
            return objects.size();
        }

        /** Set by a DELETE of one named object, while fabric8's delete searches the store. */
        private final ThreadLocal<String> narrowedTo = new ThreadLocal<>();

        /**
         * While {@code key} is set on this thread, {@link #entrySet()} holds only the objects stored
         * under that namespace/name: the only ones a query naming it can match.
         */
        void narrowTo(String key) {
            if (key == null) {
                narrowedTo.remove();
            } else {
                narrowedTo.set(key);
            }
        }

        @Override
        public Set<Map.Entry<AttributeSet, String>> entrySet() {
            String key = narrowedTo.get();
            if (key != null) {
                Set<Map.Entry<AttributeSet, String>> some = new java.util.LinkedHashSet<>();
                for (AttributeSet a : candidates(key)) {
                    String v = objects.get(a);
                    if (v != null) {
                        some.add(new SimpleImmutableEntry<>(a, v));
                    }
                }
                return Collections.unmodifiableSet(some);
            }
            return Collections.unmodifiableSet(objects.entrySet());
        }

        int indexed() {
            return byName.values().stream().mapToInt(Set::size).sum() + unnamed.size();
        }

        /** The stored object under {@code key} that matches {@code query}, or null. */
        Map.Entry<AttributeSet, String> find(String key, AttributeSet query) {
            for (AttributeSet a : candidates(key)) {
                String v = objects.get(a);
                if (v != null && a.matches(query)) {
                    return new SimpleImmutableEntry<>(a, v);
                }
            }
            return null;
        }

        private Iterable<AttributeSet> candidates(String key) {
            Set<AttributeSet> named = byName.getOrDefault(key, Set.of());
            if (unnamed.isEmpty()) {
                return named;
            }
            java.util.List<AttributeSet> all = new java.util.ArrayList<>(named);
            all.addAll(unnamed);
            return all;
        }
    }
}
