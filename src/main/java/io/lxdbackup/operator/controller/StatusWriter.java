package io.lxdbackup.operator.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;
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
}
