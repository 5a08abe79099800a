package io.lxdbackup.operator.bench;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.CopyMode;
import io.lxdbackup.operator.api.v1alpha1.InstanceCopy;
import io.lxdbackup.operator.api.v1alpha1.InstanceCopyPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceCopySpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceCopyStatus;
import io.lxdbackup.operator.api.v1alpha1.LxdRemote;
import io.lxdbackup.operator.api.v1alpha1.LxdRemoteSpec;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.api.v1alpha1.RefreshStrategy;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.testing.CountingProxy;
import io.lxdbackup.operator.testing.Fixtures;
import io.lxdbackup.operator.testing.LxdRig;
import io.lxdbackup.operator.testing.OperatorHarness;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * Driver of {@code bench/copy-bench.sh} (not a test): {@code run <instance> <runs> <lxcConfDir>
 * <workDir>}. Daemon A holds {@code instance} (with a snapshot {@code s1}); every byte between
 * the daemons is counted by {@link CountingProxy}s in front of A (and of B for the relay): the
 * {@code lxc} client and the operator both address A through the proxy, and LXD's pull
 * migration dials the source at the URL the client gave (LXD's client puts it first in the
 * connection addresses), so the target's rsync stream runs through it too. Per run it prints
 * {@code RESULT case=<name> seconds=.. bytes=..} for:
 * <ul>
 *   <li>{@code lxc-copy} / {@code pull}: {@code lxc copy a:inst b:t1} / an InstanceCopy (mode pull) to t2;
 *   <li>then a small change on the source (a 4 KiB file, a snapshot): {@code lxc-refresh}
 *       ({@code lxc copy --refresh}) / {@code pull-refresh} (the InstanceCopy's next sync, default
 *       refreshStrategy Staging) / {@code pull-refresh-inplace} (a second InstanceCopy with
 *       refreshStrategy InPlace, whose first copy is not timed);
 *   <li>{@code by-hand}: {@code lxc export --compression=zstd} of A to a file, then
 *       {@code lxc import} on B / {@code relay}: an InstanceCopy in relay mode (bytes: both
 *       proxies; by hand: twice the file, out of A and into B).
 * </ul>
 */
public final class CopyBench {
    private CopyBench() {}

    static LxdRig rig;
    static Path lxcConf;
    static KubernetesClient kube;

    public static void main(String[] args) throws Exception {
        if (!args[0].equals("run")) {
            throw new IllegalArgumentException("usage: run <instance> <runs> <lxcConfDir> <workDir>");
        }
        String inst = args[1];
        int runs = Integer.parseInt(args[2]);
        lxcConf = Path.of(args[3]);
        Path work = Path.of(args[4]);
        rig = LxdRig.require();
        URI aUrl = URI.create(rig.get("a.url"));
        URI bUrl = URI.create(rig.get("b.url"));
        try (CountingProxy pa = new CountingProxy(aUrl.getHost(), aUrl.getPort());
                CountingProxy pb = new CountingProxy(bUrl.getHost(), bUrl.getPort());
                OperatorHarness op = new OperatorHarness().start();
                LxdClient b = rig.clientB()) {
            kube = op.kube();
            Fixtures.remote(kube, rig, "lxd-a", "a", "5m");
            Fixtures.remote(kube, rig, "lxd-b", "b", "5m");
            remoteVia("src", "a", "https://127.0.0.1:" + pa.port());
            remoteVia("dst", "b", "https://127.0.0.1:" + pb.port());
            lxc("remote", "add", "pa", "https://127.0.0.1:" + pa.port(), "--accept-certificate");
            lxc("remote", "add", "pb", "https://127.0.0.1:" + pb.port(), "--accept-certificate");
            String tag = Long.toString(ProcessHandle.current().pid());
            for (int run = 1; run <= runs; run++) {
                String t1 = "cb-lxc-" + tag + "-" + run;
                String t2 = "cb-op-" + tag + "-" + run;
                String t3 = "cb-relay-" + tag + "-" + run;
                String t4 = "cb-hand-" + tag + "-" + run;
                String t5 = "cb-inplace-" + tag + "-" + run;
                List<String> made = List.of(t1, t2, t3, t4, t5);
                try {
                    long[] m = mark(pa, pb);
                    lxc("copy", "pa:" + inst, "pb:" + t1);
                    report("lxc-copy", m, pa, pb);

                    m = mark(pa, pb);
                    String name = "pull-" + run;
                    kube.resource(copy(name, inst, t2, CopyMode.PULL)).create();
                    awaitSynced(name, 0);
                    report("pull", m, pa, pb);

                    // the same with refreshStrategy InPlace (its first copy is not timed)
                    String inPlace = "inplace-" + run;
                    InstanceCopy ip = copy(inPlace, inst, t5, CopyMode.PULL);
                    ip.getSpec().setRefreshStrategy(RefreshStrategy.IN_PLACE);
                    kube.resource(ip).create();
                    awaitSynced(inPlace, 0);

                    // a small change on the source, seen by every refresh
                    Path small = work.resolve("small.bin");
                    Files.write(small, new byte[4096]);
                    lxc("file", "push", small.toString(), "pa:" + inst + "/root/small-" + run + ".bin");
                    lxc("snapshot", "pa:" + inst, "r" + run);

                    m = mark(pa, pb);
                    lxc("copy", "pa:" + inst, "pb:" + t1, "--refresh");
                    report("lxc-refresh", m, pa, pb);

                    m = mark(pa, pb);
                    long gen = touch(name);
                    awaitSynced(name, gen);
                    report("pull-refresh", m, pa, pb);

                    m = mark(pa, pb);
                    long genIp = touch(inPlace);
                    awaitSynced(inPlace, genIp);
                    report("pull-refresh-inplace", m, pa, pb);

                    m = mark(pa, pb);
                    String relay = "relay-" + run;
                    InstanceCopy rc = copy(relay, inst, t3, CopyMode.RELAY);
                    rc.getSpec().setSourceRemoteRef(new ObjectRef("src"));
                    rc.getSpec().setTargetRemoteRef(new ObjectRef("dst"));
                    long rss0 = ExportBench.rssBytes();
                    AtomicLong rssPeak = new AtomicLong(rss0);
                    Thread sampler = Thread.ofPlatform().daemon().start(() -> {
                        while (!Thread.currentThread().isInterrupted()) {
                            rssPeak.accumulateAndGet(ExportBench.rssBytes(), Math::max);
                            try {
                                Thread.sleep(50);
                            } catch (InterruptedException e) {
                                return;
                            }
                        }
                    });
                    kube.resource(rc).create();
                    awaitSynced(relay, 0);
                    sampler.interrupt();
                    report("relay", m, pa, pb, " rssBaseMiB=" + (rss0 >> 20) + " rssPeakMiB=" + (rssPeak.get() >> 20));

                    Path file = work.resolve("hand.tar.zst");
                    Files.deleteIfExists(file);
                    long t0 = System.nanoTime();
                    lxc("export", "pa:" + inst, file.toString(), "--compression=zstd");
                    lxc("import", "pb:", file.toString(), t4);
                    double s = (System.nanoTime() - t0) / 1e9;
                    System.out.printf(
                            Locale.ROOT, "RESULT case=by-hand seconds=%.2f bytes=%d%n", s, 2 * Files.size(file));
                    Files.deleteIfExists(file);
                } finally {
                    for (String n : List.of("pull-" + run, "relay-" + run, "inplace-" + run)) {
                        kube.resources(InstanceCopy.class)
                                .inNamespace(Fixtures.NS)
                                .withName(n)
                                .delete();
                    }
                    Thread.sleep(2000);
                    LxdRig.deleteQuietly(b, made.toArray(String[]::new));
                }
            }
            lxc("remote", "remove", "pa");
            lxc("remote", "remove", "pb");
        }
    }

    /** A spec change that means nothing to a copy without schedule: it copies again (a new generation). */
    static long touch(String name) {
        return kube.resources(InstanceCopy.class)
                .inNamespace(Fixtures.NS)
                .withName(name)
                .edit(c -> {
                    c.getSpec().setStartingDeadlineSeconds(3600L + System.nanoTime() % 100_000);
                    return c;
                })
                .getMetadata()
                .getGeneration();
    }

    static long[] mark(CountingProxy pa, CountingProxy pb) {
        return new long[] {System.nanoTime(), pa.bytes(), pb.bytes()};
    }

    static void report(String name, long[] m, CountingProxy pa, CountingProxy pb) {
        report(name, m, pa, pb, "");
    }

    static void report(String name, long[] m, CountingProxy pa, CountingProxy pb, String extra) {
        double s = (System.nanoTime() - m[0]) / 1e9;
        System.out.printf(
                Locale.ROOT,
                "RESULT case=%s seconds=%.2f bytes=%d%s%n",
                name,
                s,
                pa.bytes() - m[1] + pb.bytes() - m[2],
                extra);
    }

    static InstanceCopy copy(String name, String instance, String target, CopyMode mode) {
        InstanceCopy c = new InstanceCopy();
        c.getMetadata().setName(name);
        c.getMetadata().setNamespace(Fixtures.NS);
        InstanceCopySpec spec = new InstanceCopySpec();
        spec.setSourceRemoteRef(new ObjectRef("src"));
        spec.setTargetRemoteRef(new ObjectRef("lxd-b"));
        spec.setInstance(instance);
        spec.setTargetInstance(target);
        spec.setRefresh(true);
        spec.setMode(mode);
        c.setSpec(spec);
        return c;
    }

    static void awaitSynced(String name, long generation) throws InterruptedException {
        Predicate<InstanceCopyStatus> done = s -> s.getPhase() == InstanceCopyPhase.SYNCED
                && s.isConditionTrue(Condition.SYNCED)
                && s.getSyncId() == null
                && s.getObservedGeneration() != null
                && s.getObservedGeneration() >= generation;
        for (int i = 0; i < 60_000; i++) {
            InstanceCopy c = kube.resources(InstanceCopy.class)
                    .inNamespace(Fixtures.NS)
                    .withName(name)
                    .get();
            if (c != null && c.getStatus() != null) {
                if (done.test(c.getStatus())) {
                    return;
                }
                if (c.getStatus().getPhase() == InstanceCopyPhase.FAILED) {
                    throw new IllegalStateException(name + " failed: " + c.getStatus());
                }
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException(name + " never synced");
    }

    static void remoteVia(String name, String daemon, String url) {
        LxdRemote r = new LxdRemote();
        r.getMetadata().setName(name);
        r.getMetadata().setNamespace(Fixtures.NS);
        LxdRemoteSpec spec = new LxdRemoteSpec();
        spec.setUrl(url);
        spec.setClientCertificateSecretRef(new ObjectRef("lxd-" + daemon + "-client"));
        spec.setServerCertificateFingerprint(rig.get(daemon + ".fingerprint"));
        spec.setProbeInterval("5m");
        r.setSpec(spec);
        kube.resource(r).create();
    }

    static void lxc(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("lxc"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("LXD_CONF", lxcConf.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
        }
    }
}
