package io.lxdbackup.operator.cli;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.lxdbackup.operator.api.v1alpha1.BackupStore;
import io.lxdbackup.operator.api.v1alpha1.BaseStatus;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.ExistingInstancePolicy;
import io.lxdbackup.operator.api.v1alpha1.ExportSchedule;
import io.lxdbackup.operator.api.v1alpha1.InstanceCopy;
import io.lxdbackup.operator.api.v1alpha1.InstanceCopySpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceExport;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportSpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestore;
import io.lxdbackup.operator.api.v1alpha1.InstanceRestoreSpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshot;
import io.lxdbackup.operator.api.v1alpha1.InstanceSnapshotSpec;
import io.lxdbackup.operator.api.v1alpha1.LxdRemote;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.api.v1alpha1.ObjectSource;
import io.lxdbackup.operator.api.v1alpha1.RestoreSource;
import io.lxdbackup.operator.api.v1alpha1.SnapshotSchedule;
import io.lxdbackup.operator.api.v1alpha1.StoredExport;
import io.lxdbackup.operator.controller.BackupStoreReconciler;
import io.lxdbackup.operator.controller.Failure;
import io.lxdbackup.operator.controller.ScheduleReconcilerBase;
import io.lxdbackup.operator.controller.StoreConnections;
import io.lxdbackup.operator.schedule.GoDuration;
import io.lxdbackup.operator.store.BackupManifest;
import io.lxdbackup.operator.store.ManifestCatalog;
import io.lxdbackup.operator.store.ObjectStore;
import io.lxdbackup.operator.store.S3ObjectStore;
import io.lxdbackup.operator.store.StoreConfig;
import io.lxdbackup.operator.store.StoreException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * {@code kubectl lxdbackup}: creates the same resources a user would apply (it never calls LXD)
 * and reads them back, with the current kubeconfig and namespace. See {@link #USAGE}.
 */
public final class Plugin {
    static final String USAGE = """
      kubectl lxdbackup: snapshots, exports, restores and copies of LXD instances

      usage: kubectl lxdbackup COMMAND [options]

        snapshot INSTANCE [--remote R] [--ttl 24h] [--wait]
                                  create an InstanceSnapshot
        export INSTANCE --store S [--remote R] [--wait]
                                  create an InstanceExport (a progress bar with --wait)
        restore (--from-export NAME | --from-key KEY --store S) --to INSTANCE [--remote R] [--replace] [--wait]
                                  create an InstanceRestore into INSTANCE
        backups [--store S] [--instance I] [--all]
                                  what can be restored, newest first: completed InstanceExports and
                                  the stores' catalogues (status.exports; --all reads the bucket's
                                  manifests itself with the store's Secret, if you may read it)
        describe KIND/NAME        conditions, progress, related objects and the last events
        copy INSTANCE --to REMOTE [--remote R] [--refresh] [--wait]
                                  create an InstanceCopy onto the LxdRemote REMOTE

      options for every command:
        -n, --namespace NS        namespace (default: the current context's)
        --kubeconfig PATH         kubeconfig file (default: $KUBECONFIG or ~/.kube/config)
        -o, --output yaml|json    print the objects instead of a table or summary
        --timeout 30m             how long --wait waits (Go duration; default 1h)
        --name NAME               name of the resource to create (default: generated)

      --remote defaults to the only LxdRemote in the namespace.
      exit codes: 0 success, 1 failure (not found, forbidden, the resource failed), 2 bad arguments
      """;

    static final Map<String, Args.Spec> COMMANDS = new LinkedHashMap<>();

    static {
        spec("snapshot", 1, 1, Set.of("remote", "ttl", "name"), Set.of("wait"));
        spec("export", 1, 1, Set.of("remote", "store", "name"), Set.of("wait"));
        spec(
                "restore",
                0,
                0,
                Set.of("from-export", "from-key", "store", "to", "remote", "name"),
                Set.of("replace", "wait"));
        spec("backups", 0, 0, Set.of("store", "instance"), Set.of("all"));
        spec("describe", 1, 1, Set.of(), Set.of());
        spec("copy", 1, 1, Set.of("to", "remote", "name"), Set.of("refresh", "wait"));
    }

    private static void spec(String name, int min, int max, Set<String> values, Set<String> flags) {
        COMMANDS.put(name, new Args.Spec(name, min, max, values, flags));
    }

    /** Every kind by its names: kind, plural, short name and the plugin's command word. */
    static final Map<String, Class<? extends CustomResource<?, ?>>> KINDS = new LinkedHashMap<>();

    static {
        kind(InstanceSnapshot.class, "snapshot", "isnap");
        kind(InstanceExport.class, "export", "iexp");
        kind(InstanceRestore.class, "restore", "irestore");
        kind(InstanceCopy.class, "copy", "icopy");
        kind(SnapshotSchedule.class, "ssched");
        kind(ExportSchedule.class, "esched");
        kind(BackupStore.class, "store", "bstore");
        kind(LxdRemote.class, "remote", "lxdr");
    }

    private static void kind(Class<? extends CustomResource<?, ?>> type, String... aliases) {
        KINDS.put(HasMetadata.getKind(type).toLowerCase(Locale.ROOT), type);
        KINDS.put(HasMetadata.getPlural(type), type);
        for (String a : aliases) {
            KINDS.put(a, type);
        }
    }

    private final PrintStream out;
    private final PrintStream err;
    private final Clock clock;
    private final boolean terminal;
    private KubernetesClient kube;
    /** Tests: a client to use instead of the kubeconfig's (not closed here), in namespace default. */
    private KubernetesClient injected;

    private String ns;
    private Args args;

    Plugin(PrintStream out, PrintStream err, Clock clock, boolean terminal) {
        this.out = out;
        this.err = err;
        this.clock = clock;
        this.terminal = terminal;
    }

    /** Runs one command line; returns the exit code. Never throws. */
    public static int run(String[] argv) {
        return new Plugin(System.out, System.err, Clock.systemUTC(), stdoutIsTerminal()).execute(List.of(argv));
    }

    /**
     * Whether stdout is a terminal: {@code System.console()} alone says so on Java 21, but from
     * Java 22 it may return a console for redirected output too, and {@code isTerminal()} tells.
     */
    static boolean stdoutIsTerminal() {
        java.io.Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true; // Java 21: a console exists only for a terminal
        }
    }

    Plugin withClient(KubernetesClient client) {
        this.injected = client;
        return this;
    }

    int execute(List<String> argv) {
        try {
            if (argv.isEmpty()
                    || argv.get(0).equals("help")
                    || argv.get(0).equals("--help")
                    || argv.get(0).equals("-h")) {
                out.print(USAGE);
                return argv.isEmpty() ? 2 : 0;
            }
            Args.Spec spec = COMMANDS.get(argv.get(0));
            if (spec == null) {
                throw new UsageException(
                        "unknown command " + argv.get(0) + "; commands: " + String.join(", ", COMMANDS.keySet()));
            }
            args = Args.parse(spec, argv.subList(1, argv.size()));
            if (args.flag("help")) {
                out.print(USAGE);
                return 0;
            }
            validate();
            try (KubernetesClient client = injected != null ? null : connect()) {
                kube = injected != null ? injected : client;
                if (injected != null) {
                    ns = args.value("namespace") != null ? args.value("namespace") : "default";
                }
                switch (spec.name()) {
                    case "snapshot" -> snapshot();
                    case "export" -> export();
                    case "restore" -> restore();
                    case "backups" -> backups();
                    case "describe" -> describe();
                    case "copy" -> copy();
                    default -> throw new IllegalStateException(spec.name());
                }
            }
            return 0;
        } catch (UsageException e) {
            err.println("error: " + e.getMessage());
            return 2;
        } catch (PluginException e) {
            err.println("error: " + e.getMessage());
            return 1;
        } catch (KubernetesClientException e) {
            err.println("error: " + apiMessage(e));
            return 1;
        } catch (RuntimeException e) {
            err.println("error: " + e.getClass().getSimpleName() + ": " + e.getMessage());
            return 1;
        }
    }

    /** Argument checks that need no cluster: every bad argument fails before anything is created. */
    private void validate() {
        String timeout = args.value("timeout");
        if (timeout != null) {
            parseDuration("--timeout", timeout);
        }
        switch (args.command()) {
            case "snapshot" -> {
                Names.instance("instance", args.positional().get(0));
                if (args.value("ttl") != null) {
                    parseDuration("--ttl", args.value("ttl"));
                }
            }
            case "export" -> {
                Names.instance("instance", args.positional().get(0));
                Names.object("--store", args.required("store"));
            }
            case "restore" -> {
                boolean fromExport = args.value("from-export") != null;
                boolean fromKey = args.value("from-key") != null;
                if (fromExport == fromKey) {
                    throw new UsageException("restore: give exactly one of --from-export NAME and --from-key KEY");
                }
                if (fromKey) {
                    Names.object("--store", args.required("store"));
                } else if (args.value("store") != null) {
                    throw new UsageException("restore: --store goes with --from-key (an export names its own store)");
                }
                Names.instance("--to", args.required("to"));
            }
            case "copy" -> {
                Names.instance("instance", args.positional().get(0));
                Names.object("--to", args.required("to"));
            }
            case "describe" -> kindAndName(args.positional().get(0));
            default -> {}
        }
        for (String ref : List.of("remote", "name", "from-export")) {
            if (args.value(ref) != null) {
                Names.object("--" + ref, args.value(ref));
            }
        }
    }

    private static Duration parseDuration(String flag, String text) {
        try {
            return GoDuration.parse(text);
        } catch (RuntimeException e) {
            throw new UsageException(flag + " " + text + " is not a duration (for example 30m, 24h or 168h)");
        }
    }

    private KubernetesClient connect() {
        String path = args.value("kubeconfig");
        if (path != null) {
            if (!Files.isReadable(Path.of(path))) {
                throw new UsageException("--kubeconfig " + path + ": no such file");
            }
            System.setProperty(Config.KUBERNETES_KUBECONFIG_FILE, path);
        }
        Config config = Config.autoConfigure(null);
        ns = args.value("namespace") != null
                ? args.value("namespace")
                : config.getNamespace() != null ? config.getNamespace() : "default";
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    // ---------------------------------------------------------------- commands

    private void snapshot() {
        String instance = args.positional().get(0);
        InstanceSnapshot s = new InstanceSnapshot();
        InstanceSnapshotSpec spec = new InstanceSnapshotSpec();
        spec.setRemoteRef(new ObjectRef(remote(args.value("remote"))));
        spec.setInstance(instance);
        spec.setTtl(args.value("ttl"));
        s.setSpec(spec);
        s = create(s, instance);
        if (args.flag("wait")) {
            s = await(InstanceSnapshot.class, s.getMetadata().getName(), Set.of("Ready"), Set.of("Failed"), r -> {});
            summary(s, "Ready: LXD snapshot " + instance + "/" + s.getStatus().getSnapshotName());
        }
        print(s);
    }

    private void export() {
        String instance = args.positional().get(0);
        String store = store(args.required("store"));
        InstanceExport e = new InstanceExport();
        InstanceExportSpec spec = new InstanceExportSpec();
        spec.setRemoteRef(new ObjectRef(remote(args.value("remote"))));
        spec.setInstance(instance);
        spec.setStoreRef(new ObjectRef(store));
        e.setSpec(spec);
        e = create(e, instance);
        if (args.flag("wait")) {
            ProgressBar bar = new ProgressBar(args.value("output") == null ? out : err, terminal);
            try {
                e = await(
                        InstanceExport.class,
                        e.getMetadata().getName(),
                        Set.of("Completed"),
                        Set.of("Failed"),
                        r -> bar.update(
                                r.getStatus() == null
                                        ? null
                                        : String.valueOf(r.getStatus().getPhase()),
                                r.getStatus() == null ? null : r.getStatus().getProgress()));
            } finally {
                bar.end();
            }
            var o = e.getStatus().getObject();
            summary(
                    e,
                    "Completed: "
                            + (o == null
                                    ? ""
                                    : o.getKey() + " (" + Table.bytes(o.getSize()) + ", sha256 " + o.getSha256()
                                            + ")"));
        }
        print(e);
    }

    private void restore() {
        String to = args.required("to");
        RestoreSource source = new RestoreSource();
        String remote = args.value("remote");
        if (args.value("from-export") != null) {
            InstanceExport ex = kube.resources(InstanceExport.class)
                    .inNamespace(ns)
                    .withName(args.value("from-export"))
                    .get();
            if (ex == null) {
                throw new PluginException("InstanceExport " + args.value("from-export") + " not found in namespace "
                        + ns + " (kubectl lxdbackup backups lists what can be restored)");
            }
            if (ex.getStatus() == null || ex.getStatus().getPhase() != InstanceExportPhase.COMPLETED) {
                throw new PluginException("InstanceExport " + ex.getMetadata().getName() + " is "
                        + (ex.getStatus() == null ? "Pending" : ex.getStatus().getPhase())
                        + ", not Completed: nothing to restore yet");
            }
            source.setExportRef(new ObjectRef(ex.getMetadata().getName()));
            if (remote == null && ex.getSpec().getRemoteRef() != null) {
                remote = ex.getSpec().getRemoteRef().getName();
            }
        } else {
            ObjectSource o = new ObjectSource();
            o.setStoreRef(new ObjectRef(store(args.value("store"))));
            o.setKey(args.value("from-key"));
            source.setObject(o);
        }
        InstanceRestore r = new InstanceRestore();
        InstanceRestoreSpec spec = new InstanceRestoreSpec();
        spec.setRemoteRef(new ObjectRef(remote(remote)));
        spec.setInstance(to);
        spec.setSource(source);
        if (args.flag("replace")) {
            spec.setExistingInstance(ExistingInstancePolicy.REPLACE);
        }
        r.setSpec(spec);
        r = create(r, to + "-restore");
        if (args.flag("wait")) {
            r = await(InstanceRestore.class, r.getMetadata().getName(), Set.of("Completed"), Set.of("Failed"), x -> {});
            summary(
                    r,
                    "Completed: instance " + to + " restored on "
                            + spec.getRemoteRef().getName());
        }
        print(r);
    }

    private void copy() {
        String instance = args.positional().get(0);
        String target = args.required("to");
        String source = remote(args.value("remote"));
        requireRemote(target);
        if (target.equals(source)) {
            throw new UsageException("copy: --to " + target + " is the source remote; copy onto another LxdRemote");
        }
        InstanceCopy c = new InstanceCopy();
        InstanceCopySpec spec = new InstanceCopySpec();
        spec.setSourceRemoteRef(new ObjectRef(source));
        spec.setTargetRemoteRef(new ObjectRef(target));
        spec.setInstance(instance);
        if (args.flag("refresh")) {
            spec.setRefresh(true);
        }
        c.setSpec(spec);
        c = create(c, instance + "-to-" + target);
        if (args.flag("wait")) {
            c = await(InstanceCopy.class, c.getMetadata().getName(), Set.of("Synced"), Set.of("Failed"), x -> {});
            summary(c, "Synced: " + instance + " copied to " + target);
        }
        print(c);
    }

    // ---------------------------------------------------------------- backups

    /** One restorable backup. */
    record Backup(String created, String instance, String remote, String store, Long size, String export, String key) {}

    private void backups() {
        String storeFilter = args.value("store");
        String instanceFilter = args.value("instance");
        List<BackupStore> stores;
        if (storeFilter != null) {
            stores = List.of(requireStore(storeFilter));
        } else {
            stores = kube.resources(BackupStore.class).inNamespace(ns).list().getItems();
        }
        Map<String, Backup> byKey = new LinkedHashMap<>();
        for (InstanceExport e :
                kube.resources(InstanceExport.class).inNamespace(ns).list().getItems()) {
            var st = e.getStatus();
            if (st == null || st.getPhase() != InstanceExportPhase.COMPLETED || st.getObject() == null) {
                continue;
            }
            String store = e.getSpec().getStoreRef().getName();
            if (storeFilter != null && !storeFilter.equals(store)) {
                continue;
            }
            byKey.put(
                    store + "\n" + st.getObject().getKey(),
                    new Backup(
                            firstNonNull(
                                    st.getCompletionTime(),
                                    st.getStartTime(),
                                    e.getMetadata().getCreationTimestamp()),
                            e.getSpec().getInstance(),
                            e.getSpec().getRemoteRef().getName(),
                            store,
                            st.getObject().getSize(),
                            e.getMetadata().getName(),
                            st.getObject().getKey()));
        }
        for (BackupStore bs : stores) {
            String name = bs.getMetadata().getName();
            List<StoredExport> listed = bs.getStatus() == null || bs.getStatus().getExports() == null
                    ? List.of()
                    : bs.getStatus().getExports();
            boolean truncated = listed.size() >= BackupStoreReconciler.MAX_LISTED;
            if (args.flag("all") || truncated) {
                try {
                    for (ManifestCatalog.Entry entry : scanBucket(bs)) {
                        BackupManifest m = entry.manifest();
                        byKey.putIfAbsent(
                                name + "\n" + entry.key(),
                                new Backup(
                                        m.createdAt() == null
                                                ? null
                                                : m.createdAt().toString(),
                                        m.instance(),
                                        m.remote(),
                                        name,
                                        m.size(),
                                        null,
                                        entry.key()));
                    }
                    continue;
                } catch (PluginException e) {
                    if (args.flag("all")) {
                        throw e;
                    }
                    err.println("warning: BackupStore " + name + " lists only its newest " + listed.size()
                            + " exports and its bucket could not be read: " + e.getMessage());
                }
            }
            for (StoredExport s : listed) {
                byKey.putIfAbsent(
                        name + "\n" + s.getKey(),
                        new Backup(
                                s.getCreatedAt(), s.getInstance(), s.getRemote(), name, s.getSize(), null, s.getKey()));
            }
        }
        List<Backup> rows = byKey.values().stream()
                .filter(b -> instanceFilter == null || instanceFilter.equals(b.instance()))
                .sorted(Comparator.comparing(
                        (Backup b) -> time(b.created()), Comparator.nullsLast(Comparator.reverseOrder())))
                .toList();
        if (args.value("output") != null) {
            List<Map<String, Object>> items = new ArrayList<>();
            for (Backup b : rows) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("created", b.created());
                m.put("instance", b.instance());
                m.put("remote", b.remote());
                m.put("store", b.store());
                m.put("size", b.size());
                m.put("export", b.export());
                m.put("key", b.key());
                items.add(m);
            }
            printValue(Map.of("items", items));
            return;
        }
        if (rows.isEmpty()) {
            err.println("No backups found in " + ns + " namespace.");
            return;
        }
        Table t = new Table("created", "instance", "remote", "store", "size", "export", "key");
        for (Backup b : rows) {
            t.row(b.created(), b.instance(), b.remote(), b.store(), Table.bytes(b.size()), b.export(), b.key());
        }
        out.print(t.render());
    }

    /**
     * The bucket's manifests read directly, read-only, with the store's Secret as the user may read
     * it (their kubeconfig, so RBAC decides). The status list is the fallback.
     */
    private List<ManifestCatalog.Entry> scanBucket(BackupStore bs) {
        String name = bs.getMetadata().getName();
        if (bs.getSpec() == null || bs.getSpec().getS3() == null) {
            throw new PluginException("BackupStore " + name + " has no spec.s3");
        }
        Secret secret = null;
        ObjectRef ref = bs.getSpec().getS3().getCredentialsSecretRef();
        if (ref != null && ref.getName() != null) {
            try {
                secret = kube.secrets().inNamespace(ns).withName(ref.getName()).get();
            } catch (KubernetesClientException e) {
                if (e.getCode() == 403) {
                    throw new PluginException("you may not read Secret " + ref.getName()
                            + " (the credentials of BackupStore " + name
                            + ") in namespace " + ns
                            + ", so the bucket cannot be listed directly; without --all, backups shows the "
                            + "store's own list (status.exports, the newest " + BackupStoreReconciler.MAX_LISTED + ")");
                }
                throw e;
            }
            if (secret == null) {
                throw new PluginException("Secret " + ref.getName() + " (the credentials of BackupStore " + name
                        + ") does not exist in namespace " + ns);
            }
        }
        StoreConfig config;
        try {
            config = StoreConnections.config(bs, secret).toBuilder()
                    .readOnly(true)
                    .build();
        } catch (Failure f) {
            throw new PluginException("BackupStore " + name + ": " + f.getMessage());
        }
        try (ObjectStore store = S3ObjectStore.open(config)) {
            return ManifestCatalog.scan(store, config.prefix()).exports();
        } catch (StoreException e) {
            throw new PluginException("BackupStore " + name + ": cannot list the bucket: " + e.getMessage());
        }
    }

    // ---------------------------------------------------------------- describe

    record KindName(Class<? extends CustomResource<?, ?>> type, String name) {}

    static KindName kindAndName(String text) {
        int slash = text.indexOf('/');
        if (slash <= 0 || slash == text.length() - 1) {
            throw new UsageException(
                    "describe: expected KIND/NAME, for example export/web1-20260101-120000, not " + text);
        }
        String kind = text.substring(0, slash).toLowerCase(Locale.ROOT);
        int dot = kind.indexOf('.');
        if (dot > 0) {
            kind = kind.substring(0, dot); // instanceexport.lxdbackup.io
        }
        Class<? extends CustomResource<?, ?>> type = KINDS.get(kind);
        if (type == null) {
            throw new UsageException("describe: unknown kind " + text.substring(0, slash) + "; kinds: "
                    + String.join(
                            ", ",
                            KINDS.values().stream()
                                    .distinct()
                                    .map(HasMetadata::getKind)
                                    .toList()));
        }
        return new KindName(type, Names.object("describe: name", text.substring(slash + 1)));
    }

    private void describe() {
        KindName kn = kindAndName(args.positional().get(0));
        CustomResource<?, ?> r =
                kube.resources(kn.type()).inNamespace(ns).withName(kn.name()).get();
        if (r == null) {
            throw new PluginException(
                    HasMetadata.getKind(kn.type()) + " " + kn.name() + " not found in namespace " + ns);
        }
        if (args.value("output") != null) {
            printValue(r);
            return;
        }
        BaseStatus<?> status = r.getStatus() instanceof BaseStatus<?> b ? b : null;
        StringBuilder sb = new StringBuilder();
        field(sb, "Name", r.getMetadata().getName());
        field(sb, "Namespace", r.getMetadata().getNamespace());
        field(sb, "Kind", r.getKind());
        field(sb, "Created", r.getMetadata().getCreationTimestamp());
        field(
                sb,
                "Phase",
                status == null || status.getPhase() == null
                        ? "<none>"
                        : status.getPhase().toString());
        if (r instanceof InstanceExport e
                && e.getStatus() != null
                && e.getStatus().getProgress() != null) {
            field(sb, "Progress", ProgressBar.text(e.getStatus().getProgress()));
        }
        if (status != null
                && status.getLastError() != null
                && status.getLastError().getMessage() != null) {
            field(sb, "Last Error", status.getLastError().getMessage());
        }
        sb.append("Conditions:\n");
        if (status == null
                || status.getConditions() == null
                || status.getConditions().isEmpty()) {
            sb.append("  <none>\n");
        } else {
            Table t = new Table("type", "status", "reason", "message");
            for (Condition c : status.getConditions()) {
                t.row(c.getType(), c.getStatus(), c.getReason(), c.getMessage());
            }
            sb.append(t.render().indent(2));
        }
        sb.append("Related:\n");
        sb.append(related(r).indent(2));
        sb.append("Events:\n");
        List<Event> events = kube.v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> e.getInvolvedObject() != null
                        && Objects.equals(
                                r.getMetadata().getUid(), e.getInvolvedObject().getUid()))
                .sorted(Comparator.comparing(Plugin::eventTime, Comparator.nullsFirst(Comparator.naturalOrder())))
                .toList();
        if (events.isEmpty()) {
            sb.append("  <none>\n");
        } else {
            Table t = new Table("last seen", "type", "reason", "message");
            for (Event e : events.subList(Math.max(0, events.size() - 10), events.size())) {
                Instant at = eventTime(e);
                t.row(
                        at == null ? null : age(Duration.between(at, clock.instant())),
                        e.getType(),
                        e.getReason(),
                        e.getMessage());
            }
            sb.append(t.render().indent(2));
        }
        out.print(sb);
    }

    private String related(CustomResource<?, ?> r) {
        Table t = new Table("relation", "object");
        if (r instanceof InstanceSnapshot s) {
            t.row("remote", "lxdremote/" + s.getSpec().getRemoteRef().getName());
            t.row("instance", s.getSpec().getInstance());
            if (s.getStatus() != null && s.getStatus().getSnapshotName() != null) {
                t.row(
                        "lxd snapshot",
                        s.getSpec().getInstance() + "/" + s.getStatus().getSnapshotName());
            }
        } else if (r instanceof InstanceExport e) {
            t.row("remote", "lxdremote/" + e.getSpec().getRemoteRef().getName());
            t.row("instance", e.getSpec().getInstance());
            t.row("store", "backupstore/" + e.getSpec().getStoreRef().getName());
            if (e.getStatus() != null && e.getStatus().getObject() != null) {
                var o = e.getStatus().getObject();
                t.row("object", "s3://" + o.getBucket() + "/" + o.getKey());
                t.row("size", Table.bytes(o.getSize()));
                t.row("sha256", o.getSha256());
                t.row("manifest", e.getStatus().getManifestKey());
            }
        } else if (r instanceof InstanceRestore x) {
            RestoreSource src = x.getSpec().getSource();
            t.row("remote", "lxdremote/" + x.getSpec().getRemoteRef().getName());
            t.row("instance", x.getSpec().getInstance());
            if (src != null && src.getExportRef() != null) {
                t.row("source", "instanceexport/" + src.getExportRef().getName());
            } else if (src != null && src.getObject() != null) {
                t.row(
                        "source",
                        "backupstore/" + src.getObject().getStoreRef().getName() + " key "
                                + src.getObject().getKey());
            } else if (src != null && src.getSnapshotRef() != null) {
                t.row("source", "instancesnapshot/" + src.getSnapshotRef().getName());
            } else if (src != null && src.getSnapshot() != null) {
                t.row(
                        "source",
                        "lxd snapshot " + x.getSpec().getInstance() + "/"
                                + src.getSnapshot().getName());
            }
            if (x.getStatus() != null && x.getStatus().getSha256() != null) {
                t.row("sha256", x.getStatus().getSha256());
            }
        } else if (r instanceof InstanceCopy c) {
            t.row(
                    "source",
                    "lxdremote/" + c.getSpec().getSourceRemoteRef().getName() + " instance "
                            + c.getSpec().getInstance());
            t.row(
                    "target",
                    "lxdremote/" + c.getSpec().getTargetRemoteRef().getName() + " instance "
                            + (c.getSpec().getTargetInstance() == null
                                    ? c.getSpec().getInstance()
                                    : c.getSpec().getTargetInstance()));
            if (c.getStatus() != null && c.getStatus().getSnapshotsOnTarget() != null) {
                t.row("snapshots on target", String.join(", ", c.getStatus().getSnapshotsOnTarget()));
            }
        } else if (r instanceof SnapshotSchedule || r instanceof ExportSchedule) {
            String label = ScheduleReconcilerBase.LABEL_SCHEDULE + "="
                    + r.getMetadata().getName();
            if (r instanceof SnapshotSchedule) {
                for (InstanceSnapshot s : kube.resources(InstanceSnapshot.class)
                        .inNamespace(ns)
                        .withLabel(
                                ScheduleReconcilerBase.LABEL_SCHEDULE,
                                r.getMetadata().getName())
                        .list()
                        .getItems()) {
                    t.row(
                            "child",
                            "instancesnapshot/" + s.getMetadata().getName() + " " + phase(s)
                                    + (s.getStatus() == null || s.getStatus().getSnapshotName() == null
                                            ? ""
                                            : " lxd snapshot " + s.getSpec().getInstance() + "/"
                                                    + s.getStatus().getSnapshotName()));
                }
            } else {
                for (InstanceExport e : kube.resources(InstanceExport.class)
                        .inNamespace(ns)
                        .withLabel(
                                ScheduleReconcilerBase.LABEL_SCHEDULE,
                                r.getMetadata().getName())
                        .list()
                        .getItems()) {
                    t.row(
                            "child",
                            "instanceexport/" + e.getMetadata().getName() + " " + phase(e)
                                    + (e.getStatus() == null || e.getStatus().getObject() == null
                                            ? ""
                                            : " object "
                                                    + e.getStatus().getObject().getKey()));
                }
            }
            if (t.isEmpty()) {
                return "<no children with label " + label + ">\n";
            }
        } else if (r instanceof BackupStore bs) {
            t.row(
                    "bucket",
                    bs.getSpec().getS3() == null ? null : bs.getSpec().getS3().getBucket());
            int n = bs.getStatus() == null || bs.getStatus().getExports() == null
                    ? 0
                    : bs.getStatus().getExports().size();
            t.row(
                    "exports listed",
                    n + (n >= BackupStoreReconciler.MAX_LISTED ? " (the newest; backups --all reads the bucket)" : ""));
        } else if (r instanceof LxdRemote lr) {
            t.row("url", lr.getSpec().getUrl());
        }
        return t.isEmpty() ? "<none>\n" : t.render();
    }

    private static String phase(CustomResource<?, ?> r) {
        return r.getStatus() instanceof BaseStatus<?> b && b.getPhase() != null
                ? b.getPhase().toString()
                : "Pending";
    }

    private static Instant eventTime(Event e) {
        if (e.getLastTimestamp() != null) {
            return time(e.getLastTimestamp());
        }
        if (e.getEventTime() != null && e.getEventTime().getTime() != null) {
            return time(e.getEventTime().getTime());
        }
        return time(firstNonNull(e.getFirstTimestamp(), e.getMetadata().getCreationTimestamp()));
    }

    private static void field(StringBuilder sb, String name, String value) {
        sb.append(String.format(Locale.ROOT, "%-13s %s%n", name + ":", value == null ? "<none>" : value));
    }

    // ---------------------------------------------------------------- helpers

    /** The named LxdRemote after checking it exists, or the only one in the namespace. */
    private String remote(String name) {
        if (name != null) {
            requireRemote(name);
            return name;
        }
        List<String> names = kube.resources(LxdRemote.class).inNamespace(ns).list().getItems().stream()
                .map(r -> r.getMetadata().getName())
                .sorted()
                .toList();
        if (names.size() == 1) {
            return names.get(0);
        }
        if (names.isEmpty()) {
            throw new PluginException(
                    "no LxdRemote in namespace " + ns + "; create one first (see examples/lxdremote.yaml)");
        }
        throw new UsageException("namespace " + ns + " has " + names.size() + " LxdRemotes (" + String.join(", ", names)
                + "); choose one with --remote");
    }

    private void requireRemote(String name) {
        if (kube.resources(LxdRemote.class).inNamespace(ns).withName(name).get() == null) {
            List<String> names = kube.resources(LxdRemote.class).inNamespace(ns).list().getItems().stream()
                    .map(r -> r.getMetadata().getName())
                    .sorted()
                    .toList();
            throw new PluginException("LxdRemote " + name + " not found in namespace " + ns
                    + (names.isEmpty() ? "" : "; LxdRemotes here: " + String.join(", ", names)));
        }
    }

    private String store(String name) {
        requireStore(name);
        return name;
    }

    private BackupStore requireStore(String name) {
        BackupStore bs =
                kube.resources(BackupStore.class).inNamespace(ns).withName(name).get();
        if (bs == null) {
            List<String> names = kube.resources(BackupStore.class).inNamespace(ns).list().getItems().stream()
                    .map(r -> r.getMetadata().getName())
                    .sorted()
                    .toList();
            throw new PluginException("BackupStore " + name + " not found in namespace " + ns
                    + (names.isEmpty() ? "" : "; BackupStores here: " + String.join(", ", names)));
        }
        return bs;
    }

    /** Creates {@code r} under {@code --name} or a generated name (retrying another on a clash). */
    @SuppressWarnings("unchecked")
    private <T extends CustomResource<?, ?>> T create(T r, String base) {
        r.getMetadata().setNamespace(ns);
        String given = args.value("name");
        String name = given != null ? given : Names.generate(base, clock.instant());
        for (int attempt = 1; ; attempt++) {
            r.getMetadata().setName(name);
            try {
                T created = (T) kube.resource(r).create();
                if (args.value("output") == null) {
                    out.println(resourceName(r) + " created");
                }
                return created;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || given != null || attempt >= 5) {
                    throw e;
                }
                name = Names.generate(base, clock.instant()) + "-" + (attempt + 1);
            }
        }
    }

    private <T extends CustomResource<?, ?>> T await(
            Class<T> type, String name, Set<String> ok, Set<String> bad, Consumer<T> onUpdate) {
        Duration timeout =
                args.value("timeout") == null ? Duration.ofHours(1) : GoDuration.parse(args.value("timeout"));
        Instant deadline = clock.instant().plus(timeout);
        String kind = HasMetadata.getKind(type);
        while (true) {
            T r = kube.resources(type).inNamespace(ns).withName(name).get();
            if (r == null) {
                throw new PluginException(kind + " " + name + " was deleted while waiting for it");
            }
            onUpdate.accept(r);
            String phase = phase(r);
            if (ok.contains(phase)) {
                return r;
            }
            if (bad.contains(phase)) {
                throw new PluginException(kind + " " + name + " " + phase + ": " + why((BaseStatus<?>) r.getStatus()));
            }
            if (clock.instant().isAfter(deadline)) {
                throw new PluginException("timed out after " + GoDuration.format(timeout) + " waiting for " + kind + " "
                        + name + " (still " + phase + ")");
            }
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PluginException("interrupted");
            }
        }
    }

    /** The reason and message of the failed condition, else the last error. */
    static String why(BaseStatus<?> status) {
        if (status != null && status.getConditions() != null) {
            for (Condition c : status.getConditions()) {
                if (Condition.FALSE.equals(c.getStatus()) && c.getReason() != null) {
                    return c.getReason() + ": " + c.getMessage();
                }
            }
        }
        if (status != null && status.getLastError() != null) {
            return status.getLastError().getMessage();
        }
        return "no reason given";
    }

    private void summary(HasMetadata r, String text) {
        if (args.value("output") == null) {
            out.println(resourceName(r) + " " + text);
        }
    }

    private void print(HasMetadata r) {
        if (args.value("output") != null) {
            printValue(r);
        }
    }

    private void printValue(Object o) {
        if ("json".equals(args.value("output"))) {
            out.println(Serialization.asJson(o));
        } else {
            out.print(Serialization.asYaml(o));
        }
    }

    private String apiMessage(KubernetesClientException e) {
        if (e.getCode() > 0 && e.getStatus() != null && e.getStatus().getMessage() != null) {
            return e.getStatus().getMessage();
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (e.getCode() <= 0) {
            return "cannot reach the Kubernetes API" + (kube == null ? "" : " at " + kube.getMasterUrl()) + " ("
                    + root.getClass().getSimpleName()
                    + (root.getMessage() == null ? "" : ": " + root.getMessage())
                    + "); check --kubeconfig / KUBECONFIG and the"
                    + " current context";
        }
        return e.getMessage() + (root == e ? "" : ": " + root.getMessage());
    }

    @SafeVarargs
    private static <T> T firstNonNull(T... values) {
        for (T v : values) {
            if (v != null) {
                return v;
            }
        }
        return null;
    }

    static Instant time(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (RuntimeException e) {
            try {
                return Instant.parse(text);
            } catch (RuntimeException e2) {
                return null;
            }
        }
    }

    /** kubectl's age: 45s, 12m, 5h, 3d. */
    static String age(Duration d) {
        long s = Math.max(0, d.getSeconds());
        if (s < 120) {
            return s + "s";
        }
        if (s < 120 * 60) {
            return s / 60 + "m";
        }
        if (s < 48 * 3600) {
            return s / 3600 + "h";
        }
        return s / 86400 + "d";
    }

    /** kubectl's {@code kind.group/name}. */
    static String resourceName(HasMetadata r) {
        return HasMetadata.getKind(r.getClass()).toLowerCase(Locale.ROOT) + "." + HasMetadata.getGroup(r.getClass())
                + "/" + r.getMetadata().getName();
    }
}
