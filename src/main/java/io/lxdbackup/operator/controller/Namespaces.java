package io.lxdbackup.operator.controller;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Whether a namespace is being deleted (read only when a clean-up finds credentials gone). */
final class Namespaces {
  private static final Logger LOG = LoggerFactory.getLogger(Namespaces.class);

  private Namespaces() {}

  /**
   * True when the namespace has a deletion timestamp (phase Terminating). False when it cannot be
   * read: then the clean-up keeps retrying, as it would without this check.
   */
  static boolean terminating(KubernetesClient kube, String namespace) {
    try {
      Namespace ns = kube.namespaces().withName(namespace).get();
      return ns != null && (ns.getMetadata().getDeletionTimestamp() != null
          || ns.getStatus() != null && "Terminating".equals(ns.getStatus().getPhase()));
    } catch (KubernetesClientException e) {
      LOG.warn("cannot read namespace {} (HTTP {}): assuming it is not being deleted", namespace, e.getCode());
      return false;
    }
  }
}
