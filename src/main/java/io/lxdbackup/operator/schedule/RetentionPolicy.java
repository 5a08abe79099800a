package io.lxdbackup.operator.schedule;

import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * Which of a schedule's backups to keep, with the semantics of Proxmox Backup Server's prune
 * ({@code compute_prune_info} in proxmox-backup), plus two safety rules of our own.
 *
 * <h2>Rules</h2>
 *
 * <ol>
 *   <li>Candidates are sorted newest first (ties broken by id). Periods (hour, day, ISO week
 *       starting Monday, month, year) are calendar periods in the given zone, normally the
 *       schedule's time zone. A repeated wall-clock hour at a DST change is one hourly period, as
 *       in PBS.
 *   <li><b>Unsuccessful</b> candidates (failed or still running) never count for a rule. Those
 *       newer than the newest successful one are kept, since they may still be running; older ones
 *       are removed. (PBS keeps only the newest such backup; with {@code concurrencyPolicy: Allow}
 *       several can be running, so we keep them all.)
 *   <li>If <b>no rule is set</b> (all null) everything is kept. There are no hidden defaults.
 *   <li>Otherwise the set rules run in the order keep-last, keep-hourly, keep-daily, keep-weekly,
 *       keep-monthly, keep-yearly. keep-last treats every backup as its own period. Each rule:
 *       <ol type="a">
 *         <li>notes the periods (of its own kind) of all backups already kept by earlier rules;
 *         <li>walks the successful backups newest to oldest, skipping those an earlier rule already
 *             kept or removed, and those in a noted period (they stay undecided, so a later rule
 *             may still keep them);
 *         <li>keeps the first backup of each new period, until it has kept {@code n}; it stops at
 *             the first new period beyond {@code n};
 *         <li>marks an older backup of a period it kept in step c as removed, so no later rule
 *             keeps it.
 *       </ol>
 *       So a rule only looks further back than the periods already covered: keep-daily=7 after
 *       keep-last=3 keeps 7 days <em>besides</em> the days keep-last covers.
 *   <li>The <b>newest successful</b> backup is always kept, even when every count is 0. (PBS keeps
 *       everything when every count is 0; we honour the zeros but never delete the only good copy.)
 *   <li>Everything not kept above is removed.
 * </ol>
 *
 * <h2>Worked example</h2>
 *
 * {@code keepLast=2, keepDaily=3, keepWeekly=1, keepMonthly=1}, zone UTC, 2024:
 *
 * <pre>
 * id  time              ok?     result  why
 * a   Fri 03-15 18:00   failed  keep    unsuccessful, newer than the newest successful (b)
 * b   Fri 03-15 06:00   yes     keep    keep-last 1 of 2
 * c   Thu 03-14 18:00   yes     keep    keep-last 2 of 2
 * d   Thu 03-14 06:00   yes     remove  day 03-14 is covered by c; week and month covered too
 * e   Wed 03-13 06:00   yes     keep    keep-daily 03-13 (1 of 3)
 * f   Tue 03-12 06:00   failed  remove  unsuccessful and older than b
 * g   Mon 03-11 06:00   yes     keep    keep-daily 03-11 (2 of 3)
 * h   Sun 03-10 06:00   yes     keep    keep-daily 03-10 (3 of 3)
 * i   Sat 03-09 06:00   yes     remove  keep-daily is full; week 2024-W10 is covered by h
 * j   Sun 03-03 06:00   yes     keep    keep-weekly 2024-W09 (1 of 1)
 * k   Sun 02-25 06:00   yes     keep    keep-monthly 2024-02 (1 of 1); March is covered
 * l   Sun 01-28 06:00   yes     remove  keep-monthly is full
 * </pre>
 *
 * @param keepLast nullable: keep the n newest backups
 * @param keepHourly nullable: keep the newest backup of each of the n newest hours not yet covered
 * @param keepDaily nullable: same per day
 * @param keepWeekly nullable: same per ISO week
 * @param keepMonthly nullable: same per month
 * @param keepYearly nullable: same per year
 */
public record RetentionPolicy(
        Integer keepLast,
        Integer keepHourly,
        Integer keepDaily,
        Integer keepWeekly,
        Integer keepMonthly,
        Integer keepYearly) {

    private static final DateTimeFormatter HOUR = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH");
    private static final DateTimeFormatter DAY = DateTimeFormatter.ISO_LOCAL_DATE;
    private static final DateTimeFormatter MONTH = DateTimeFormatter.ofPattern("uuuu-MM");
    private static final DateTimeFormatter YEAR = DateTimeFormatter.ofPattern("uuuu");

    public RetentionPolicy {
        requireNotNegative("keepLast", keepLast);
        requireNotNegative("keepHourly", keepHourly);
        requireNotNegative("keepDaily", keepDaily);
        requireNotNegative("keepWeekly", keepWeekly);
        requireNotNegative("keepMonthly", keepMonthly);
        requireNotNegative("keepYearly", keepYearly);
    }

    /** No rule set: keeps everything. */
    public static RetentionPolicy keepAll() {
        return new RetentionPolicy(null, null, null, null, null, null);
    }

    public boolean hasAnyRule() {
        return keepLast != null
                || keepHourly != null
                || keepDaily != null
                || keepWeekly != null
                || keepMonthly != null
                || keepYearly != null;
    }

    /** Applies the rules in the class description. */
    public RetentionResult select(List<RetentionCandidate> candidates, ZoneId zone) {
        Objects.requireNonNull(candidates, "candidates");
        Objects.requireNonNull(zone, "zone");
        Set<String> ids = new HashSet<>();
        for (RetentionCandidate candidate : candidates) {
            if (!ids.add(candidate.id())) {
                throw new IllegalArgumentException("duplicate retention candidate id \"" + candidate.id() + "\"");
            }
        }
        List<RetentionCandidate> newestFirst = candidates.stream()
                .sorted(Comparator.comparing(RetentionCandidate::time)
                        .reversed()
                        .thenComparing(RetentionCandidate::id))
                .toList();

        Marks marks = new Marks();
        if (!hasAnyRule()) {
            newestFirst.forEach(c -> marks.keepOther(c, "no retention rule is set; everything is kept"));
            return marks.result(newestFirst);
        }

        RetentionCandidate newestSuccessful = newestFirst.stream()
                .filter(RetentionCandidate::successful)
                .findFirst()
                .orElse(null);
        boolean newerThanNewestSuccessful = true;
        for (RetentionCandidate candidate : newestFirst) {
            if (candidate.successful()) {
                newerThanNewestSuccessful = false;
            } else if (newerThanNewestSuccessful) {
                marks.keepOther(
                        candidate, "unsuccessful but newer than the newest successful backup; it may still be running");
            } else {
                marks.remove(candidate, "unsuccessful and older than the newest successful backup");
            }
        }

        apply(marks, newestFirst, keepLast, "keep-last", RetentionCandidate::id, false);
        apply(marks, newestFirst, keepHourly, "keep-hourly", period(zone, HOUR), true);
        apply(marks, newestFirst, keepDaily, "keep-daily", period(zone, DAY), true);
        apply(marks, newestFirst, keepWeekly, "keep-weekly", isoWeek(zone), true);
        apply(marks, newestFirst, keepMonthly, "keep-monthly", period(zone, MONTH), true);
        apply(marks, newestFirst, keepYearly, "keep-yearly", period(zone, YEAR), true);

        if (newestSuccessful != null && !marks.isDecided(newestSuccessful)) {
            marks.keepOther(newestSuccessful, "newest successful backup; it is always kept");
        }
        for (RetentionCandidate candidate : newestFirst) {
            if (!marks.isDecided(candidate)) {
                marks.remove(candidate, "not selected by any keep rule");
            }
        }
        return marks.result(newestFirst);
    }

    /** One PBS {@code mark_selections} pass; see rule 4 of the class description. */
    private static void apply(
            Marks marks,
            List<RetentionCandidate> newestFirst,
            Integer count,
            String rule,
            Function<RetentionCandidate, String> periodOf,
            boolean showPeriod) {
        if (count == null) {
            return;
        }
        Set<String> coveredEarlier = new HashSet<>();
        for (RetentionCandidate candidate : newestFirst) {
            if (marks.isKeptByRule(candidate)) {
                coveredEarlier.add(periodOf.apply(candidate));
            }
        }
        Set<String> keptHere = new HashSet<>();
        for (RetentionCandidate candidate : newestFirst) {
            if (marks.isDecided(candidate)) {
                continue;
            }
            String period = periodOf.apply(candidate);
            if (coveredEarlier.contains(period)) {
                continue;
            }
            if (keptHere.contains(period)) {
                marks.remove(candidate, rule + ": a newer backup of " + period + " is kept");
                continue;
            }
            if (keptHere.size() >= count) {
                break;
            }
            keptHere.add(period);
            String position = keptHere.size() + " of " + count;
            marks.keepByRule(candidate, rule + ": " + (showPeriod ? period + " (" + position + ")" : position));
        }
    }

    private static Function<RetentionCandidate, String> period(ZoneId zone, DateTimeFormatter format) {
        return c -> format.format(c.time().atZone(zone));
    }

    private static Function<RetentionCandidate, String> isoWeek(ZoneId zone) {
        return c -> {
            ZonedDateTime t = c.time().atZone(zone);
            return String.format(
                    "%04d-W%02d", t.get(IsoFields.WEEK_BASED_YEAR), t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR));
        };
    }

    private static void requireNotNegative(String name, Integer value) {
        if (value != null && value < 0) {
            throw new IllegalArgumentException(
                    "retention " + name + " must be 0 or more (or left unset), got " + value);
        }
    }

    private static final class Marks {
        private enum Mark {
            KEPT_BY_RULE,
            KEPT_OTHERWISE,
            REMOVED
        }

        private final Map<String, Mark> marks = new HashMap<>();
        private final Map<String, List<String>> reasons = new LinkedHashMap<>();

        boolean isDecided(RetentionCandidate c) {
            return marks.containsKey(c.id());
        }

        /** Only rule keeps cover periods for later rules, as PBS's "keep" versus "keep-partial". */
        boolean isKeptByRule(RetentionCandidate c) {
            return marks.get(c.id()) == Mark.KEPT_BY_RULE;
        }

        void keepByRule(RetentionCandidate c, String reason) {
            mark(c, Mark.KEPT_BY_RULE, reason);
        }

        void keepOther(RetentionCandidate c, String reason) {
            mark(c, Mark.KEPT_OTHERWISE, reason);
        }

        void remove(RetentionCandidate c, String reason) {
            mark(c, Mark.REMOVED, reason);
        }

        private void mark(RetentionCandidate c, Mark mark, String reason) {
            marks.put(c.id(), mark);
            reasons.computeIfAbsent(c.id(), id -> new ArrayList<>()).add(reason);
        }

        RetentionResult result(List<RetentionCandidate> newestFirst) {
            List<RetentionCandidate> keep = new ArrayList<>();
            List<RetentionCandidate> remove = new ArrayList<>();
            for (RetentionCandidate c : newestFirst) {
                (marks.get(c.id()) == Mark.REMOVED ? remove : keep).add(c);
            }
            Map<String, List<String>> frozen = new LinkedHashMap<>();
            reasons.forEach((id, list) -> frozen.put(id, List.copyOf(list)));
            return new RetentionResult(keep, remove, frozen);
        }
    }
}
