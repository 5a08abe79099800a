package io.lxdbackup.operator.controller;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;

/**
 * Writes a status in the middle of a reconcile, before an external action, so that the intent
 * survives a crash ("I am about to create snapshot X"). Uses a JSON merge patch on the status
 * subresource without a resourceVersion, like the final status patch JOSDK does, so it behaves
 * the same on every API server.
 */
public final class StatusWriter {
  private static final ObjectMapper MAPPER = new ObjectMapper();

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
   * Replaces the whole status: fields the object leaves unset are gone on the server afterwards.
   * For reconcilers that write their status several times in one reconcile, where neither
   * works: a merge patch never removes a field, and JOSDK's closing status patch is a diff
   * against the resource as the reconcile received it, which cannot remove a field written
   * since. The write is one JSON Patch operation, {@code add /status} (which replaces an existing
   * status), without a resourceVersion. Such a reconciler returns {@code UpdateControl.noUpdate()}.
   */
  public static <R extends CustomResource<?, ?>> R writeStatus(KubernetesClient client, R resource) {
    ObjectNode op = MAPPER.createObjectNode().put("op", "add").put("path", "/status");
    op.set("value", MAPPER.valueToTree(resource.getStatus()));
    R updated = client.resource(resource).subresource("status")
        .patch(PatchContext.of(PatchType.JSON), MAPPER.createArrayNode().add(op).toString());
    resource.getMetadata().setResourceVersion(updated.getMetadata().getResourceVersion());
    return updated;
  }
}
