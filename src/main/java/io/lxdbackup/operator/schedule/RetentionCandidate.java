package io.lxdbackup.operator.schedule;

import java.time.Instant;
import java.util.Objects;

/**
 * One backup a schedule made, as retention sees it.
 *
 * @param id unique among the candidates, e.g. the child object's name
 * @param time when the backup was taken (its scheduled time)
 * @param successful whether it completed; failed and still-running backups are both {@code false}
 */
public record RetentionCandidate(String id, Instant time, boolean successful) {

    public RetentionCandidate {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(time, "time");
    }
}
