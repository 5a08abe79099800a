package io.lxdbackup.operator.rbac;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.lxdbackup.operator.api.v1alpha1.AccessMode;
import io.lxdbackup.operator.api.v1alpha1.BackupStore;
import io.lxdbackup.operator.api.v1alpha1.BackupStorePhase;
import io.lxdbackup.operator.api.v1alpha1.BackupVerification;
import io.lxdbackup.operator.api.v1alpha1.BackupVerificationPhase;
import io.lxdbackup.operator.api.v1alpha1.BackupVerificationSpec;
import io.lxdbackup.operator.api.v1alpha1.ExportSchedule;
import io.lxdbackup.operator.api.v1alpha1.ExportScheduleSpec;
import io.lxdbackup.operator.api.v1alpha1.ExportTemplate;
import io.lxdbackup.operator.api.v1alpha1.InstanceCopy;
import io.lxdbackup.operator.api.v1alpha1.InstanceCopyPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceCopySpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceExport;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportSpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestore;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestorePhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestoreSpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshot;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotSpec;
import io.lxdbackup.operator.api.v1alpha1.LxdRemote;
import io.lxdbackup.operator.api.v1alpha1.LxdRemotePhase;
import io.lxdbackup.operator.api.v1alpha1.LxdRemoteSpec;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.api.v1alpha1.RestoreDrillSpec;
import io.lxdbackup.operator.api.v1alpha1.RestoreSource;
import io.lxdbackup.operator.api.v1alpha1.RetentionSpec;
import io.lxdbackup.operator.api.v1alpha1.SchedulePhase;
import io.lxdbackup.operator.api.v1alpha1.SecretKeyRef;
import io.lxdbackup.operator.api.v1alpha1.SnapshotSchedule;
import io.lxdbackup.operator.api.v1alpha1.SnapshotScheduleSpec;
import io.lxdbackup.operator.api.v1alpha1.VerificationLevel;
import io.lxdbackup.operator.controller.ScheduleReconcilerBase;
import io.lxdbackup.operator.local.InMemoryApiServer;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.testing.Fixtures;
import io.lxdbackup.operator.testing.LxdRig;
import io.lxdbackup.operator.testing.MutableClock;
import io.lxdbackup.operator.testing.OperatorHarness;
import io.lxdbackup.operator.testing.S3Server;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Every Kubernetes API request the operator makes in a run through all of its controllers is
 * allowed by the RBAC rules {@code helm template} renders from the chart, and every granted
 * permission is used in that run or listed, with its reason, in {@link #NOT_EXERCISED}.
 *
 * <p>The operator runs as in production (leader election on, watching namespace {@value #NS}
 * as with {@code watchNamespaces}) against the in-memory API server, the real LXD rig (both
 * daemons) and an in-process s3proxy; an HTTP interceptor on the operator's own client records
 * each request (method, path, query, body), which is mapped to (namespace, apiGroup,
 * resource[/subresource], verb) the way kube-apiserver's RequestInfo does. Creating an object
 * whose ownerReference has {@code blockOwnerDeletion: true} also needs {@code update} on the
 * owner's {@code /finalizers} (admission plugin OwnerReferencesPermissionEnforcement), so such
 * creates add that requirement. The requests are checked against both renders of the chart: the
 * ClusterRole (default values) and the per-namespace Role ({@code watchNamespaces}).
 *
 * <p>To cover a new controller, add a {@link Step} to {@link #scenario}.
 */
@Tag("lxd")
class RbacAuditLxdTest {
    static final String NS = Fixtures.NS;
    static final String GROUP = "lxdbackup.io";
    static final Duration T = Duration.ofSeconds(90);
    /** For steps that move a backup through s3proxy or between the daemons. */
    static final Duration LONG = Duration.ofMinutes(4);

    static final String BUCKET = "rbac-audit";
    static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Granted, but not used by the run: each with the reason it is granted anyway. A grant that is
     * neither used nor listed here fails the test (drop it from the chart, or explain it).
     */
    static final Map<String, String> NOT_EXERCISED = Map.of(
            GROUP + "/snapshotschedules:get",
            "JOSDK re-reads the object when its finalizer patch conflicts (ReconciliationDispatcher.conflictRetryingPatch)",
            GROUP + "/backupverifications:get",
            "JOSDK re-reads the object when its finalizer patch conflicts (ReconciliationDispatcher.conflictRetryingPatch)",
            GROUP + "/snapshotschedules/finalizers:update",
            "a schedule's children carry an ownerReference with blockOwnerDeletion only under backupsOnDeletion: Delete"
                    + " (default Retain keeps them apart); LifecycleE2ETest uses it against the real API server",
            GROUP + "/exportschedules/finalizers:update",
            "as for snapshotschedules: ownerReferences of children only under backupsOnDeletion: Delete",
            "coordination.k8s.io/leases:update",
            "JOSDK refuses to start leader election unless a SelfSubjectRulesReview grants get, create and update on"
                    + " leases (seen against a real API server); fabric8's LeaderElector itself renews with patch");

    /**
     * Requests Kubernetes allows every authenticated user through its default ClusterRoles, so
     * the chart need not (and does not) grant them.
     */
    static final Map<String, String> CLUSTER_DEFAULTS = Map.of(
            "authorization.k8s.io/selfsubjectrulesreviews:create",
            "JOSDK checks its Lease access before leader election; allowed by system:basic-user");

    /** One part of the representative run. */
    record Step(String name, Runnable action) {}

    /** One recorded request, mapped to RBAC terms. */
    record Access(String namespace, String group, String resource, String verb, String request) {
        String key() {
            return group + "/" + resource + ":" + verb;
        }
    }

    /** One rendered rule triple, cluster-wide (namespace null) or in one namespace. */
    record Grant(String namespace, String group, String resource, String verb) {
        String key() {
            return group + "/" + resource + ":" + verb;
        }
    }

    final ConcurrentLinkedQueue<String[]> recorded = new ConcurrentLinkedQueue<>(); // {method, uri, body}
    final List<String> onB = new ArrayList<>();
    LxdRig rig;
    MutableClock clock;
    OperatorHarness op;
    KubernetesClient kube;
    LxdClient lxd;
    LxdClient lxdB;
    S3Server s3;
    String instance;

    @Test
    void everyApiCallIsGrantedAndEveryGrantIsUsed() throws Exception {
        rig = LxdRig.require();
        List<Grant> clusterGrants = renderedGrants();
        List<Grant> roleGrants = renderedGrants("--set", "watchNamespaces={" + NS + "}");
        assertThat(clusterGrants).as("rendered RBAC rules").isNotEmpty();
        assertThat(clusterGrants)
                .as("default values: a ClusterRole (and the Lease Role)")
                .anyMatch(g -> g.namespace() == null);
        assertThat(roleGrants).as("watchNamespaces: Roles only, in " + NS).allMatch(g -> NS.equals(g.namespace()));
        assertThat(keys(roleGrants))
                .as("the Role variant grants what the ClusterRole grants")
                .isEqualTo(keys(clusterGrants));

        clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.HOURS).plusSeconds(60));
        op = new OperatorHarness(clock, Duration.ofSeconds(1))
                .withLeaderElection(NS)
                .withNamespaces(List.of(NS))
                .withOperatorClient(b ->
                        b.withHttpClientBuilderConsumer(h -> h.addOrReplaceInterceptor("rbac-audit", new Interceptor() {
                            @Override
                            public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
                                recorded.add(new String[] {
                                    request.method(), request.uri().toString(), request.bodyString()
                                });
                            }
                        })));
        lxd = rig.clientA();
        lxdB = rig.clientB();
        try {
            s3 = S3Server.start();
            try (S3Client raw = s3.rawClient()) {
                raw.createBucket(b -> b.bucket(BUCKET));
            }
            op.start();
            kube = op.kube();
            instance = rig.createInstance(lxd, "rbac");
            for (Step s : scenario()) {
                try {
                    s.action().run();
                } catch (RuntimeException | AssertionError e) {
                    throw new AssertionError("scenario step failed: " + s.name(), e);
                }
            }
        } finally {
            op.close();
            LxdRig.deleteQuietly(lxd, instance);
            LxdRig.deleteQuietly(lxdB, onB.toArray(String[]::new));
            lxd.close();
            lxdB.close();
            if (s3 != null) {
                s3.close();
            }
        }

        Map<String, String> plurals = pluralsByKind();
        List<Access> accesses = new ArrayList<>();
        List<String> unmapped = new ArrayList<>();
        for (String[] r : recorded) {
            Access a = access(r[0], URI.create(r[1]));
            if (a == null) {
                unmapped.add(r[0] + " " + r[1]);
                continue;
            }
            accesses.add(a);
            if (a.verb().equals("create")) {
                accesses.addAll(ownerFinalizerAccesses(a, r[2], plurals));
            }
        }
        assertThat(unmapped)
                .as("requests that are not resource requests (discovery is not expected)")
                .isEmpty();

        // 1. everything the operator did is granted, by either render of the chart
        for (List<Grant> grants : List.of(clusterGrants, roleGrants)) {
            List<String> denied = accesses.stream()
                    .filter(a -> !allowed(a, grants) && !CLUSTER_DEFAULTS.containsKey(a.key()))
                    .map(a -> a.key() + " in " + (a.namespace() == null ? "all namespaces" : a.namespace()) + " ("
                            + a.request() + ")")
                    .distinct()
                    .sorted()
                    .toList();
            assertThat(denied)
                    .as("API requests the rendered RBAC does not allow ("
                            + (grants == roleGrants ? "Role" : "ClusterRole") + ")")
                    .isEmpty();
        }

        // 2. everything granted was used, or is listed with a reason
        Set<String> used = accesses.stream().map(Access::key).collect(Collectors.toCollection(TreeSet::new));
        Set<String> granted = keys(clusterGrants);
        List<String> unusedUnexplained = granted.stream()
                .filter(g -> !used.contains(g) && !NOT_EXERCISED.containsKey(g))
                .toList();
        assertThat(unusedUnexplained)
                .as("granted but neither used by the run nor explained in NOT_EXERCISED")
                .isEmpty();
        // the allow-list must not go stale: entries that are used now, or no longer granted, go
        List<String> staleAllowList = NOT_EXERCISED.keySet().stream()
                .filter(k -> used.contains(k) || !granted.contains(k))
                .toList();
        assertThat(staleAllowList)
                .as("NOT_EXERCISED entries that are used by the run or not granted")
                .isEmpty();

        System.out.println(
                "RBAC audit: " + recorded.size() + " requests, " + used.size() + " distinct permissions used: " + used);
    }

    static Set<String> keys(List<Grant> grants) {
        return grants.stream().map(Grant::key).collect(Collectors.toCollection(TreeSet::new));
    }

    /** The representative run: every controller, with the paths that write to Kubernetes. */
    List<Step> scenario() {
        return List.of(
                new Step(
                        "leader election takes the Lease",
                        () -> await().atMost(T).until(() -> recorded.stream().anyMatch(r -> r[1].contains("/leases")))),
                new Step(
                        "LxdRemote enrols with a trust token and creates its client certificate Secret",
                        this::remoteWithToken),
                new Step("LxdRemote for the second daemon becomes Ready", this::remoteB),
                new Step("BackupStore on s3proxy becomes Available", this::store),
                new Step(
                        "InstanceSnapshot becomes Ready, an InstanceRestore by snapshotRef restores it, the snapshot is deleted",
                        this::snapshotRestoreDelete),
                new Step(
                        "SnapshotSchedule fires twice and retention prunes, then is deleted",
                        this::scheduleFiresAndPrunes),
                new Step(
                        "InstanceExport completes, an InstanceRestore by exportRef imports it on the second daemon, a BackupVerification"
                                + " drills it there, the export is deleted",
                        this::exportRestoreDelete),
                new Step(
                        "ExportSchedule fires twice and retention prunes, then is deleted",
                        this::exportScheduleFiresAndPrunes),
                new Step("InstanceCopy copies to the second daemon and is deleted", this::copyAndDelete),
                new Step(
                        "A remote's Secret is deleted: a dependent reads the namespace (is it being deleted?) and reports"
                                + " SecretMissing; the remote, then deleted, waits for it (InUse); the store is deleted",
                        this::remoteInUse));
    }

    void remoteWithToken() {
        String token = lxd.createTrustToken("rbac-audit-" + System.nanoTime());
        kube.secrets()
                .inNamespace(NS)
                .resource(Fixtures.trustToken("rbac-token", token))
                .create();
        LxdRemote r = new LxdRemote();
        r.getMetadata().setName("rbac");
        r.getMetadata().setNamespace(NS);
        LxdRemoteSpec spec = new LxdRemoteSpec();
        spec.setUrl(rig.get("a.url"));
        spec.setClientCertificateSecretRef(new ObjectRef("rbac-client"));
        spec.setServerCertificateFingerprint(rig.get("a.fingerprint"));
        spec.setTrustTokenSecretRef(new SecretKeyRef("rbac-token", "token"));
        spec.setProbeInterval("5m");
        r.setSpec(spec);
        kube.resource(r).create();
        awaitRemoteReady("rbac");
        assertThat(kube.secrets().inNamespace(NS).withName("rbac-client").get()).isNotNull();
    }

    void remoteB() {
        Fixtures.remote(kube, rig, "rbac-b", "b", "5m");
        awaitRemoteReady("rbac-b");
    }

    void awaitRemoteReady(String name) {
        await().atMost(T).until(() -> {
            LxdRemote x = kube.resources(LxdRemote.class)
                    .inNamespace(NS)
                    .withName(name)
                    .get();
            return x != null && x.getStatus() != null && x.getStatus().getPhase() == LxdRemotePhase.READY;
        });
    }

    void store() {
        Fixtures.backupStore(
                kube,
                "rbac-s3",
                s3.endpoint(),
                BUCKET,
                "audit/",
                S3Server.IDENTITY,
                S3Server.CREDENTIAL,
                AccessMode.READ_WRITE);
        await().atMost(T).until(() -> {
            BackupStore x = kube.resources(BackupStore.class)
                    .inNamespace(NS)
                    .withName("rbac-s3")
                    .get();
            return x != null && x.getStatus() != null && x.getStatus().getPhase() == BackupStorePhase.AVAILABLE;
        });
    }

    void snapshotRestoreDelete() {
        InstanceSnapshot s = new InstanceSnapshot();
        s.getMetadata().setName("rbac-snap");
        s.getMetadata().setNamespace(NS);
        InstanceSnapshotSpec spec = new InstanceSnapshotSpec();
        spec.setRemoteRef(new ObjectRef("rbac"));
        spec.setInstance(instance);
        s.setSpec(spec);
        kube.resource(s).create();
        await().atMost(T).until(() -> {
            InstanceSnapshot x = kube.resources(InstanceSnapshot.class)
                    .inNamespace(NS)
                    .withName("rbac-snap")
                    .get();
            return x != null && x.getStatus() != null && x.getStatus().getPhase() == InstanceSnapshotPhase.READY;
        });
        RestoreSource source = new RestoreSource();
        source.setSnapshotRef(new ObjectRef("rbac-snap"));
        kube.resource(restore("rbac-restore-snap", "rbac", instance, source)).create();
        awaitRestoreCompleted("rbac-restore-snap", T);
        kube.resources(InstanceSnapshot.class)
                .inNamespace(NS)
                .withName("rbac-snap")
                .delete();
        await().atMost(T)
                .until(() -> kube.resources(InstanceSnapshot.class)
                                .inNamespace(NS)
                                .withName("rbac-snap")
                                .get()
                        == null);
        await().atMost(T).until(() -> lxd.listSnapshots(instance).isEmpty());
    }

    void scheduleFiresAndPrunes() {
        SnapshotSchedule s = new SnapshotSchedule();
        s.getMetadata().setName("rbac-hourly");
        s.getMetadata().setNamespace(NS);
        SnapshotScheduleSpec spec = new SnapshotScheduleSpec();
        spec.setRemoteRef(new ObjectRef("rbac"));
        spec.setSchedule("@hourly");
        spec.setInstances(List.of(instance));
        spec.setIncludeStopped(true);
        spec.setRetention(keepLast(1));
        s.setSpec(spec);
        kube.resource(s).create();
        await().atMost(T).until(() -> {
            SnapshotSchedule x = kube.resources(SnapshotSchedule.class)
                    .inNamespace(NS)
                    .withName("rbac-hourly")
                    .get();
            return x != null && x.getStatus() != null && x.getStatus().getPhase() == SchedulePhase.ACTIVE;
        });
        for (int run = 1; run <= 2; run++) {
            // a run still in progress when the next is due makes that one skip (concurrencyPolicy Forbid)
            await().atMost(T)
                    .until(() -> children(InstanceSnapshot.class, "rbac-hourly").stream()
                            .allMatch(c ->
                                    c.getStatus() != null && c.getStatus().getPhase() == InstanceSnapshotPhase.READY));
            clock.advance(Duration.ofHours(1));
            String due = clock.instant().truncatedTo(ChronoUnit.HOURS).toString();
            await().atMost(T).until(() -> {
                List<InstanceSnapshot> c = children(InstanceSnapshot.class, "rbac-hourly");
                return c.size() == 1
                        && due.equals(scheduledTime(c.get(0)))
                        && c.get(0).getStatus() != null
                        && c.get(0).getStatus().getPhase() == InstanceSnapshotPhase.READY;
            });
        }
        awaitPruned("rbac-hourly");
        kube.resources(SnapshotSchedule.class)
                .inNamespace(NS)
                .withName("rbac-hourly")
                .delete();
        await().atMost(T)
                .until(() -> kube.resources(SnapshotSchedule.class)
                                .inNamespace(NS)
                                .withName("rbac-hourly")
                                .get()
                        == null);
        deleteChildrenAsCollector(InstanceSnapshot.class, "rbac-hourly");
    }

    void exportRestoreDelete() {
        InstanceExport e = new InstanceExport();
        e.getMetadata().setName("rbac-export");
        e.getMetadata().setNamespace(NS);
        InstanceExportSpec spec = new InstanceExportSpec();
        spec.setRemoteRef(new ObjectRef("rbac"));
        spec.setInstance(instance);
        spec.setStoreRef(new ObjectRef("rbac-s3"));
        e.setSpec(spec);
        kube.resource(e).create();
        await().atMost(LONG).until(() -> {
            InstanceExport x = kube.resources(InstanceExport.class)
                    .inNamespace(NS)
                    .withName("rbac-export")
                    .get();
            return x != null && x.getStatus() != null && x.getStatus().getPhase() == InstanceExportPhase.COMPLETED;
        });
        String target = LxdRig.uniqueName("rbac-imp");
        onB.add(target);
        RestoreSource source = new RestoreSource();
        source.setExportRef(new ObjectRef("rbac-export"));
        kube.resource(restore("rbac-restore-export", "rbac-b", target, source)).create();
        awaitRestoreCompleted("rbac-restore-export", LONG);
        assertThat(lxdB.instanceExists(target))
                .as("imported on the second daemon")
                .isTrue();
        // a restore drill of the export on the second daemon: the verification's finalizer and status,
        // the export's Verified condition
        BackupVerification v = new BackupVerification();
        v.getMetadata().setName("rbac-verify");
        v.getMetadata().setNamespace(NS);
        BackupVerificationSpec vs = new BackupVerificationSpec();
        vs.setLevel(VerificationLevel.RESTORE);
        RestoreDrillSpec drill = new RestoreDrillSpec();
        drill.setRemoteRef(new ObjectRef("rbac-b"));
        vs.setRestore(drill);
        v.setSpec(vs);
        kube.resource(v).create();
        await().atMost(LONG).until(() -> {
            BackupVerification x = kube.resources(BackupVerification.class)
                    .inNamespace(NS)
                    .withName("rbac-verify")
                    .get();
            return x != null && x.getStatus() != null && x.getStatus().getPhase() == BackupVerificationPhase.PASSED;
        });
        kube.resources(BackupVerification.class)
                .inNamespace(NS)
                .withName("rbac-verify")
                .delete();
        await().atMost(T)
                .until(() -> kube.resources(BackupVerification.class)
                                .inNamespace(NS)
                                .withName("rbac-verify")
                                .get()
                        == null);
        kube.resources(InstanceExport.class)
                .inNamespace(NS)
                .withName("rbac-export")
                .delete();
        await().atMost(T)
                .until(() -> kube.resources(InstanceExport.class)
                                .inNamespace(NS)
                                .withName("rbac-export")
                                .get()
                        == null);
    }

    void exportScheduleFiresAndPrunes() {
        ExportSchedule s = new ExportSchedule();
        s.getMetadata().setName("rbac-exports");
        s.getMetadata().setNamespace(NS);
        ExportScheduleSpec spec = new ExportScheduleSpec();
        spec.setRemoteRef(new ObjectRef("rbac"));
        spec.setSchedule("@hourly");
        spec.setInstances(List.of(instance));
        spec.setRetention(keepLast(1));
        ExportTemplate t = new ExportTemplate();
        t.setStoreRef(new ObjectRef("rbac-s3"));
        spec.setExportTemplate(t);
        s.setSpec(spec);
        kube.resource(s).create();
        await().atMost(T).until(() -> {
            ExportSchedule x = kube.resources(ExportSchedule.class)
                    .inNamespace(NS)
                    .withName("rbac-exports")
                    .get();
            return x != null && x.getStatus() != null && x.getStatus().getPhase() == SchedulePhase.ACTIVE;
        });
        for (int run = 1; run <= 2; run++) {
            // a run still in progress when the next is due makes that one skip (concurrencyPolicy Forbid)
            await().atMost(LONG)
                    .until(() -> children(InstanceExport.class, "rbac-exports").stream()
                            .allMatch(c -> c.getStatus() != null
                                    && c.getStatus().getPhase() == InstanceExportPhase.COMPLETED));
            clock.advance(Duration.ofHours(1));
            String due = clock.instant().truncatedTo(ChronoUnit.HOURS).toString();
            await().atMost(LONG).until(() -> {
                List<InstanceExport> c = children(InstanceExport.class, "rbac-exports");
                return c.size() == 1
                        && due.equals(scheduledTime(c.get(0)))
                        && c.get(0).getStatus() != null
                        && c.get(0).getStatus().getPhase() == InstanceExportPhase.COMPLETED;
            });
        }
        awaitPruned("rbac-exports");
        kube.resources(ExportSchedule.class)
                .inNamespace(NS)
                .withName("rbac-exports")
                .delete();
        await().atMost(T)
                .until(() -> kube.resources(ExportSchedule.class)
                                .inNamespace(NS)
                                .withName("rbac-exports")
                                .get()
                        == null);
        deleteChildrenAsCollector(InstanceExport.class, "rbac-exports");
    }

    void copyAndDelete() {
        String target = LxdRig.uniqueName("rbac-copy");
        onB.add(target);
        InstanceCopy c = new InstanceCopy();
        c.getMetadata().setName("rbac-copy");
        c.getMetadata().setNamespace(NS);
        InstanceCopySpec spec = new InstanceCopySpec();
        spec.setSourceRemoteRef(new ObjectRef("rbac"));
        spec.setTargetRemoteRef(new ObjectRef("rbac-b"));
        spec.setInstance(instance);
        spec.setTargetInstance(target);
        c.setSpec(spec);
        kube.resource(c).create();
        await().atMost(LONG).until(() -> {
            InstanceCopy x = kube.resources(InstanceCopy.class)
                    .inNamespace(NS)
                    .withName("rbac-copy")
                    .get();
            return x != null && x.getStatus() != null && x.getStatus().getPhase() == InstanceCopyPhase.SYNCED;
        });
        assertThat(lxdB.instanceExists(target))
                .as("copied to the second daemon")
                .isTrue();
        kube.resources(InstanceCopy.class).inNamespace(NS).withName("rbac-copy").delete();
        await().atMost(T)
                .until(() -> kube.resources(InstanceCopy.class)
                                .inNamespace(NS)
                                .withName("rbac-copy")
                                .get()
                        == null);
    }

    void remoteInUse() {
        kube.secrets().inNamespace(NS).withName("rbac-b-client").delete();
        try {
            // past the operator's recent reads (2 s), which may still hold the Secret
            Thread.sleep(3000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        InstanceSnapshot s = new InstanceSnapshot();
        s.getMetadata().setName("rbac-no-secret");
        s.getMetadata().setNamespace(NS);
        InstanceSnapshotSpec spec = new InstanceSnapshotSpec();
        spec.setRemoteRef(new ObjectRef("rbac-b"));
        spec.setInstance(instance);
        s.setSpec(spec);
        kube.resource(s).create();
        await().atMost(T).until(() -> {
            InstanceSnapshot x = kube.resources(InstanceSnapshot.class)
                    .inNamespace(NS)
                    .withName("rbac-no-secret")
                    .get();
            return x != null
                    && x.getStatus() != null
                    && x.getStatus()
                            .findCondition("Ready")
                            .map(c -> "SecretMissing".equals(c.getReason()))
                            .orElse(false);
        });
        assertThat(recorded).as("the namespace was read").anyMatch(r -> r[1].endsWith("/api/v1/namespaces/" + NS));
        kube.resources(LxdRemote.class).inNamespace(NS).withName("rbac-b").delete();
        await().atMost(T).until(() -> {
            LxdRemote x = kube.resources(LxdRemote.class)
                    .inNamespace(NS)
                    .withName("rbac-b")
                    .get();
            return x != null
                    && x.getStatus() != null
                    && x.getStatus()
                            .findCondition("Deleting")
                            .map(c -> "InUse".equals(c.getReason()))
                            .orElse(false);
        });
        kube.resources(InstanceSnapshot.class)
                .inNamespace(NS)
                .withName("rbac-no-secret")
                .delete();
        kube.resources(BackupStore.class).inNamespace(NS).withName("rbac-s3").delete();
        await().atMost(T)
                .until(() -> kube.resources(LxdRemote.class)
                                        .inNamespace(NS)
                                        .withName("rbac-b")
                                        .get()
                                == null
                        && kube.resources(BackupStore.class)
                                        .inNamespace(NS)
                                        .withName("rbac-s3")
                                        .get()
                                == null);
    }

    static RetentionSpec keepLast(int n) {
        RetentionSpec keep = new RetentionSpec();
        keep.setKeepLast(n);
        return keep;
    }

    static InstanceRestore restore(String name, String remote, String target, RestoreSource source) {
        InstanceRestore r = new InstanceRestore();
        r.getMetadata().setName(name);
        r.getMetadata().setNamespace(NS);
        InstanceRestoreSpec spec = new InstanceRestoreSpec();
        spec.setRemoteRef(new ObjectRef(remote));
        spec.setInstance(target);
        spec.setSource(source);
        r.setSpec(spec);
        return r;
    }

    void awaitRestoreCompleted(String name, Duration timeout) {
        await().atMost(timeout).until(() -> {
            InstanceRestore x = kube.resources(InstanceRestore.class)
                    .inNamespace(NS)
                    .withName(name)
                    .get();
            if (x != null && x.getStatus() != null && x.getStatus().getPhase() == InstanceRestorePhase.FAILED) {
                throw new AssertionError(
                        "InstanceRestore " + name + " failed: " + x.getStatus().getConditions());
            }
            return x != null && x.getStatus() != null && x.getStatus().getPhase() == InstanceRestorePhase.COMPLETED;
        });
    }

    void awaitPruned(String schedule) {
        await().atMost(T)
                .until(() -> kube.v1().events().inNamespace(NS).list().getItems().stream()
                        .anyMatch(e -> "Pruned".equals(e.getReason())
                                && schedule.equals(e.getInvolvedObject().getName())));
    }

    static String scheduledTime(HasMetadata child) {
        return child.getMetadata().getAnnotations().get(ScheduleReconcilerBase.ANNOTATION_SCHEDULED_TIME);
    }

    <C extends HasMetadata> List<C> children(Class<C> type, String schedule) {
        return kube
                .resources(type)
                .inNamespace(NS)
                .withLabel(ScheduleReconcilerBase.LABEL_SCHEDULE, schedule)
                .list()
                .getItems()
                .stream()
                .filter(c -> c.getMetadata().getDeletionTimestamp() == null)
                .toList();
    }

    /**
     * Children go with their schedule only through Kubernetes' garbage collector, which the
     * in-memory API server does not run: delete them as the collector would, and wait until their
     * controller's cleanup has let them go.
     */
    <C extends HasMetadata> void deleteChildrenAsCollector(Class<C> type, String schedule) {
        kube.resources(type)
                .inNamespace(NS)
                .withLabel(ScheduleReconcilerBase.LABEL_SCHEDULE, schedule)
                .delete();
        await().atMost(T)
                .until(() -> kube.resources(type)
                        .inNamespace(NS)
                        .withLabel(ScheduleReconcilerBase.LABEL_SCHEDULE, schedule)
                        .list()
                        .getItems()
                        .isEmpty());
    }

    // ------------------------------------------------------------------ request -> RBAC terms

    /**
     * Maps a request like kube-apiserver's RequestInfo: {@code /api/v1/...} is the core group,
     * {@code /apis/<group>/<version>/...}; then {@code namespaces/<ns>/}, resource, name,
     * subresource. Null for non-resource paths.
     */
    static Access access(String method, URI uri) {
        String[] p = uri.getRawPath().replaceAll("^/+", "").split("/");
        int i;
        String group;
        if (p.length >= 2 && p[0].equals("api")) {
            group = "";
            i = 2;
        } else if (p.length >= 3 && p[0].equals("apis")) {
            group = p[1];
            i = 3;
        } else {
            return null;
        }
        List<String> rest = new ArrayList<>();
        for (int k = i; k < p.length; k++) {
            rest.add(URLDecoder.decode(p[k], StandardCharsets.UTF_8));
        }
        if (rest.isEmpty()) {
            return null;
        }
        String ns = null;
        if (rest.size() >= 3 && rest.get(0).equals("namespaces")) {
            ns = rest.get(1);
            rest = rest.subList(2, rest.size());
        }
        String resource = rest.get(0);
        String name = rest.size() > 1 ? rest.get(1) : null;
        if (ns == null && resource.equals("namespaces") && name != null) {
            // kube-apiserver's RequestInfo: a request for a namespace itself is in that namespace, so a
            // Role there can grant it
            ns = name;
        }
        if (rest.size() > 2) {
            resource = resource + "/" + rest.get(2);
        }
        Map<String, String> query = query(uri);
        String verb = switch (method) {
            case "GET" ->
                name != null
                        ? "get"
                        : ("true".equals(query.get("watch")) || "1".equals(query.get("watch")) ? "watch" : "list");
            case "POST" -> "create";
            case "PUT" -> "update";
            case "PATCH" -> "patch";
            case "DELETE" -> name != null ? "delete" : "deletecollection";
            default -> method.toLowerCase();
        };
        return new Access(ns, group, resource, verb, method + " " + uri.getRawPath());
    }

    static Map<String, String> query(URI uri) {
        Map<String, String> q = new HashMap<>();
        if (uri.getRawQuery() != null) {
            for (String kv : uri.getRawQuery().split("&")) {
                int eq = kv.indexOf('=');
                q.put(
                        eq < 0 ? kv : kv.substring(0, eq),
                        eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return q;
    }

    /** {@code update} on each owner's {@code /finalizers} for ownerReferences with blockOwnerDeletion. */
    static List<Access> ownerFinalizerAccesses(Access create, String body, Map<String, String> plurals) {
        List<Access> out = new ArrayList<>();
        if (body == null || body.isBlank()) {
            return out;
        }
        try {
            JsonNode refs = JSON.readTree(body).path("metadata").path("ownerReferences");
            for (JsonNode ref : refs) {
                if (!ref.path("blockOwnerDeletion").asBoolean(false)) {
                    continue;
                }
                String apiVersion = ref.path("apiVersion").asText();
                String group = apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
                String plural = plurals.get(ref.path("kind").asText());
                assertThat(plural)
                        .as("plural of owner kind " + ref.path("kind").asText())
                        .isNotNull();
                out.add(new Access(
                        create.namespace(),
                        group,
                        plural + "/finalizers",
                        "update",
                        "blockOwnerDeletion in " + create.request()));
            }
        } catch (IOException e) {
            throw new AssertionError("unreadable request body of " + create.request(), e);
        }
        return out;
    }

    static Map<String, String> pluralsByKind() {
        Map<String, String> m = new HashMap<>();
        for (CustomResourceDefinition crd : InMemoryApiServer.loadCrds()) {
            m.put(crd.getSpec().getNames().getKind(), crd.getSpec().getNames().getPlural());
        }
        return m;
    }

    static boolean allowed(Access a, List<Grant> grants) {
        return grants.stream()
                .anyMatch(g -> g.group().equals(a.group())
                        && g.resource().equals(a.resource())
                        && g.verb().equals(a.verb())
                        && (g.namespace() == null || g.namespace().equals(a.namespace())));
    }

    // ------------------------------------------------------------------ rendered RBAC

    /** The chart's rules as rendered by {@code helm template} (release namespace {@value NS}, default values but {@code helmArgs}). */
    static List<Grant> renderedGrants(String... helmArgs) throws IOException, InterruptedException {
        Path root = Path.of("").toAbsolutePath();
        List<String> cmd = new ArrayList<>(List.of(
                "bash",
                "-c",
                "set -euo pipefail; eval \"$(hack/tools.sh)\"; \"$HELM\" template lxd-backup helm/lxd-backup-operator --namespace "
                        + NS + " \"$@\"",
                "render"));
        cmd.addAll(List.of(helmArgs));
        ProcessBuilder pb =
                new ProcessBuilder(cmd).directory(root.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT);
        Process proc = pb.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = proc.getInputStream()) {
            in.transferTo(out);
        }
        assertThat(proc.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(proc.exitValue())
                .as("helm template (via hack/tools.sh) exit code")
                .isZero();
        List<Grant> grants = new ArrayList<>();
        for (Object doc : new Yaml(new LoaderOptions()).loadAll(out.toString(StandardCharsets.UTF_8))) {
            if (!(doc instanceof Map<?, ?> m)) {
                continue;
            }
            Object kind = m.get("kind");
            if (!"ClusterRole".equals(kind) && !"Role".equals(kind)) {
                continue;
            }
            String ns = "Role".equals(kind) ? String.valueOf(((Map<?, ?>) m.get("metadata")).get("namespace")) : null;
            for (Object o : (List<?>) m.get("rules")) {
                Map<?, ?> rule = (Map<?, ?>) o;
                assertThat(rule.get("resourceNames"))
                        .as("resourceNames are not modelled by this test")
                        .isNull();
                for (Object g : (List<?>) rule.get("apiGroups")) {
                    for (Object r : (List<?>) rule.get("resources")) {
                        for (Object v : (List<?>) rule.get("verbs")) {
                            grants.add(new Grant(ns, String.valueOf(g), String.valueOf(r), String.valueOf(v)));
                        }
                    }
                }
            }
        }
        return grants;
    }
}
