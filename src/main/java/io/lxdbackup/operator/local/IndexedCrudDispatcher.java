package io.lxdbackup.operator.local;

import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.crud.Attribute;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.crud.AttributeType;
import io.fabric8.mockwebserver.crud.CrudDispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import java.lang.reflect.Field;
import java.util.AbstractMap;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * fabric8's CRUD mock with an index by namespace and name. The mock finds an object by testing
 * every stored object's attribute set against the request's (each test a linear search of
 * the attributes), so with a few thousand InstanceSnapshots every read, create, patch and
 * replace of one of them cost milliseconds of CPU, most of it under the store's write lock.
 * Here the lookups that name one object ({@link #findResource}, which the create, replace and
 * patch handlers use, and a GET of one object) go through the index; everything else (lists,
 * watches, deletes, the semantics of every write) is fabric8's own code.
 *
 * <p>The index sits in the store's map itself (a map that keeps it up to date on every put and
 * remove), so it cannot drift from what the mock stores, whichever of its code paths writes.
 * A candidate from the index is still tested with the mock's own {@code matches}; an object the
 * index does not hold makes a GET fall back to the mock's own search, which waits for a write in
 * progress (a patch removes and re-adds an object) instead of answering 404 in between.
 */
final class IndexedCrudDispatcher extends KubernetesCrudDispatcher {
  private static final Logger LOG = LoggerFactory.getLogger(IndexedCrudDispatcher.class);
  private static final String NAME = "name";
  private static final String NAMESPACE = "namespace";

  /** Null when the mock's map could not be replaced: then every lookup is the mock's own. */
  private final IndexedMap index;

  IndexedCrudDispatcher(List<CustomResourceDefinitionContext> customResources) {
    super(customResources);
    index = installIndex();
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
      LOG.warn("in-memory API: objects are looked up without an index (slower with many objects): {}", e.toString());
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
    if (a == null || a.getType() != AttributeType.WITH || a.getValues() == null || a.getValues().size() != 1) {
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

    @Override
    public Set<Map.Entry<AttributeSet, String>> entrySet() {
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
