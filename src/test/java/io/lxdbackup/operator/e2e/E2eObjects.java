package io.lxdbackup.operator.e2e;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.lxdbackup.operator.testing.ExampleFiles;
import io.lxdbackup.operator.testing.LxdRig;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;

/** Objects the end-to-end tests apply as a user would: YAML through kubectl. */
final class E2eObjects {
    private E2eObjects() {}

    static ResourceDefinitionContext kind(String plural) {
        return new ResourceDefinitionContext.Builder()
                .withGroup("lxdbackup.io")
                .withVersion("v1alpha1")
                .withPlural(plural)
                .withNamespaced(true)
                .build();
    }

    static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** A TLS Secret with the rig's trusted client certificate and an LxdRemote for daemon "a" or "b". */
    static void remote(E2eCluster c, String ns, String name, LxdRig rig, String daemon) throws Exception {
        c.kubectlIn(
                """
        apiVersion: v1
        kind: Secret
        metadata: {name: %s-client, namespace: %s}
        type: kubernetes.io/tls
        data: {tls.crt: %s, tls.key: %s}
        ---
        apiVersion: lxdbackup.io/v1alpha1
        kind: LxdRemote
        metadata: {name: %s, namespace: %s}
        spec:
          url: %s
          clientCertificateSecretRef: {name: %s-client}
          serverCertificateFingerprint: "%s"
          probeInterval: 30s
        """.formatted(
                                name,
                                ns,
                                b64(rig.read("client.crt")),
                                b64(rig.read("client.key")),
                                name,
                                ns,
                                rig.get(daemon + ".url"),
                                name,
                                rig.get(daemon + ".fingerprint")),
                "apply",
                "-f",
                "-");
    }

    /** The resource's status once {@code field} has {@code value}. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> awaitStatus(
            E2eCluster c, String ns, String plural, String name, String field, String value, Duration timeout) {
        await().atMost(timeout)
                .pollInterval(Duration.ofMillis(500))
                .until(() -> value.equals(status(c, ns, plural, name).get(field)));
        return status(c, ns, plural, name);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> status(E2eCluster c, String ns, String plural, String name) {
        GenericKubernetesResource r = c.admin
                .genericKubernetesResources(kind(plural))
                .inNamespace(ns)
                .withName(name)
                .get();
        Object status = r == null ? null : r.getAdditionalProperties().get("status");
        return status instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    static GenericKubernetesResource get(E2eCluster c, String ns, String plural, String name) {
        return c.admin
                .genericKubernetesResources(kind(plural))
                .inNamespace(ns)
                .withName(name)
                .get();
    }

    /**
     * An example file as the user applies it, with only the connection details the example tells
     * the user to replace, and its namespace, substituted.
     */
    static String example(String file, String ns, LxdRig rig, String s3Endpoint) throws Exception {
        return ExampleFiles.read(file, rig, s3Endpoint).replace("namespace: default", "namespace: " + ns);
    }
}
