package io.lxdbackup.operator.controller.verify;

import com.fasterxml.jackson.databind.node.ArrayNode;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.ExportVerification;
import io.lxdbackup.operator.api.v1alpha1.InstanceExport;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportStatus;
import io.lxdbackup.operator.api.v1alpha1.VerificationResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Writes a verification's verdict into the export's own status: {@code status.verification}
 * and the condition {@code Verified} (what {@code kubectl get iexp} shows, and what an
 * ExportSchedule's retention reads). The InstanceExport's status belongs to its own controller,
 * so the write starts from a fresh read and carries its resourceVersion: a conflicting write in
 * between makes it read again instead of overwriting conditions it did not see.
 */
final class ExportMarks {
    private static final int ATTEMPTS = 5;
    private final KubernetesClient kube;

    ExportMarks(KubernetesClient kube) {
        this.kube = kube;
    }

    /** @return false when the export is gone (nothing to mark) */
    boolean mark(String namespace, String name, ExportVerification v) {
        for (int attempt = 1; ; attempt++) {
            InstanceExport current = kube.resources(InstanceExport.class)
                    .inNamespace(namespace)
                    .withName(name)
                    .get();
            if (current == null || current.getStatus() == null) {
                return false;
            }
            InstanceExportStatus status = current.getStatus();
            if (!changes(status, v)) {
                return true;
            }
            status.setVerification(v);
            status.setConditions(withVerified(status.getConditions(), v));
            try {
                // JSON Patch: the two fields replaced whole (a merge patch would have to carry the whole
                // conditions list), and only if the export is still the version read
                ArrayNode patch = Serialization.jsonMapper().createArrayNode();
                patch.addObject()
                        .put("op", "test")
                        .put("path", "/metadata/resourceVersion")
                        .put("value", current.getMetadata().getResourceVersion());
                patch.addObject()
                        .put("op", "add")
                        .put("path", "/status/conditions")
                        .set("value", Serialization.jsonMapper().valueToTree(status.getConditions()));
                patch.addObject()
                        .put("op", "add")
                        .put("path", "/status/verification")
                        .set("value", Serialization.jsonMapper().valueToTree(v));
                kube.resources(InstanceExport.class)
                        .inNamespace(namespace)
                        .withName(name)
                        .subresource("status")
                        .patch(PatchContext.of(PatchType.JSON), patch.toString());
                return true;
            } catch (KubernetesClientException e) {
                if (e.getCode() == 404) {
                    return false;
                }
                // 409/422: changed since it was read (the test operation failed); read it again
                if ((e.getCode() != 409 && e.getCode() != 422) || attempt >= ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    private static boolean changes(InstanceExportStatus status, ExportVerification v) {
        ExportVerification old = status.getVerification();
        return old == null
                || !Objects.equals(old.getLastVerifiedTime(), v.getLastVerifiedTime())
                || old.getResult() != v.getResult()
                || !Objects.equals(old.getReason(), v.getReason())
                || old.getLevel() != v.getLevel();
    }

    /**
     * The export's conditions with {@code Verified} set; the others untouched, and its
     * lastTransitionTime kept unless the status flips.
     */
    static List<Condition> withVerified(List<Condition> conditions, ExportVerification v) {
        List<Condition> out = conditions == null ? new ArrayList<>() : new ArrayList<>(conditions);
        String value = v.getResult() == VerificationResult.PASSED ? Condition.TRUE : Condition.FALSE;
        Condition c = out.stream()
                .filter(x -> Condition.VERIFIED.equals(x.getType()))
                .findFirst()
                .orElse(null);
        if (c == null) {
            c = new Condition(Condition.VERIFIED, value, v.getReason(), v.getMessage());
            c.setLastTransitionTime(v.getLastVerifiedTime());
            out.add(c);
        } else {
            if (!value.equals(c.getStatus()) || c.getLastTransitionTime() == null) {
                c.setLastTransitionTime(v.getLastVerifiedTime());
            }
            c.setStatus(value);
            c.setReason(v.getReason());
            c.setMessage(v.getMessage());
        }
        return out;
    }
}
