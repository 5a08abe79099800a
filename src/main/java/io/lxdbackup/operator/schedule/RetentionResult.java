package io.lxdbackup.operator.schedule;

import java.util.List;
import java.util.Map;

/**
 * What {@link RetentionPolicy#select} decided. Both lists are newest first and together hold every
 * candidate exactly once.
 *
 * @param keep candidates to keep
 * @param remove candidates to delete
 * @param reasons for every candidate id, why it is kept or removed, for events and logs
 */
public record RetentionResult(
        List<RetentionCandidate> keep, List<RetentionCandidate> remove, Map<String, List<String>> reasons) {

    public RetentionResult {
        keep = List.copyOf(keep);
        remove = List.copyOf(remove);
        reasons = Map.copyOf(reasons);
    }

    public List<String> keepIds() {
        return keep.stream().map(RetentionCandidate::id).toList();
    }

    public List<String> removeIds() {
        return remove.stream().map(RetentionCandidate::id).toList();
    }
}
