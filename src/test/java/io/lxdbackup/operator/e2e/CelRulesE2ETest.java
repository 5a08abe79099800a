package io.lxdbackup.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apiextensions.v1.ValidationRule;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every CEL rule of every CRD, as the real API server enforces it: a create or update that
 * violates the rule is refused by {@code kubectl} with the rule's message, and an allowed update
 * of the same object passes. The table below must name every rule the installed CRDs carry.
 */
class CelRulesE2ETest {
    static final String NS = "e2e-cel";
    static E2eCluster cluster;

    @BeforeAll
    static void start() throws Exception {
        cluster = E2eCluster.get();
        cluster.createNamespace(NS);
    }

    @AfterAll
    static void stop() throws Exception {
        if (cluster != null) {
            cluster.kubectl("delete", "namespace", NS, "--wait=false");
        }
    }

    /** A create that must be refused with {@code message}. */
    record Create(String kind, String message, String spec) {}

    /** An update (merge patch of spec) of a valid object that must be refused with {@code message}. */
    record Update(String kind, String message, String spec, String patch) {}

    static final String SNAPSHOT =
            "{remoteRef: {name: r}, instance: c1, project: default, snapshotName: s1, stateful: false,"
                    + " diskVolumesMode: root, reuse: false, deletionPolicy: Delete, ttl: 1h}";
    static final String EXPORT =
            "{remoteRef: {name: r}, instance: c1, project: default, storeRef: {name: st}, key: a/b.tar,"
                    + " compression: zstd, optimizedStorage: false, instanceOnly: true, exportVersion: 0, ttl: 1h}";
    static final String RESTORE = "{remoteRef: {name: r}, instance: c1, source: {exportRef: {name: e1}}}";

    static final List<Create> CREATES = List.of(
            new Create("BackupStore", "must not start with '/'", "{s3: {bucket: b, prefix: /abs}}"),
            new Create(
                    "BackupStore",
                    "kmsKeyId needs type aws:kms",
                    "{s3: {bucket: b, serverSideEncryption: {type: AES256, kmsKeyId: k1}}}"),
            new Create(
                    "ExportSchedule",
                    "set instances, instanceSelector, volumes or volumeSelector (any combination)",
                    "{remoteRef: {name: r}, schedule: '@daily', exportTemplate: {storeRef: {name: st}}}"),
            new Create(
                    "InstanceCopy",
                    "a schedule repeats the copy onto the same target instance, which needs refresh: true",
                    "{sourceRemoteRef: {name: r}, targetRemoteRef: {name: r2}, instance: c1, schedule: '@hourly', refresh: false}"),
            new Create(
                    "InstanceCopy",
                    "promote applies to instance copies; a volume has nothing to start: set suspend: true to stop refreshing it",
                    "{sourceRemoteRef: {name: r}, targetRemoteRef: {name: r2}, volume: {pool: p, name: v}, promote: true}"),
            new Create(
                    "InstanceExport",
                    "must not start with '/'",
                    "{remoteRef: {name: r}, instance: c1, storeRef: {name: st}, key: /x}"),
            new Create(
                    "InstanceRestore",
                    "set exactly one of snapshot, snapshotRef, exportRef and object",
                    "{remoteRef: {name: r}, instance: c1, source: {snapshotRef: {name: s1}, exportRef: {name: e1}}}"),
            new Create(
                    "InstanceRestore",
                    "must not start with '/'",
                    "{remoteRef: {name: r}, instance: c1, source: {object: {storeRef: {name: st}, key: /x}}}"),
            new Create(
                    "InstanceSnapshot",
                    "set at most one of expiresAt, ttl and noExpiry=true",
                    "{remoteRef: {name: r}, instance: c1, ttl: 1h, noExpiry: true}"),
            new Create(
                    "LxdRemote",
                    "clientCertificateSecretRef is required for https URLs",
                    "{url: 'https://10.0.0.5:8443'}"),
            new Create(
                    "LxdRemote",
                    "set at most one of serverCertificate and serverCertificateFingerprint",
                    "{url: 'unix:///var/lib/lxd/unix.socket', serverCertificate: pem, serverCertificateFingerprint: abc}"),
            new Create(
                    "InstanceCopy",
                    "set exactly one of instance (an instance) and volume (a custom storage volume: {pool, name})",
                    "{sourceRemoteRef: {name: r}, targetRemoteRef: {name: r2}, instance: c1, volume: {pool: p, name: v}}"),
            new Create(
                    "InstanceCopy",
                    "a volume copy names its target with targetVolume, not targetInstance or targetStoragePool",
                    "{sourceRemoteRef: {name: r}, targetRemoteRef: {name: r2}, volume: {pool: p, name: v}, targetInstance: t1}"),
            new Create(
                    "InstanceCopy",
                    "a volume is copied in pull mode (the target server pulls from the source); remove mode or set it to pull",
                    "{sourceRemoteRef: {name: r}, targetRemoteRef: {name: r2}, volume: {pool: p, name: v}, mode: relay}"),
            new Create(
                    "InstanceCopy",
                    "targetVolume applies to volume copies; use targetInstance for an instance",
                    "{sourceRemoteRef: {name: r}, targetRemoteRef: {name: r2}, instance: c1, targetVolume: {pool: p, name: v2}}"),
            new Create(
                    "InstanceExport",
                    "set exactly one of instance (an instance) and volume (a custom storage volume: {pool, name})",
                    "{remoteRef: {name: r}, storeRef: {name: st}}"),
            new Create(
                    "InstanceRestore",
                    "set exactly one of instance (an instance) and volume (a custom storage volume: {pool, name})",
                    "{remoteRef: {name: r}, source: {exportRef: {name: e1}}}"),
            new Create(
                    "InstanceRestore",
                    "stateful, storagePool and devices apply to instances only; a volume is imported into volume.pool",
                    "{remoteRef: {name: r}, volume: {pool: p, name: v}, storagePool: p2, source: {exportRef: {name: e1}}}"),
            new Create(
                    "InstanceSnapshot",
                    "set exactly one of instance (an instance) and volume (a custom storage volume: {pool, name})",
                    "{remoteRef: {name: r}}"),
            new Create(
                    "InstanceSnapshot",
                    "stateful and diskVolumesMode apply to instances only, not to a volume",
                    "{remoteRef: {name: r}, volume: {pool: p, name: v}, stateful: true}"),
            new Create(
                    "LxdRemote",
                    "project must be one of allowedProjects",
                    "{url: 'unix:///var/lib/lxd/unix.socket', project: p1, allowedProjects: [p2]}"),
            new Create(
                    "SnapshotSchedule",
                    "set instances, instanceSelector, volumes or volumeSelector (any combination)",
                    "{remoteRef: {name: r}, schedule: '@daily', instances: []}"));

    static final String VOLUME_EXPORT = "{remoteRef: {name: r}, volume: {pool: p, name: v}, storeRef: {name: st}}";
    static final String VOLUME_SNAPSHOT = "{remoteRef: {name: r}, volume: {pool: p, name: v}}";

    static final List<Update> UPDATES = List.of(
            new Update(
                    "InstanceCopy",
                    "a promoted copy cannot be un-promoted: it is now the instance in use; to fail back, copy it to the"
                            + " repaired server with a new InstanceCopy (docs/instance-copy.md: Taking over and failing back)",
                    "{sourceRemoteRef: {name: r}, targetRemoteRef: {name: r2}, instance: c1, promote: true}",
                    "{\"promote\":false}"),
            new Update(
                    "InstanceExport",
                    "volume is immutable",
                    VOLUME_EXPORT,
                    "{\"volume\":{\"pool\":\"p\",\"name\":\"v2\"}}"),
            new Update(
                    "InstanceSnapshot",
                    "volume is immutable",
                    VOLUME_SNAPSHOT,
                    "{\"volume\":{\"pool\":\"p\",\"name\":\"v2\"}}"),
            new Update("InstanceExport", "remoteRef is immutable", EXPORT, "{\"remoteRef\":{\"name\":\"other\"}}"),
            new Update("InstanceExport", "instance is immutable", EXPORT, "{\"instance\":\"c2\"}"),
            new Update("InstanceExport", "project is immutable", EXPORT, "{\"project\":\"p2\"}"),
            new Update("InstanceExport", "storeRef is immutable", EXPORT, "{\"storeRef\":{\"name\":\"other\"}}"),
            new Update("InstanceExport", "key is immutable", EXPORT, "{\"key\":\"a/c.tar\"}"),
            new Update("InstanceExport", "compression is immutable", EXPORT, "{\"compression\":\"gzip\"}"),
            new Update("InstanceExport", "optimizedStorage is immutable", EXPORT, "{\"optimizedStorage\":true}"),
            new Update("InstanceExport", "instanceOnly is immutable", EXPORT, "{\"instanceOnly\":false}"),
            new Update("InstanceExport", "exportVersion is immutable", EXPORT, "{\"exportVersion\":1}"),
            new Update(
                    "InstanceRestore",
                    "spec is immutable; create a new InstanceRestore to restore again",
                    RESTORE,
                    "{\"instance\":\"c2\"}"),
            new Update("InstanceSnapshot", "remoteRef is immutable", SNAPSHOT, "{\"remoteRef\":{\"name\":\"other\"}}"),
            new Update("InstanceSnapshot", "instance is immutable", SNAPSHOT, "{\"instance\":\"c2\"}"),
            new Update("InstanceSnapshot", "project is immutable", SNAPSHOT, "{\"project\":null}"),
            new Update("InstanceSnapshot", "snapshotName is immutable", SNAPSHOT, "{\"snapshotName\":\"s2\"}"),
            new Update("InstanceSnapshot", "stateful is immutable", SNAPSHOT, "{\"stateful\":true}"),
            new Update(
                    "InstanceSnapshot",
                    "diskVolumesMode is immutable",
                    SNAPSHOT,
                    "{\"diskVolumesMode\":\"all-exclusive\"}"),
            new Update("InstanceSnapshot", "reuse is immutable", SNAPSHOT, "{\"reuse\":true}"),
            new Update("InstanceSnapshot", "deletionPolicy is immutable", SNAPSHOT, "{\"deletionPolicy\":\"Retain\"}"),
            new Update(
                    "InstanceSnapshot",
                    "set at most one of expiresAt, ttl and noExpiry=true",
                    SNAPSHOT,
                    "{\"expiresAt\":\"2030-01-01T00:00:00Z\"}"));

    static String yaml(String kind, String name, String spec) {
        return "apiVersion: lxdbackup.io/v1alpha1\nkind: " + kind + "\nmetadata: {name: " + name + ", namespace: " + NS
                + "}\nspec: " + spec + "\n";
    }

    @Test
    void everyRuleRefusesAViolatingCreateWithItsMessage() throws Exception {
        int i = 0;
        for (Create c : CREATES) {
            String name = "create-" + i++;
            String out = cluster.kubectlFails(yaml(c.kind(), name, c.spec()), "apply", "-f", "-");
            assertThat(out).as(c.kind() + ": " + c.message()).contains(c.message());
            assertThat(E2eObjects.get(cluster, NS, plural(c.kind()), name))
                    .as("refused object not stored")
                    .isNull();
        }
    }

    @Test
    void everyImmutabilityRuleRefusesAViolatingUpdateAndAnAllowedUpdatePasses() throws Exception {
        int i = 0;
        for (Update u : UPDATES) {
            String name = "update-" + i++;
            cluster.kubectlIn(yaml(u.kind(), name, u.spec()), "apply", "-f", "-");
            String out = cluster.kubectlFails(
                    null,
                    "patch",
                    plural(u.kind()),
                    name,
                    "-n",
                    NS,
                    "--type=merge",
                    "-p",
                    "{\"spec\":" + u.patch() + "}");
            assertThat(out).as(u.kind() + ": " + u.message()).contains(u.message());
            // what may change still can: a label (every kind), and the expiry where the kind has one
            cluster.kubectl("label", plural(u.kind()), name, "-n", NS, "team=e2e", "--overwrite");
            if (u.kind().equals("InstanceCopy")) {
                cluster.kubectl(
                        "patch",
                        plural(u.kind()),
                        name,
                        "-n",
                        NS,
                        "--type=merge",
                        "-p",
                        "{\"spec\":{\"suspend\":true}}");
            } else if (!u.kind().equals("InstanceRestore")) {
                cluster.kubectl(
                        "patch", plural(u.kind()), name, "-n", NS, "--type=merge", "-p", "{\"spec\":{\"ttl\":\"2h\"}}");
            }
            cluster.kubectl("delete", plural(u.kind()), name, "-n", NS, "--wait=false");
        }
    }

    @Test
    void theTablesNameEveryRuleTheServerEnforces() {
        Set<String> onServer = new TreeSet<>();
        for (CustomResourceDefinition crd : cluster.admin
                .apiextensions()
                .v1()
                .customResourceDefinitions()
                .list()
                .getItems()) {
            if (crd.getSpec().getGroup().equals("lxdbackup.io")) {
                collect(
                        crd.getSpec().getNames().getKind(),
                        crd.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema(),
                        onServer);
            }
        }
        Set<String> tested = new TreeSet<>();
        CREATES.forEach(c -> tested.add(c.kind() + ": " + c.message()));
        UPDATES.forEach(u -> tested.add(u.kind() + ": " + u.message()));
        assertThat(onServer).isNotEmpty();
        assertThat(tested).containsAll(onServer);
    }

    private static void collect(String kind, JSONSchemaProps s, Set<String> out) {
        if (s == null) {
            return;
        }
        if (s.getXKubernetesValidations() != null) {
            for (ValidationRule r : s.getXKubernetesValidations()) {
                out.add(kind + ": " + r.getMessage());
            }
        }
        if (s.getProperties() != null) {
            s.getProperties().values().forEach(p -> collect(kind, p, out));
        }
        if (s.getItems() != null) {
            collect(kind, s.getItems().getSchema(), out);
        }
        if (s.getAdditionalProperties() != null) {
            collect(kind, s.getAdditionalProperties().getSchema(), out);
        }
    }

    static String plural(String kind) {
        return switch (kind) {
            case "InstanceCopy" -> "instancecopies";
            default -> kind.toLowerCase() + "s";
        };
    }
}
