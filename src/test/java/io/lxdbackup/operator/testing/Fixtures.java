package io.lxdbackup.operator.testing;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.LxdRemote;
import io.lxdbackup.operator.api.v1alpha1.LxdRemoteSpec;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

/** Kubernetes objects the controller tests need, pointing at the real LXD rig. */
public final class Fixtures {
  public static final String NS = "default";

  private Fixtures() {}

  public static Secret tlsSecret(String name, String crt, String key) {
    return new SecretBuilder().withNewMetadata().withName(name).withNamespace(NS).endMetadata()
        .withType("kubernetes.io/tls")
        .withData(Map.of("tls.crt", b64(crt), "tls.key", b64(key))).build();
  }

  public static Secret opaque(String name, String key, String value) {
    return new SecretBuilder().withNewMetadata().withName(name).withNamespace(NS).endMetadata()
        .withData(Map.of(key, b64(value))).build();
  }

  /** A Secret with the rig's trusted client certificate and an LxdRemote for daemon "a"/"b". */
  public static LxdRemote remote(KubernetesClient kube, LxdRig rig, String name, String daemon, String probeInterval) {
    String secret = name + "-client";
    kube.secrets().inNamespace(NS).resource(tlsSecret(secret, rig.read("client.crt"), rig.read("client.key"))).createOr(r -> r.update());
    LxdRemote r = new LxdRemote();
    r.getMetadata().setName(name);
    r.getMetadata().setNamespace(NS);
    LxdRemoteSpec spec = new LxdRemoteSpec();
    spec.setUrl(rig.get(daemon + ".url"));
    spec.setClientCertificateSecretRef(new ObjectRef(secret));
    spec.setServerCertificateFingerprint(rig.get(daemon + ".fingerprint"));
    spec.setProbeInterval(probeInterval);
    r.setSpec(spec);
    return kube.resource(r).create();
  }

  static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
