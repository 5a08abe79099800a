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

    PartitionedDispatcher(
            Map<ServerRequest, Queue<ServerResponse>> responses,
            List<CustomResourceDefinitionContext> customResources) {
        this.responses = responses;
        this.customResources = List.copyOf(customResources);
        this.canned = new MockDispatcher(responses);
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        // as fabric8's mixed dispatcher: a canned response (discovery) first, else the store
        Queue<ServerResponse> q =
                responses.get(new SimpleRequest(HttpMethod.valueOf(request.getMethod()), request.getPath()));
        if (q != null && !q.isEmpty()) {
            return canned.dispatch(request);
        }
        return store(typeOf(request.getPath())).dispatch(request);
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
