package io.lxdbackup.operator.lxd;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Optional;

/**
 * LXD's {@code snapshots.expiry} expression ("1M 2H 3d 4w 5m 6y": minutes, hours, days, weeks,
 * months, years), applied to a creation time the way the server does when a snapshot is taken
 * without an explicit {@code expires_at}.
 */
public final class SnapshotExpiry {
    private SnapshotExpiry() {}

    /**
     * The expiry of a snapshot created at {@code created} under {@code expression}; empty when the
     * expression is absent or blank (never expires).
     *
     * @throws IllegalArgumentException when the expression is not one LXD accepts
     */
    public static Optional<Instant> resolve(String expression, Instant created) {
        if (expression == null || expression.isBlank()) {
            return Optional.empty();
        }
        ZonedDateTime t = created.atZone(ZoneOffset.UTC);
        for (String part : expression.trim().split("\\s+")) {
            if (part.length() < 2) {
                throw new IllegalArgumentException("invalid snapshots.expiry \"" + expression + "\"");
            }
            long n;
            try {
                n = Long.parseLong(part.substring(0, part.length() - 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid snapshots.expiry \"" + expression + "\"");
            }
            t = switch (part.charAt(part.length() - 1)) {
                case 'M' -> t.plusMinutes(n);
                case 'H' -> t.plusHours(n);
                case 'd' -> t.plusDays(n);
                case 'w' -> t.plusWeeks(n);
                case 'm' -> t.plusMonths(n);
                case 'y' -> t.plusYears(n);
                default -> throw new IllegalArgumentException("invalid snapshots.expiry \"" + expression + "\"");
            };
        }
        return Optional.of(t.toInstant());
    }
}
