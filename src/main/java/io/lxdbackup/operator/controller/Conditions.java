package io.lxdbackup.operator.controller;

import io.lxdbackup.operator.api.v1alpha1.BaseStatus;
import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.ErrorStatus;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/** Writes Kubernetes-style conditions: {@code lastTransitionTime} moves only when the status flips. */
public final class Conditions {
    private Conditions() {}

    public static void set(
            BaseStatus<?> status,
            long generation,
            Clock clock,
            String type,
            boolean value,
            String reason,
            String message) {
        message = Messages.truncate(message, Messages.MAX_STATUS);
        String s = value ? Condition.TRUE : Condition.FALSE;
        List<Condition> list =
                status.getConditions() == null ? new ArrayList<>() : new ArrayList<>(status.getConditions());
        Condition existing =
                list.stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
        String now = timestamp(clock.instant());
        if (existing == null) {
            existing = new Condition(type, s, reason, message);
            existing.setLastTransitionTime(now);
            list.add(existing);
        } else {
            if (!s.equals(existing.getStatus()) || existing.getLastTransitionTime() == null) {
                existing.setLastTransitionTime(now);
            }
            existing.setStatus(s);
            existing.setReason(reason);
            existing.setMessage(message);
        }
        existing.setObservedGeneration(generation);
        status.setConditions(list);
        status.setObservedGeneration(generation);
        if (value) {
            status.setLastError(null);
            status.setFailures(null);
        } else {
            status.setLastError(new ErrorStatus(now, message));
        }
    }

    /** Marks one more consecutive failure (drives the retry back-off) and returns the count. */
    public static int countFailure(BaseStatus<?> status) {
        int n = status.getFailures() == null ? 1 : status.getFailures() + 1;
        status.setFailures(n);
        return n;
    }

    public static String timestamp(Instant t) {
        return t == null ? null : t.truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
