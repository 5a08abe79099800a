package io.lxdbackup.operator.schedule;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * A 5-field cron schedule evaluated on the wall clock of an IANA time zone.
 *
 * <h2>Syntax</h2>
 *
 * Fields are {@code minute hour day-of-month month day-of-week} with {@code *}, lists
 * ({@code 1,15}), ranges ({@code 1-5}), steps ({@code *}{@code /15}, {@code 0-30/10}, {@code 5/15}),
 * month names {@code JAN-DEC} and day names {@code SUN-SAT} (case-insensitive; day-of-week 7 is
 * Sunday too). Aliases: {@code @hourly @daily @midnight @weekly @monthly @yearly @annually}. As in
 * Kubernetes CronJob (robfig/cron) and Vixie cron, when both day-of-month and day-of-week are
 * restricted a day matches if <em>either</em> matches ({@code 0 0 13 * FRI} fires on every 13th
 * and every Friday); when one of them is {@code *} (or {@code ?}) only the other one decides. A
 * stepped field such as {@code *}{@code /2} counts as restricted, as in Kubernetes. Expressions
 * that can never fire ({@code 0 0 30 2 *}) are rejected. Parsing and matching are done by
 * cron-utils (UNIX definition); this class adds aliases, readable errors and the DST rule below.
 *
 * <h2>Daylight saving time</h2>
 *
 * The schedule names wall-clock times; this is how they map to instants, following Vixie cron's
 * rule (cron(8): jobs with {@code *} in the minute or hour field are "wildcard" jobs, all others
 * are "fixed-time" jobs). {@code @hourly} is a wildcard job, {@code @daily} is fixed-time.
 *
 * <ul>
 *   <li><b>Spring forward</b> (the wall clock skips e.g. 02:00-02:59 in Europe/Berlin): a
 *       fixed-time job whose time falls in the gap fires once, shifted forward by the length of the
 *       gap ({@code 30 2 * * *} fires at 03:30 CEST); Vixie cron runs it "soon after the change",
 *       and cron-utils and Kubernetes (robfig/cron) skip it, which loses a day's backup. A wildcard
 *       job skips the missing times, because it fires again in the next real hour anyway ({@code 0
 *       * * * *} fires at 01:00 CET and then 03:00 CEST). Times that land on the same instant fire
 *       once.
 *   <li><b>Fall back</b> (the wall clock repeats e.g. 02:00-02:59): a fixed-time job fires once, at
 *       the first occurrence ({@code 30 2 * * *} fires at 02:30 CEST, not again at 02:30 CET;
 *       robfig/cron would fire twice). A wildcard job fires at both occurrences because they are
 *       different real hours ({@code 0 * * * *} fires at 02:00 CEST and at 02:00 CET).
 * </ul>
 *
 * Instances are immutable and thread-safe.
 */
public final class CronSchedule {

    private static final CronParser PARSER = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
    /** Any fixed point works: every satisfiable expression fires within 8 years of it. */
    private static final ZonedDateTime PROBE = ZonedDateTime.of(2000, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);

    /** Parsed schedules by expression and time zone (invalid ones are not kept). */
    private static final java.util.Map<String, CronSchedule> PARSED = new java.util.concurrent.ConcurrentHashMap<>();

    private static final int PARSED_MAX = 4096;

    private final String expression;
    private final ZoneId zone;
    private final ZoneRules rules;
    private final boolean wildcard;
    /** Matches wall-clock times; fed local times disguised as UTC so cron-utils never sees DST. */
    private final ExecutionTime wallClock;

    private CronSchedule(String expression, ZoneId zone, boolean wildcard, ExecutionTime wallClock) {
        this.expression = expression;
        this.zone = zone;
        this.rules = zone.getRules();
        this.wildcard = wildcard;
        this.wallClock = wallClock;
    }

    /**
     * Parses a schedule.
     *
     * @param expression 5-field cron expression or alias
     * @param timeZone IANA time zone name such as {@code Europe/Berlin}; null or blank means UTC
     * @throws InvalidScheduleException with a message for the user when either is not usable
     */
    public static CronSchedule parse(String expression, String timeZone) {
        // Every reconcile of every schedule parses its expression (a thousand schedules firing at
        // once spent a sixth of their CPU here): schedules are immutable, so parsed ones are kept.
        String key = expression + "\u0000" + timeZone;
        CronSchedule cached = PARSED.get(key);
        if (cached != null) {
            return cached;
        }
        CronSchedule parsed = parseUncached(expression, timeZone);
        if (PARSED.size() >= PARSED_MAX) {
            PARSED.clear();
        }
        PARSED.put(key, parsed);
        return parsed;
    }

    private static CronSchedule parseUncached(String expression, String timeZone) {
        ZoneId zone = parseTimeZone(timeZone);
        CronSyntax.Normalized normalized = CronSyntax.normalize(expression);
        String shown = expression.strip();
        ExecutionTime executionTime;
        try {
            executionTime = ExecutionTime.forCron(PARSER.parse(normalized.fiveFields()));
        } catch (IllegalArgumentException e) {
            // CronSyntax catches everything we know of; keep cron-utils' words for anything else.
            String detail = e.getMessage() == null ? "not understood" : e.getMessage();
            throw new InvalidScheduleException(
                    "invalid cron expression \"" + shown + "\": "
                            + detail.replace("Failed to parse cron expression. ", ""),
                    e);
        }
        if (executionTime.nextExecution(PROBE).isEmpty()) {
            throw CronSyntax.invalid(
                    shown, "it never fires (no month has that day-of-month); check the day and month fields");
        }
        return new CronSchedule(shown, zone, normalized.wildcard(), executionTime);
    }

    /** Throws the same {@link InvalidScheduleException} as {@link #parse} would; for admission. */
    public static void validate(String expression, String timeZone) {
        parse(expression, timeZone);
    }

    /**
     * Resolves a time zone name as Kubernetes CronJob's {@code timeZone} does: IANA names only (no
     * offsets like {@code +02:00}), case-sensitive.
     *
     * @param timeZone null or blank means UTC
     */
    public static ZoneId parseTimeZone(String timeZone) {
        if (timeZone == null || timeZone.isBlank()) {
            return ZoneOffset.UTC;
        }
        String name = timeZone.strip();
        if (ZoneId.getAvailableZoneIds().contains(name)) {
            return ZoneId.of(name);
        }
        String sameButCase = ZoneId.getAvailableZoneIds().stream()
                .filter(id -> id.toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT)))
                .findFirst()
                .orElse(null);
        throw new InvalidScheduleException("unknown time zone \"" + timeZone + "\"; "
                + (sameButCase != null
                        ? "names are case-sensitive, did you mean " + sameButCase + "?"
                        : "use an IANA name such as Europe/Berlin"));
    }

    /** The expression as written (trimmed), aliases not expanded. */
    public String expression() {
        return expression;
    }

    public ZoneId zone() {
        return zone;
    }

    /** The first firing strictly after {@code after}, in this schedule's zone. */
    public Optional<ZonedDateTime> next(ZonedDateTime after) {
        return next(after.toInstant());
    }

    /** The first firing strictly after {@code after}, in this schedule's zone. */
    public Optional<ZonedDateTime> next(Instant after) {
        Objects.requireNonNull(after, "after");
        // Walk the spans of constant UTC offset: inside one span wall clock and instants move together,
        // so cron-utils' wall-clock answer converts directly; the DST rule only acts at span edges.
        Instant bound = after;
        while (true) {
            Instant probe = bound.plusNanos(1);
            ZoneOffset offset = rules.getOffset(probe);
            ZoneOffsetTransition spanStart = rules.previousTransition(probe.plusNanos(1));
            ZoneOffsetTransition spanEnd = rules.nextTransition(probe);
            Instant end = spanEnd == null ? null : spanEnd.getInstant();

            Instant regular = null;
            LocalDateTime from = LocalDateTime.ofInstant(bound, offset).truncatedTo(ChronoUnit.SECONDS);
            LocalDateTime local;
            boolean exhausted = false;
            while (true) {
                Optional<LocalDateTime> match = wallClockAfter(from);
                if (match.isEmpty()) {
                    exhausted = true;
                    break;
                }
                local = match.get();
                Instant instant = local.toInstant(offset);
                if (end != null && !instant.isBefore(end)) {
                    break;
                }
                if (!wildcard && isSecondOccurrence(local, offset)) {
                    from = local;
                    continue;
                }
                if (instant.isAfter(after)) {
                    regular = instant;
                    break;
                }
                from = local;
            }

            Instant shifted = firstShiftedAfter(spanStart, after);
            Instant best = earliest(regular, shifted);
            if (best != null) {
                return Optional.of(best.atZone(zone));
            }
            if (end == null || exhausted) {
                return Optional.empty();
            }
            bound = end.minusNanos(1);
        }
    }

    /** The last firing at or before {@code t}, in this schedule's zone. */
    public Optional<ZonedDateTime> lastFireAtOrBefore(Instant t) {
        Objects.requireNonNull(t, "t");
        Instant bound = t;
        while (true) {
            ZoneOffset offset = rules.getOffset(bound);
            ZoneOffsetTransition spanStart = rules.previousTransition(bound.plusNanos(1));
            Instant start = spanStart == null ? null : spanStart.getInstant();

            Instant regular = null;
            LocalDateTime before = LocalDateTime.ofInstant(bound, offset)
                    .truncatedTo(ChronoUnit.SECONDS)
                    .plusSeconds(1);
            boolean exhausted = false;
            while (true) {
                Optional<LocalDateTime> match = wallClockBefore(before);
                if (match.isEmpty()) {
                    exhausted = true;
                    break;
                }
                LocalDateTime local = match.get();
                Instant instant = local.toInstant(offset);
                if (start != null && instant.isBefore(start)) {
                    break;
                }
                if (!wildcard && isSecondOccurrence(local, offset)) {
                    before = local;
                    continue;
                }
                if (!instant.isAfter(t)) {
                    regular = instant;
                    break;
                }
                before = local;
            }

            Instant shifted = lastShiftedAtOrBefore(spanStart, t);
            Instant best = latest(regular, shifted);
            if (best != null) {
                return Optional.of(best.atZone(zone));
            }
            if (start == null || exhausted) {
                return Optional.empty();
            }
            bound = start.minusNanos(1);
        }
    }

    /**
     * Fixed-time firings whose wall-clock time fell into the gap opened by {@code transition} run at
     * that time read with the old offset, which is the time shifted forward by the gap length.
     */
    private Instant firstShiftedAfter(ZoneOffsetTransition transition, Instant after) {
        if (wildcard || transition == null || !transition.isGap()) {
            return null;
        }
        ZoneOffset old = transition.getOffsetBefore();
        LocalDateTime from = LocalDateTime.ofInstant(after, old).truncatedTo(ChronoUnit.SECONDS);
        if (from.isBefore(transition.getDateTimeBefore())) {
            from = transition.getDateTimeBefore().minusSeconds(1);
        }
        return wallClockAfter(from)
                .filter(local -> local.isBefore(transition.getDateTimeAfter()))
                .map(local -> local.toInstant(old))
                .filter(instant -> instant.isAfter(after))
                .orElse(null);
    }

    private Instant lastShiftedAtOrBefore(ZoneOffsetTransition transition, Instant t) {
        if (wildcard || transition == null || !transition.isGap()) {
            return null;
        }
        ZoneOffset old = transition.getOffsetBefore();
        LocalDateTime before =
                LocalDateTime.ofInstant(t, old).truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
        if (before.isAfter(transition.getDateTimeAfter())) {
            before = transition.getDateTimeAfter();
        }
        return wallClockBefore(before)
                .filter(local -> !local.isBefore(transition.getDateTimeBefore()))
                .map(local -> local.toInstant(old))
                .filter(instant -> !instant.isAfter(t))
                .orElse(null);
    }

    /** Whether {@code local} read with {@code offset} is the repeat of a wall-clock time. */
    private boolean isSecondOccurrence(LocalDateTime local, ZoneOffset offset) {
        ZoneOffsetTransition transition = rules.getTransition(local);
        return transition != null && transition.isOverlap() && offset.equals(transition.getOffsetAfter());
    }

    private Optional<LocalDateTime> wallClockAfter(LocalDateTime local) {
        return wallClock.nextExecution(local.atZone(ZoneOffset.UTC)).map(ZonedDateTime::toLocalDateTime);
    }

    private Optional<LocalDateTime> wallClockBefore(LocalDateTime local) {
        return wallClock.lastExecution(local.atZone(ZoneOffset.UTC)).map(ZonedDateTime::toLocalDateTime);
    }

    private static Instant earliest(Instant a, Instant b) {
        if (a == null) {
            return b;
        }
        return b == null || a.isBefore(b) ? a : b;
    }

    private static Instant latest(Instant a, Instant b) {
        if (a == null) {
            return b;
        }
        return b == null || a.isAfter(b) ? a : b;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CronSchedule other && expression.equals(other.expression) && zone.equals(other.zone);
    }

    @Override
    public int hashCode() {
        return Objects.hash(expression, zone);
    }

    @Override
    public String toString() {
        return expression + " (" + zone.getId() + ")";
    }
}
