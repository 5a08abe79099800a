package io.lxdbackup.operator.local;

import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.internal.MockDispatcher;
import io.fabric8.mockwebserver.internal.SimpleRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;

/**
 * fabric8's CRUD mock, one store per resource type, each indexed by namespace and name
 * ({@link IndexedCrudDispatcher}). The mock keeps all objects in one list and reads through all
 * of it for every request, so with thousands of Events and snapshots every request for a
 * schedule paid for all of them; here a request only looks at objects of its own type (API group
 * and plural), as a real API server does. Canned responses (discovery) are shared; each store
 * numbers its resource versions on its own, which clients never compare across types.
 */
final class PartitionedDispatcher extends Dispatcher {
  private final Map<ServerRequest, Queue<ServerResponse>> responses;
  private final List<CustomResourceDefinitionContext> customResources;
  private final MockDispatcher canned;
  private final Map<String, IndexedCrudDispatcher> stores = new ConcurrentHashMap<>();
  /** {@code Authorization} header value every request must carry, or null to accept anyone. */
  private final byte[] expectedAuthorization;

  PartitionedDispatcher(Map<ServerRequest, Queue<ServerResponse>> responses, List<CustomResourceDefinitionContext> customResources) {
    this(responses, customResources, null);
  }

  /** @param bearerToken the token every request must present ({@code Authorization: Bearer ...}); null = none */
  PartitionedDispatcher(Map<ServerRequest, Queue<ServerResponse>> responses, List<CustomResourceDefinitionContext> customResources,
      String bearerToken) {
    this.expectedAuthorization = bearerToken == null ? null : ("Bearer " + bearerToken).getBytes(StandardCharsets.UTF_8);
    this.responses = responses;
    this.customResources = List.copyOf(customResources);
    this.canned = new MockDispatcher(responses);
  }

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    if (!authorized(request)) {
      return new MockResponse().setResponseCode(401).addHeader("Content-Type: application/json").setBody(UNAUTHORIZED);
    }
    // as fabric8's mixed dispatcher: a canned response (discovery) first, else the store
    Queue<ServerResponse> q = responses.get(new SimpleRequest(HttpMethod.valueOf(request.getMethod()), request.getPath()));
    if (q != null && !q.isEmpty()) {
      return canned.dispatch(request);
    }
    return store(typeOf(request.getPath())).dispatch(request);
  }

  private static final String UNAUTHORIZED = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
      + "\"message\":\"Unauthorized: use the token of the kubeconfig local mode wrote\",\"reason\":\"Unauthorized\",\"code\":401}";

  private boolean authorized(RecordedRequest request) {
    if (expectedAuthorization == null) {
      return true;
    }
    String given = request.getHeader("Authorization");
    // compared in constant time: the token is the only thing between other local users and the API
    return given != null && MessageDigest.isEqual(expectedAuthorization, given.getBytes(StandardCharsets.UTF_8));
  }

  IndexedCrudDispatcher store(String type) {
    return stores.computeIfAbsent(type, t -> new IndexedCrudDispatcher(customResources));
  }

  @Override
  public void shutdown() {
    canned.shutdown();
    stores.values().forEach(Dispatcher::shutdown);
  }

  /**
   * {@code group/plural} of a request path ({@code /api/v1/namespaces/ns/events/x} →
   * {@code /events}, {@code /apis/lxdbackup.io/v1alpha1/snapshotschedules} →
   * {@code lxdbackup.io/snapshotschedules}); paths that name no resource type map to the group.
   */
  static String typeOf(String path) {
    String p = path == null ? "" : path;
    int query = p.indexOf('?');
    if (query >= 0) {
      p = p.substring(0, query);
    }
    String[] s = p.split("/");
    String group;
    int i;
    if (s.length > 1 && s[1].equals("api")) {
      group = "";
      i = 3;
    } else if (s.length > 2 && s[1].equals("apis")) {
      group = s[2];
      i = 4;
    } else {
      return "";
    }
    if (s.length > i + 2 && s[i].equals("namespaces")) {
      i += 2;
    }
    return group + "/" + (i < s.length ? s[i] : "");
  }
}
