package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.AccessMode;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.DeletionPolicy;
import io.lxdbackup.operator.api.v1alpha1.InstanceExport;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportSpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportStatus;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.testing.Fixtures;
import io.lxdbackup.operator.testing.IndependentS3Client;
import io.lxdbackup.operator.testing.LxdRig;
import io.lxdbackup.operator.testing.OperatorHarness;
import io.lxdbackup.operator.testing.S3Implementation;
import io.lxdbackup.operator.testing.S3TestServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Exports sharing an object key, against the real LXD rig and real S3 servers (s3proxy and
 * moto), every result read back with an independent client: an export only ever aborts,
 * overwrites or deletes what it wrote itself.
 */
@Tag("lxd")
class ExportKeyOwnershipLxdTest {
    static final Duration T = Duration.ofMinutes(2);
    static final String BUCKET = "owned";
    static final String PREFIX = "tenants/";
    static LxdRig rig;
    static OperatorHarness op;
    static KubernetesClient kube;
    static LxdClient lxd;

    record Target(S3TestServer server, String store, IndependentS3Client aws) {}

    static final Map<S3Implementation, Target> targets = new ConcurrentHashMap<>();
    static final List<String> instances = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() {
        rig = LxdRig.require();
        lxd = rig.clientA();
        op = new OperatorHarness(Clock.systemUTC()).start();
        kube = op.kube();
        Fixtures.remote(kube, rig, "lxd-a", "a", "5m");
    }

    static synchronized Target target(S3Implementation impl) throws Exception {
        Target t = targets.get(impl);
        if (t == null) {
            S3TestServer server = impl.start();
            targets.put(
                    impl,
                    t = new Target(
                            server,
                            "own-" + impl.id(),
                            server.independentClient(Files.createTempDirectory("own-" + impl.id()))));
            server.createBucket(BUCKET);
            Fixtures.backupStore(
                    kube,
                    t.store(),
                    server.endpoint(),
                    BUCKET,
                    PREFIX,
                    server.identity(),
                    server.credential(),
                    AccessMode.READ_WRITE);
        }
        return t;
    }

    @AfterAll
    static void stop() throws Exception {
        if (op != null) {
            op.close();
        }
        if (lxd != null) {
            LxdRig.deleteQuietly(lxd, instances.toArray(String[]::new));
            lxd.close();
        }
        for (Target t : targets.values()) {
            t.server().close();
        }
    }

    static String instance() {
        String n = rig.createInstance(lxd, "iown");
        instances.add(n);
        lxd.writeFile(n, "/root/data.txt", ("data of " + n + "\n").repeat(1000).getBytes(StandardCharsets.UTF_8), 0644);
        return n;
    }

    static InstanceExport create(String name, String instance, Target target, String key, DeletionPolicy policy) {
        InstanceExport e = new InstanceExport();
        e.getMetadata().setName(name);
        e.getMetadata().setNamespace(Fixtures.NS);
        InstanceExportSpec spec = new InstanceExportSpec();
        spec.setRemoteRef(new ObjectRef("lxd-a"));
        spec.setInstance(instance);
        spec.setStoreRef(new ObjectRef(target.store()));
        spec.setKey(key);
        spec.setDeletionPolicy(policy);
        e.setSpec(spec);
        return kube.resource(e).create();
    }

    static InstanceExport get(String name) {
        return kube.resources(InstanceExport.class)
                .inNamespace(Fixtures.NS)
                .withName(name)
                .get();
    }

    static InstanceExport awaitStatus(String name, Predicate<InstanceExportStatus> p) {
        await().atMost(T).pollInterval(Duration.ofMillis(250)).until(() -> {
            InstanceExport s = get(name);
            return s != null && s.getStatus() != null && p.test(s.getStatus());
        });
        return get(name);
    }

    static InstanceExport awaitCompleted(String name) {
        return awaitStatus(name, st -> st.getPhase() == InstanceExportPhase.COMPLETED);
    }

    static Condition awaitFailed(String name) {
        return awaitStatus(name, st -> st.getPhase() == InstanceExportPhase.FAILED)
                .getStatus()
                .findCondition(Condition.COMPLETE)
                .orElseThrow();
    }

    static void delete(String name) {
        kube.resources(InstanceExport.class)
                .inNamespace(Fixtures.NS)
                .withName(name)
                .delete();
        await().atMost(T).until(() -> get(name) == null);
    }

    static void putForeign(Target target, String key, String body) {
        try (S3Client raw = target.server().rawClient()) {
            raw.putObject(r -> r.bucket(BUCKET).key(key), RequestBody.fromString(body));
        }
    }

    static String read(Target target, String key) throws Exception {
        return new String(target.aws().readAll(BUCKET, key), StandardCharsets.UTF_8);
    }

    static List<Event> events(String involved, String reason) {
        return kube.v1().events().inNamespace(Fixtures.NS).list().getItems().stream()
                .filter(ev -> involved.equals(ev.getInvolvedObject().getName()) && reason.equals(ev.getReason()))
                .toList();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(S3Implementation.class)
    void twoExportsOnOneKeyTheSecondIsRefusedAndDeletingItKeepsTheFirstsObject(S3Implementation impl) throws Exception {
        Target target = target(impl);
        String inst = instance();
        String key = "shared/" + inst + ".tar.zst";
        String full = PREFIX + key;
        String first = "first-" + impl.id();
        String second = "second-" + impl.id();
        create(first, inst, target, key, DeletionPolicy.DELETE);
        InstanceExport a = awaitCompleted(first);
        String sha = a.getStatus().getObject().getSha256();
        byte[] before = target.aws().readAll(BUCKET, full);

        // same key, deletionPolicy Delete: refused before touching anything
        create(second, inst, target, key, DeletionPolicy.DELETE);
        Condition c = awaitFailed(second);
        assertThat(c.getReason()).isEqualTo(Reasons.ALREADY_EXISTS);
        assertThat(c.getMessage())
                .contains(full)
                .contains("InstanceExport " + Fixtures.NS + "/" + first)
                .contains(a.getMetadata().getUid());
        delete(second);

        // the first export's object and manifest are untouched
        assertThat(target.aws().readAll(BUCKET, full)).isEqualTo(before);
        assertThat(read(target, full + ".json"))
                .contains(sha)
                .contains(a.getMetadata().getUid());
        assertThat(target.aws().multipartUploads(BUCKET, PREFIX + "shared/").orElse(0))
                .isZero();

        // and the first export still deletes its own
        delete(first);
        assertThat(target.aws().head(BUCKET, full)).isEmpty();
        assertThat(target.aws().head(BUCKET, full + ".json")).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(S3Implementation.class)
    void anObjectTheOperatorDidNotWriteIsRefusedAndLeftAlone(S3Implementation impl) throws Exception {
        Target target = target(impl);
        String inst = instance();
        String key = "foreign/" + inst + ".tar";
        String full = PREFIX + key;
        putForeign(target, full, "someone else's backup");
        String name = "onforeign-" + impl.id();
        create(name, inst, target, key, DeletionPolicy.DELETE);
        Condition c = awaitFailed(name);
        assertThat(c.getReason()).isEqualTo(Reasons.ALREADY_EXISTS);
        assertThat(c.getMessage()).contains(full).contains("an object the operator did not write");
        delete(name);
        assertThat(read(target, full)).isEqualTo("someone else's backup");
        assertThat(target.aws().head(BUCKET, full + ".json")).isEmpty();
        assertThat(lxd.listBackups(inst)).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(S3Implementation.class)
    void deletingAnExportWhoseObjectWasReplacedLeavesTheReplacementAlone(S3Implementation impl) throws Exception {
        Target target = target(impl);
        String inst = instance();
        String name = "replaced-" + impl.id();
        create(name, inst, target, null, DeletionPolicy.DELETE);
        String full = awaitCompleted(name).getStatus().getObject().getKey();
        putForeign(target, full, "written over by someone else");
        delete(name);
        assertThat(read(target, full)).isEqualTo("written over by someone else");
        // the manifest was the export's own: it went with it
        assertThat(target.aws().head(BUCKET, full + ".json")).isEmpty();
        assertThat(events(name, Reasons.NOT_OWNED))
                .singleElement()
                .satisfies(ev -> assertThat(ev.getMessage()).contains(full).contains("did not write"));
    }
}
