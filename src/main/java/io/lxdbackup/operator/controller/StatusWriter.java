package io.lxdbackup.operator.controller;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;

/**
 * Writes a status in the middle of a reconcile, before an external action, so that the intent
 * survives a crash ("I am about to create snapshot X"). Uses a JSON merge patch on the status
 * subresource without a resourceVersion, like the final status patch JOSDK does, so it behaves
 * the same on every API server.
 */
public final class StatusWriter {

    private StatusWriter() {}

    public static <R extends HasMetadata> R patchStatus(KubernetesClient client, R resource) {
        String rv = resource.getMetadata().getResourceVersion();
        resource.getMetadata().setResourceVersion(null);
        try {
            R updated = client.resource(resource).subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE));
            resource.getMetadata().setResourceVersion(updated.getMetadata().getResourceVersion());
            return updated;
        } catch (RuntimeException e) {
            resource.getMetadata().setResourceVersion(rv);
            throw e;
        }
    }

    /**
     * Writes the whole status as computed by this reconcile: one JSON Patch {@code add /status}
     * operation (which replaces an existing status), with no resourceVersion. Unlike JOSDK's
     * non-SSA status patch, which sends a JSON Patch diff against the copy the reconcile started
     * from (array indices, {@code copy} and {@code remove} operations), the result does not depend
     * on that copy being current: with a cached copy older than the server's (the informer
     * racing JOSDK's own cache of its last write), a diff fails ("index out of bounds") or, worse,
     * edits the wrong array element. Fields the reconcile cleared are removed, which a merge
     * patch of the object would not do (null fields are not serialized).
     */
    public static <R extends HasMetadata> R replaceStatus(KubernetesClient client, R resource, Object status) {
        ArrayNode patch = Serialization.jsonMapper().createArrayNode();
        ObjectNode op = patch.addObject();
        op.put("op", "add");
        op.put("path", "/status");
        op.set("value", Serialization.jsonMapper().valueToTree(status));
        // the client copies the object it is given (a JSON round trip) only to build the URL: give
        // it one with nothing but the name, not the whole resource
        R updated = client.resource(nameOnly(resource))
                .subresource("status")
                .patch(PatchContext.of(PatchType.JSON), patch.toString());
        resource.getMetadata().setResourceVersion(updated.getMetadata().getResourceVersion());
        return updated;
    }

    @SuppressWarnings("unchecked")
    private static <R extends HasMetadata> R nameOnly(R resource) {
        try {
            R r = (R) resource.getClass().getDeclaredConstructor().newInstance();
            r.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
                    .withName(resource.getMetadata().getName())
                    .withNamespace(resource.getMetadata().getNamespace())
                    .build());
            return r;
        } catch (ReflectiveOperationException e) {
            return resource;
        }
    }
}
