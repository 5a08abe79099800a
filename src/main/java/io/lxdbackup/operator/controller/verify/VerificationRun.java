package io.lxdbackup.operator.controller.verify;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.BackupVerification;
import io.lxdbackup.operator.api.v1alpha1.BackupVerificationStatus;
import io.lxdbackup.operator.api.v1alpha1.DrillStatus;
import io.lxdbackup.operator.api.v1alpha1.ExportVerification;
import io.lxdbackup.operator.api.v1alpha1.IncludedVolume;
import io.lxdbackup.operator.api.v1alpha1.InstanceExport;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportPhase;
import io.lxdbackup.operator.api.v1alpha1.VerificationLevel;
import io.lxdbackup.operator.api.v1alpha1.VerificationResult;
import io.lxdbackup.operator.api.v1alpha1.VerificationSummary;
import io.lxdbackup.operator.api.v1alpha1.VerifiedExport;
import io.lxdbackup.operator.controller.Conditions;
import io.lxdbackup.operator.controller.EventRecorder;
import io.lxdbackup.operator.controller.Failure;
import io.lxdbackup.operator.controller.ObjectImport;
import io.lxdbackup.operator.controller.Reasons;
import io.lxdbackup.operator.controller.ScheduleReconcilerBase;
import io.lxdbackup.operator.controller.StoreConnections;
import io.lxdbackup.operator.metrics.OperatorMetrics;
import io.lxdbackup.operator.store.BackupManifest;
import io.lxdbackup.operator.store.ObjectKeys;
import io.lxdbackup.operator.store.ObjectStore;
import io.lxdbackup.operator.store.StoreException;
import io.lxdbackup.operator.verify.ChecksumCheck;
import io.lxdbackup.operator.verify.DrillNames;
import io.lxdbackup.operator.verify.ExportSelection;
import io.lxdbackup.operator.verify.Throttle;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One run of a BackupVerification: select the completed exports, re-read each (level Checksum),
 * then drill the newest passing export of each instance (level Restore). Every verdict is
 * written to the export's own status as it is found, and the run's progress to the
 * verification's status after every export, so a run stopped midway has told what it found.
 */
final class VerificationRun {
    static final String KIND = "BackupVerification";
    /** Why a volume export (spec.volume) gets no restore drill. */
    static final String VOLUME_NOT_DRILLED =
            "no restore drill: this is an export of a custom volume, which a drill does not import"
                    + " (it imports and starts instances); verified at level Checksum";

    private final KubernetesClient kube;
    private final StoreConnections stores;
    private final RestoreDrill drill;
    private final ObjectImport imports;
    private final ExportMarks marks;
    private final EventRecorder events;
    private final OperatorMetrics metrics;
    private final Clock clock;

    VerificationRun(
            KubernetesClient kube,
            StoreConnections stores,
            RestoreDrill drill,
            ObjectImport imports,
            EventRecorder events,
            OperatorMetrics metrics,
            Clock clock) {
        this.kube = kube;
        this.stores = stores;
        this.drill = drill;
        this.imports = imports;
        this.marks = new ExportMarks(kube);
        this.events = events;
        this.metrics = metrics;
        this.clock = clock;
    }

    /**
     * Runs and fills {@code status.exports} and {@code status.summary}; {@code write} persists the
     * status (progress, and the drill intent before each import).
     */
    VerificationSummary run(
            BackupVerification v, VerificationSettings s, BackupVerificationStatus status, Runnable write)
            throws InterruptedException {
        String ns = v.getMetadata().getNamespace();
        Instant now = clock.instant();
        Map<String, InstanceExport> byName = new HashMap<>();
        List<ExportSelection.Candidate> candidates = new ArrayList<>();
        for (InstanceExport e :
                kube.resources(InstanceExport.class).inNamespace(ns).list().getItems()) {
            ExportSelection.Candidate c = candidate(e);
            if (c != null) {
                byName.put(c.name(), e);
                candidates.add(c);
            }
        }
        List<ExportSelection.Candidate> selected = ExportSelection.select(candidates, s.criteria(), now);
        VerificationSummary sum = new VerificationSummary();
        sum.setSelected(selected.size());
        sum.setBytesRead(0L);
        Map<String, VerifiedExport> entries = new LinkedHashMap<>();
        status.setExports(new ArrayList<>());
        Throttle throttle = Throttle.of(s.bytesPerSecond());
        for (ExportSelection.Candidate c : selected) {
            InstanceExport e = byName.get(c.name());
            VerifiedExport entry = checksum(v, e, c, throttle, sum);
            entries.put(c.name(), entry);
            status.setExports(new ArrayList<>(entries.values()));
            write.run();
        }
        if (s.drill() != null) {
            sum.setDrills(0);
            sum.setDrillsPassed(0);
            for (ExportSelection.Candidate c : ExportSelection.newestPerInstance(selected)) {
                VerifiedExport entry = entries.get(c.name());
                if (entry.getResult() != VerificationResult.PASSED || !Reasons.VERIFIED.equals(entry.getReason())) {
                    continue; // nothing to import: its checksum already failed
                }
                if (c.isVolume()) {
                    // a drill imports and starts an instance: a volume export stays verified at level Checksum
                    entry.setMessage(entry.getMessage() + "; " + VOLUME_NOT_DRILLED);
                    continue;
                }
                drill(v, s, byName.get(c.name()), c, entry, status, write, throttle, sum);
                status.setExports(new ArrayList<>(entries.values()));
                write.run();
            }
        }
        int passed = (int) entries.values().stream()
                .filter(x -> x.getResult() == VerificationResult.PASSED)
                .count();
        sum.setPassed(passed);
        sum.setFailed(entries.size() - passed);
        return sum;
    }

    private VerifiedExport checksum(
            BackupVerification v,
            InstanceExport e,
            ExportSelection.Candidate c,
            Throttle throttle,
            VerificationSummary sum)
            throws InterruptedException {
        String key = e.getStatus().getObject().getKey();
        VerifiedExport entry = entry(e, VerificationLevel.CHECKSUM);
        ObjectStore store;
        try {
            store = stores.connect(ns(v), c.store()).store();
        } catch (Failure f) {
            if (f.isTransient()) {
                throw f;
            }
            // the store's resource is missing or misconfigured: says nothing about the object, so the export is not
            // marked
            return finish(entry, VerificationResult.FAILED, f.reason(), f.getMessage());
        }
        long t0 = System.nanoTime();
        ChecksumCheck.Outcome o = ChecksumCheck.check(
                store,
                key,
                e.getStatus().getObject().getSha256(),
                e.getStatus().getObject().getSize(),
                throttle);
        sum.setBytesRead(sum.getBytesRead() + o.bytesRead());
        metrics.bytes(KIND, "verify", o.bytesRead());
        if (o.passed()) {
            o = checkVolumes(store, e, throttle, sum, o);
        }
        String reason = switch (o.verdict()) {
            case PASSED -> Reasons.VERIFIED;
            case CHECKSUM_MISMATCH -> Reasons.CHECKSUM_MISMATCH;
            case OBJECT_MISSING -> Reasons.OBJECT_MISSING;
        };
        metrics.operation(
                KIND, "checksum", o.passed() ? "success" : reason, java.time.Duration.ofNanos(System.nanoTime() - t0));
        finish(entry, o.passed() ? VerificationResult.PASSED : VerificationResult.FAILED, reason, o.message());
        verdict(v, e, entry);
        return entry;
    }

    /**
     * attachedVolumes: Include: each volume object the export recorded (status.volumes) is read
     * like the instance's, against the export's record and its own manifest, and the instance's
     * manifest must list it with the same SHA-256. The first failure is the verdict (its message
     * names the volume and its object); {@code passed} is returned when all agree, with the
     * volumes' bytes added.
     */
    private ChecksumCheck.Outcome checkVolumes(
            ObjectStore store,
            InstanceExport e,
            Throttle throttle,
            VerificationSummary sum,
            ChecksumCheck.Outcome passed)
            throws InterruptedException {
        List<IncludedVolume> volumes = e.getStatus().getVolumes();
        if (volumes == null || volumes.isEmpty()) {
            return passed;
        }
        String manifestKey = ObjectKeys.manifestKey(e.getStatus().getObject().getKey());
        Map<String, BackupManifest.AttachedVolume> listed = new HashMap<>();
        try {
            BackupManifest m = BackupManifest.fromJson(store.getSmall(manifestKey));
            if (m.volumes() != null) {
                m.volumes().forEach(av -> listed.put(av.key(), av));
            }
        } catch (StoreException ex) {
            if (ex.reason() != StoreException.Reason.OBJECT_NOT_FOUND) {
                throw ex; // the store's trouble, not the export's: the run is retried
            }
            // gone since the instance's check read it: this export's verdict, not the run's
            return new ChecksumCheck.Outcome(
                    ChecksumCheck.Verdict.OBJECT_MISSING,
                    0,
                    null,
                    "manifest " + manifestKey + " is missing: the bucket alone no longer describes this export");
        } catch (IllegalArgumentException ex) {
            return new ChecksumCheck.Outcome(
                    ChecksumCheck.Verdict.CHECKSUM_MISMATCH,
                    0,
                    null,
                    "manifest " + manifestKey + " is unreadable: " + ex.getMessage());
        }
        long bytes = passed.bytesRead();
        for (IncludedVolume iv : volumes) {
            String what = "volume " + iv.getPool() + "/" + iv.getName() + " (device " + iv.getDevice() + "): ";
            if (iv.getKey() == null || iv.getSha256() == null || iv.getSize() == null) {
                return new ChecksumCheck.Outcome(
                        ChecksumCheck.Verdict.OBJECT_MISSING,
                        0,
                        null,
                        what + "the export recorded no verified object for it");
            }
            BackupManifest.AttachedVolume av = listed.get(iv.getKey());
            if (av == null || av.sha256() == null || !av.sha256().equalsIgnoreCase(iv.getSha256())) {
                return new ChecksumCheck.Outcome(
                        ChecksumCheck.Verdict.CHECKSUM_MISMATCH,
                        0,
                        null,
                        what + "manifest " + manifestKey
                                + (av == null
                                        ? " does not list its object " + iv.getKey()
                                        : " lists its object " + iv.getKey() + " with SHA-256 " + av.sha256()
                                                + " but the export recorded " + iv.getSha256())
                                + "; the manifest was changed");
            }
            ChecksumCheck.Outcome o = ChecksumCheck.check(store, iv.getKey(), iv.getSha256(), iv.getSize(), throttle);
            sum.setBytesRead(sum.getBytesRead() + o.bytesRead());
            metrics.bytes(KIND, "verify", o.bytesRead());
            bytes += o.bytesRead();
            if (!o.passed()) {
                return new ChecksumCheck.Outcome(o.verdict(), o.bytesRead(), o.actualSha256(), what + o.message());
            }
        }
        return new ChecksumCheck.Outcome(
                ChecksumCheck.Verdict.PASSED,
                bytes,
                passed.actualSha256(),
                passed.message() + "; " + volumes.size() + " attached volume object(s) read, each as written");
    }

    private void drill(
            BackupVerification v,
            VerificationSettings s,
            InstanceExport e,
            ExportSelection.Candidate c,
            VerifiedExport entry,
            BackupVerificationStatus status,
            Runnable write,
            Throttle throttle,
            VerificationSummary sum)
            throws InterruptedException {
        String start = Conditions.timestamp(clock.instant());
        DrillStatus intent = new DrillStatus();
        intent.setScratchInstance(DrillNames.scratchName(
                v.getMetadata().getUid(), ns(v), v.getMetadata().getName(), start + "/" + c.name()));
        intent.setRemote(s.drill().remote());
        intent.setProject(s.drill().project());
        intent.setExport(c.name());
        intent.setStartTime(start);
        ObjectStore store = stores.connect(ns(v), c.store()).store();
        long t0 = System.nanoTime();
        RestoreDrill.Outcome o = drill.run(
                ns(v),
                v.getMetadata().getUid(),
                s.drill(),
                new RestoreDrill.Source(
                        store,
                        e.getStatus().getObject().getKey(),
                        e.getStatus().getObject().getSha256(),
                        e.getStatus().getObject().getSize()),
                intent,
                d -> {
                    status.setDrill(d);
                    write.run();
                },
                throttle);
        if (!imports.closing()) {
            // the scratch instance is gone: nothing left for a restarted operator to remove
            status.setDrill(null);
        }
        sum.setDrills(sum.getDrills() + 1);
        metrics.operation(
                KIND, "drill", o.passed() ? "success" : o.reason(), java.time.Duration.ofNanos(System.nanoTime() - t0));
        entry.setLevel(VerificationLevel.RESTORE);
        if (o.passed()) {
            sum.setDrillsPassed(sum.getDrillsPassed() + 1);
        }
        finish(entry, o.passed() ? VerificationResult.PASSED : VerificationResult.FAILED, o.reason(), o.message());
        verdict(v, e, entry);
    }

    /** Records a verdict on the export, in metrics and as events. */
    private void verdict(BackupVerification v, InstanceExport e, VerifiedExport entry) {
        ExportVerification ev = new ExportVerification();
        ev.setLastVerifiedTime(entry.getLastVerifiedTime());
        ev.setLevel(entry.getLevel());
        ev.setResult(entry.getResult());
        ev.setReason(entry.getReason());
        ev.setMessage(entry.getMessage());
        ev.setVerifiedBy(v.getMetadata().getName());
        marks.mark(ns(v), e.getMetadata().getName(), ev);
        String remote = e.getSpec().getRemoteRef() == null
                ? null
                : e.getSpec().getRemoteRef().getName();
        if (entry.getResult() == VerificationResult.PASSED) {
            metrics.lastVerified(ns(v), remote, targetLabel(e), entry.getLevel().value(), clock.instant());
        } else {
            metrics.verificationFailed(entry.getLevel().value());
            events.warning(
                    e,
                    entry.getReason(),
                    entry.getMessage() + " (found by BackupVerification "
                            + v.getMetadata().getName() + ")");
            events.warning(
                    v, entry.getReason(), "InstanceExport " + e.getMetadata().getName() + ": " + entry.getMessage());
        }
    }

    private VerifiedExport entry(InstanceExport e, VerificationLevel level) {
        VerifiedExport entry = new VerifiedExport();
        entry.setName(e.getMetadata().getName());
        entry.setInstance(e.getSpec().getInstance());
        entry.setKey(e.getStatus().getObject().getKey());
        entry.setLevel(level);
        return entry;
    }

    private VerifiedExport finish(VerifiedExport entry, VerificationResult result, String reason, String message) {
        entry.setResult(result);
        entry.setReason(reason);
        entry.setMessage(message);
        entry.setLastVerifiedTime(Conditions.timestamp(clock.instant()));
        return entry;
    }

    /** A completed export with a recorded object, as a selection candidate; null for any other. */
    static ExportSelection.Candidate candidate(InstanceExport e) {
        if (e.getSpec() == null
                || e.getStatus() == null
                || e.getStatus().getPhase() != InstanceExportPhase.COMPLETED
                || e.getMetadata().getDeletionTimestamp() != null
                || e.getStatus().getObject() == null
                || e.getStatus().getObject().getKey() == null
                || e.getStatus().getObject().getSha256() == null
                || e.getStatus().getObject().getSize() == null
                || e.getStatus().getCompletionTime() == null
                || e.getSpec().getStoreRef() == null) {
            return null;
        }
        Map<String, String> labels = e.getMetadata().getLabels();
        String remote = e.getSpec().getRemoteRef() == null
                ? ""
                : e.getSpec().getRemoteRef().getName();
        return new ExportSelection.Candidate(
                e.getMetadata().getName(),
                e.getSpec().getInstance(),
                remote + "/" + Objects.toString(e.getSpec().getProject(), ""),
                labels == null ? null : labels.get(ScheduleReconcilerBase.LABEL_SCHEDULE),
                e.getSpec().getStoreRef().getName(),
                Instant.parse(e.getStatus().getCompletionTime()),
                e.getSpec().getInstance() == null && e.getSpec().getVolume() != null ? targetLabel(e) : null);
    }

    /** The instance name, or pool/name of the volume of a volume export (instance names have no '/'). */
    static String targetLabel(InstanceExport e) {
        if (e.getSpec().getInstance() != null || e.getSpec().getVolume() == null) {
            return e.getSpec().getInstance();
        }
        return e.getSpec().getVolume().getPool() + "/" + e.getSpec().getVolume().getName();
    }

    private static String ns(BackupVerification v) {
        return v.getMetadata().getNamespace();
    }
}
