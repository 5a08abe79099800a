package io.lxdbackup.operator.controller.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.ExportVerification;
import io.lxdbackup.operator.api.v1alpha1.InstanceExport;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportPhase;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportSpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportStatus;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import io.lxdbackup.operator.api.v1alpha1.VerificationLevel;
import io.lxdbackup.operator.api.v1alpha1.VerificationResult;
import io.lxdbackup.operator.controller.StatusWriter;
import io.lxdbackup.operator.local.InMemoryApiServer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The verdict written into an export's status keeps the export's own conditions and flips only Verified. */
class ExportMarksTest {

    static ExportVerification verdict(VerificationResult r, String reason, String time) {
        ExportVerification v = new ExportVerification();
        v.setResult(r);
        v.setReason(reason);
        v.setMessage(reason + " at " + time);
        v.setLevel(VerificationLevel.CHECKSUM);
        v.setLastVerifiedTime(time);
        v.setVerifiedBy("nightly");
        return v;
    }

    @Test
    void marksFlipOnlyVerifiedAndKeepTheOtherConditions() throws Exception {
        try (InMemoryApiServer api = new InMemoryApiServer(0);
                KubernetesClient kube = api.client()) {
            InstanceExport e = new InstanceExport();
            e.getMetadata().setName("web1-x");
            e.getMetadata().setNamespace("default");
            InstanceExportSpec spec = new InstanceExportSpec();
            spec.setRemoteRef(new ObjectRef("lxd-a"));
            spec.setInstance("web1");
            spec.setStoreRef(new ObjectRef("s3"));
            e.setSpec(spec);
            e = kube.resource(e).create();
            InstanceExportStatus st = new InstanceExportStatus();
            st.setPhase(InstanceExportPhase.COMPLETED);
            Condition complete = new Condition(Condition.COMPLETE, Condition.TRUE, "ExportCompleted", "done");
            complete.setLastTransitionTime("2026-01-01T00:00:00Z");
            st.setConditions(new ArrayList<>(List.of(complete)));
            e.setStatus(st);
            StatusWriter.patchStatus(kube, e);

            ExportMarks marks = new ExportMarks(kube);
            assertThat(marks.mark(
                            "default",
                            "web1-x",
                            verdict(VerificationResult.PASSED, "Verified", "2026-01-02T00:00:00Z")))
                    .isTrue();
            assertThat(marks.mark(
                            "default",
                            "web1-x",
                            verdict(VerificationResult.FAILED, "ChecksumMismatch", "2026-01-03T00:00:00Z")))
                    .isTrue();
            InstanceExport now = kube.resources(InstanceExport.class)
                    .inNamespace("default")
                    .withName("web1-x")
                    .get();
            Condition v = now.getStatus().findCondition(Condition.VERIFIED).orElseThrow();
            assertThat(v.getStatus()).isEqualTo(Condition.FALSE);
            assertThat(v.getReason()).isEqualTo("ChecksumMismatch");
            assertThat(v.getLastTransitionTime()).isEqualTo("2026-01-03T00:00:00Z");
            assertThat(now.getStatus()
                            .findCondition(Condition.COMPLETE)
                            .orElseThrow()
                            .getReason())
                    .isEqualTo("ExportCompleted");
            assertThat(now.getStatus().getVerification().getVerifiedBy()).isEqualTo("nightly");
            assertThat(marks.mark(
                            "default", "gone", verdict(VerificationResult.PASSED, "Verified", "2026-01-04T00:00:00Z")))
                    .isFalse();
        }
    }
}
