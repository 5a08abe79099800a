package io.lxdbackup.operator.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CronScheduleTest {

    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
    private static final ZoneId NEW_YORK = ZoneId.of("America/New_York");

    /** The next {@code count} firings strictly after {@code after}, as UTC instants. */
    private static List<Instant> fires(CronSchedule s, String after, int count) {
        List<Instant> out = new ArrayList<>();
        Instant cursor = Instant.parse(after);
        for (int i = 0; i < count; i++) {
            cursor = s.next(cursor).orElseThrow().toInstant();
            out.add(cursor);
        }
        return out;
    }

    private static List<Instant> instants(String... values) {
        return java.util.Arrays.stream(values).map(Instant::parse).toList();
    }

    @ParameterizedTest
    @CsvSource({
        "@hourly,    2024-01-01T00:00:00Z, 2024-01-01T01:00:00Z, 2024-01-01T02:00:00Z",
        "@daily,     2024-01-01T00:00:00Z, 2024-01-02T00:00:00Z, 2024-01-03T00:00:00Z",
        "@midnight,  2024-01-01T00:00:00Z, 2024-01-02T00:00:00Z, 2024-01-03T00:00:00Z",
        "@weekly,    2024-01-01T00:00:00Z, 2024-01-07T00:00:00Z, 2024-01-14T00:00:00Z",
        "@monthly,   2024-01-01T00:00:00Z, 2024-02-01T00:00:00Z, 2024-03-01T00:00:00Z",
        "@yearly,    2024-01-01T00:00:00Z, 2025-01-01T00:00:00Z, 2026-01-01T00:00:00Z",
        "@annually,  2024-01-01T00:00:00Z, 2025-01-01T00:00:00Z, 2026-01-01T00:00:00Z",
        "@DAILY,     2024-01-01T00:00:00Z, 2024-01-02T00:00:00Z, 2024-01-03T00:00:00Z",
    })
    void aliases(String alias, String after, String first, String second) {
        CronSchedule s = CronSchedule.parse(alias, null);
        assertThat(fires(s, after, 2)).containsExactly(Instant.parse(first), Instant.parse(second));
        assertThat(s.expression()).isEqualTo(alias);
    }

    @Test
    void rangesStepsListsAndNames() {
        String after = "2024-01-01T00:00:00Z"; // a Monday
        assertThat(fires(CronSchedule.parse("*/15 9-10 * * *", "UTC"), after, 5))
                .isEqualTo(instants(
                        "2024-01-01T09:00:00Z",
                        "2024-01-01T09:15:00Z",
                        "2024-01-01T09:30:00Z",
                        "2024-01-01T09:45:00Z",
                        "2024-01-01T10:00:00Z"));
        assertThat(fires(CronSchedule.parse("0 6 * * MON-FRI", "UTC"), "2024-01-05T07:00:00Z", 2))
                .isEqualTo(instants("2024-01-08T06:00:00Z", "2024-01-09T06:00:00Z"));
        assertThat(fires(CronSchedule.parse("0 0 1 jan,Jul *", "UTC"), after, 2))
                .isEqualTo(instants("2024-07-01T00:00:00Z", "2025-01-01T00:00:00Z"));
        assertThat(fires(CronSchedule.parse("5/20 0 * * *", "UTC"), after, 3))
                .isEqualTo(instants("2024-01-01T00:05:00Z", "2024-01-01T00:25:00Z", "2024-01-01T00:45:00Z"));
        assertThat(fires(CronSchedule.parse("0 0 1-31/10 * *", "UTC"), after, 4))
                .isEqualTo(instants(
                        "2024-01-11T00:00:00Z",
                        "2024-01-21T00:00:00Z",
                        "2024-01-31T00:00:00Z",
                        "2024-02-01T00:00:00Z"));
        // 7 is Sunday, like 0.
        assertThat(fires(CronSchedule.parse("0 12 * * 7", "UTC"), after, 1))
                .isEqualTo(instants("2024-01-07T12:00:00Z"));
        assertThat(fires(CronSchedule.parse("0 0 29 2 *", "UTC"), after, 2))
                .isEqualTo(instants("2024-02-29T00:00:00Z", "2028-02-29T00:00:00Z"));
    }

    @Test
    void dayOfMonthAndDayOfWeekAreOredWhenBothAreRestricted() {
        // The 13th of each month or any Friday.
        assertThat(fires(CronSchedule.parse("0 0 13 * FRI", "UTC"), "2024-01-01T00:00:00Z", 4))
                .isEqualTo(instants(
                        "2024-01-05T00:00:00Z",
                        "2024-01-12T00:00:00Z",
                        "2024-01-13T00:00:00Z",
                        "2024-01-19T00:00:00Z"));
    }

    @Test
    void aStarOrQuestionMarkDayFieldLeavesTheDecisionToTheOther() {
        assertThat(fires(CronSchedule.parse("0 0 * * FRI", "UTC"), "2024-01-01T00:00:00Z", 2))
                .isEqualTo(instants("2024-01-05T00:00:00Z", "2024-01-12T00:00:00Z"));
        assertThat(fires(CronSchedule.parse("0 0 13 * ?", "UTC"), "2024-01-01T00:00:00Z", 2))
                .isEqualTo(instants("2024-01-13T00:00:00Z", "2024-02-13T00:00:00Z"));
        // "*/1" is "*" as in Kubernetes: only the 1st of the month, not every day.
        assertThat(fires(CronSchedule.parse("0 0 1 * */1", "UTC"), "2024-01-01T00:00:00Z", 2))
                .isEqualTo(instants("2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z"));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "61 * * * *        | invalid cron expression \"61 * * * *\": minute 61 is out of range 0-59",
                "0 24 * * *        | invalid cron expression \"0 24 * * *\": hour 24 is out of range 0-23",
                "0 0 0 * *         | invalid cron expression \"0 0 0 * *\": day-of-month 0 is out of range 1-31",
                "0 0 1 13 *        | invalid cron expression \"0 0 1 13 *\": month 13 is out of range 1-12",
                "0 0 * * 8         | invalid cron expression \"0 0 * * 8\": day-of-week 8 is out of range 0-7",
                "0 0 1 FOO *       | invalid cron expression \"0 0 1 FOO *\": month \"FOO\" is not a number or a name (JAN-DEC)",
                "0 0 * * JAN       | invalid cron expression \"0 0 * * JAN\": day-of-week \"JAN\" is not a number or a name (SUN-SAT)",
                "a * * * *         | invalid cron expression \"a * * * *\": minute \"a\" is not a number",
                "0 22-2 * * *      | invalid cron expression \"0 22-2 * * *\": hour range 22-2 goes backwards; ranges run from low to high (write 22-23,0-2 to wrap around)",
                "*/0 * * * *       | invalid cron expression \"*/0 * * * *\": minute step 0 is out of range 1-59",
                "*/60 * * * *      | invalid cron expression \"*/60 * * * *\": minute step 60 is out of range 1-59",
                "1,,2 * * * *      | invalid cron expression \"1,,2 * * * *\": minute \"1,,2\" has an empty list entry",
                "0 0 L * *         | invalid cron expression \"0 0 L * *\": day-of-month \"L\" is not a number",
                "* * * *           | invalid cron expression \"* * * *\": expected 5 fields (minute hour day-of-month month day-of-week) or one of @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually, got 4",
                "0 * * * * *       | invalid cron expression \"0 * * * * *\": expected 5 fields (minute hour day-of-month month day-of-week) or one of @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually, got 6 (seconds and years are not supported)",
                "@every 1h         | invalid cron expression \"@every 1h\": unknown alias; use one of @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually, or 5 fields (minute hour day-of-month month day-of-week)",
                "0 0 30 2 *        | invalid cron expression \"0 0 30 2 *\": it never fires (no month has that day-of-month); check the day and month fields",
            })
    void invalidExpressionsSayWhatToFix(String expression, String message) {
        assertThatThrownBy(() -> CronSchedule.parse(expression, "UTC"))
                .isInstanceOf(InvalidScheduleException.class)
                .hasMessage(message);
        assertThatThrownBy(() -> CronSchedule.validate(expression, "UTC"))
                .isInstanceOf(InvalidScheduleException.class)
                .hasMessage(message);
    }

    @Test
    void emptyExpression() {
        assertThatThrownBy(() -> CronSchedule.parse("  ", null))
                .isInstanceOf(InvalidScheduleException.class)
                .hasMessage("invalid cron expression \"\": it is empty; write 5 fields (minute hour day-of-month"
                        + " month day-of-week) such as \"0 6 * * *\", or an alias such as @daily");
        assertThatThrownBy(() -> CronSchedule.parse(null, null)).isInstanceOf(InvalidScheduleException.class);
    }

    @Test
    void timeZones() {
        assertThat(CronSchedule.parse("0 6 * * *", null).zone()).isEqualTo(ZoneOffset.UTC);
        assertThat(CronSchedule.parse("0 6 * * *", "").zone()).isEqualTo(ZoneOffset.UTC);
        assertThat(CronSchedule.parse("0 6 * * *", "Europe/Berlin").zone()).isEqualTo(BERLIN);
        assertThatThrownBy(() -> CronSchedule.parse("0 6 * * *", "Mars/Base"))
                .isInstanceOf(InvalidScheduleException.class)
                .hasMessage("unknown time zone \"Mars/Base\"; use an IANA name such as Europe/Berlin");
        assertThatThrownBy(() -> CronSchedule.parse("0 6 * * *", "+02:00"))
                .isInstanceOf(InvalidScheduleException.class)
                .hasMessage("unknown time zone \"+02:00\"; use an IANA name such as Europe/Berlin");
        assertThatThrownBy(() -> CronSchedule.validate("0 6 * * *", "europe/berlin"))
                .isInstanceOf(InvalidScheduleException.class)
                .hasMessage("unknown time zone \"europe/berlin\"; names are case-sensitive, did you mean"
                        + " Europe/Berlin?");
    }

    @Test
    void firesOnTheWallClockOfItsZone() {
        CronSchedule s = CronSchedule.parse("0 6 * * *", "Europe/Berlin");
        ZonedDateTime next = s.next(ZonedDateTime.parse("2024-07-01T00:00:00Z")).orElseThrow();
        assertThat(next.toInstant()).isEqualTo(Instant.parse("2024-07-01T04:00:00Z"));
        assertThat(next.getZone()).isEqualTo(BERLIN);
        assertThat(next.getHour()).isEqualTo(6);
    }

    @Test
    void nextIsStrictlyAfterAndLastIsAtOrBefore() {
        CronSchedule s = CronSchedule.parse("0 6 * * *", "UTC");
        Instant six = Instant.parse("2024-01-02T06:00:00Z");
        assertThat(s.next(six).orElseThrow().toInstant()).isEqualTo(Instant.parse("2024-01-03T06:00:00Z"));
        assertThat(s.next(six.minusNanos(1)).orElseThrow().toInstant()).isEqualTo(six);
        assertThat(s.lastFireAtOrBefore(six).orElseThrow().toInstant()).isEqualTo(six);
        assertThat(s.lastFireAtOrBefore(six.minusNanos(1)).orElseThrow().toInstant())
                .isEqualTo(Instant.parse("2024-01-01T06:00:00Z"));
    }

    // --- DST, Europe/Berlin 2024: 31 March 02:00 CET -> 03:00 CEST, 27 October 03:00 CEST -> 02:00 CET

    @Test
    void berlinSpringForwardDailyInTheGapFiresOnceShiftedByTheGap() {
        CronSchedule s = CronSchedule.parse("30 2 * * *", "Europe/Berlin");
        assertThat(fires(s, "2024-03-30T12:00:00Z", 2))
                .isEqualTo(instants(
                        "2024-03-31T01:30:00Z", // 03:30 CEST: 02:30 does not exist that day
                        "2024-04-01T00:30:00Z")); // 02:30 CEST
        assertThat(s.next(Instant.parse("2024-03-31T01:30:00Z")).orElseThrow().toOffsetDateTime())
                .hasToString("2024-04-01T02:30+02:00");
        assertThat(s.lastFireAtOrBefore(Instant.parse("2024-03-31T12:00:00Z"))
                        .orElseThrow()
                        .toInstant())
                .isEqualTo(Instant.parse("2024-03-31T01:30:00Z"));
        assertThat(s.lastFireAtOrBefore(Instant.parse("2024-03-31T01:29:59Z"))
                        .orElseThrow()
                        .toInstant())
                .isEqualTo(Instant.parse("2024-03-30T01:30:00Z"));
    }

    @Test
    void berlinFallBackDailyInTheRepeatedHourFiresOnceAtTheFirstOccurrence() {
        CronSchedule s = CronSchedule.parse("30 2 * * *", "Europe/Berlin");
        assertThat(fires(s, "2024-10-26T12:00:00Z", 2))
                .isEqualTo(instants(
                        "2024-10-27T00:30:00Z", // 02:30 CEST; not again at 02:30 CET (01:30Z)
                        "2024-10-28T01:30:00Z")); // 02:30 CET
        assertThat(s.lastFireAtOrBefore(Instant.parse("2024-10-27T01:45:00Z"))
                        .orElseThrow()
                        .toInstant())
                .isEqualTo(Instant.parse("2024-10-27T00:30:00Z"));
    }

    @Test
    void berlinHourlyFiresEveryRealHourAcrossBothChanges() {
        CronSchedule s = CronSchedule.parse("0 * * * *", "Europe/Berlin");
        assertThat(fires(s, "2024-03-30T22:30:00Z", 4))
                .isEqualTo(instants(
                        "2024-03-30T23:00:00Z", // 00:00 CET
                        "2024-03-31T00:00:00Z", // 01:00 CET
                        "2024-03-31T01:00:00Z", // 03:00 CEST; 02:00 does not exist
                        "2024-03-31T02:00:00Z")); // 04:00 CEST
        assertThat(fires(s, "2024-10-26T22:30:00Z", 4))
                .isEqualTo(instants(
                        "2024-10-26T23:00:00Z", // 01:00 CEST
                        "2024-10-27T00:00:00Z", // 02:00 CEST
                        "2024-10-27T01:00:00Z", // 02:00 CET, the repeated hour
                        "2024-10-27T02:00:00Z")); // 03:00 CET
        assertThat(s.lastFireAtOrBefore(Instant.parse("2024-10-27T01:30:00Z"))
                        .orElseThrow()
                        .toOffsetDateTime())
                .hasToString("2024-10-27T02:00+01:00");
        assertThat(s.lastFireAtOrBefore(Instant.parse("2024-10-27T00:59:59Z"))
                        .orElseThrow()
                        .toOffsetDateTime())
                .hasToString("2024-10-27T02:00+02:00");
    }

    @Test
    void berlinSubHourlyWildcardInTheRepeatedHourIsInRealTimeOrder() {
        CronSchedule s = CronSchedule.parse("*/30 * * * *", "Europe/Berlin");
        assertThat(fires(s, "2024-10-26T23:45:00Z", 5))
                .isEqualTo(instants(
                        "2024-10-27T00:00:00Z",
                        "2024-10-27T00:30:00Z",
                        "2024-10-27T01:00:00Z",
                        "2024-10-27T01:30:00Z",
                        "2024-10-27T02:00:00Z"));
        // After 02:45 CEST the next ":10" is 02:10 CET, which is earlier on the wall clock.
        assertThat(CronSchedule.parse("10 * * * *", "Europe/Berlin")
                        .next(Instant.parse("2024-10-27T00:45:00Z"))
                        .orElseThrow()
                        .toOffsetDateTime())
                .hasToString("2024-10-27T02:10+01:00");
    }

    @Test
    void fixedTimesInTheGapThatLandOnAnExistingTimeFireOnce() {
        CronSchedule s = CronSchedule.parse("30 2,3 * * *", "Europe/Berlin");
        assertThat(fires(s, "2024-03-30T12:00:00Z", 3))
                .isEqualTo(instants(
                        "2024-03-31T01:30:00Z", // 02:30 shifted to 03:30 coincides with 03:30
                        "2024-04-01T00:30:00Z",
                        "2024-04-01T01:30:00Z"));
    }

    // --- DST, America/New_York 2024: 10 March 02:00 EST -> 03:00 EDT, 3 November 02:00 EDT -> 01:00 EST

    @Test
    void newYorkSpringForward() {
        CronSchedule daily = CronSchedule.parse("30 2 * * *", "America/New_York");
        assertThat(fires(daily, "2024-03-09T12:00:00Z", 2))
                .isEqualTo(instants("2024-03-10T07:30:00Z", "2024-03-11T06:30:00Z")); // 03:30 EDT, 02:30 EDT
        CronSchedule hourly = CronSchedule.parse("@hourly", "America/New_York");
        assertThat(fires(hourly, "2024-03-10T05:30:00Z", 3))
                .isEqualTo(instants(
                        "2024-03-10T06:00:00Z", // 01:00 EST
                        "2024-03-10T07:00:00Z", // 03:00 EDT
                        "2024-03-10T08:00:00Z")); // 04:00 EDT
    }

    @Test
    void newYorkFallBack() {
        // 02:30 is not repeated in New York (01:00-01:59 is), so it is an ordinary day for it.
        CronSchedule daily = CronSchedule.parse("30 2 * * *", "America/New_York");
        assertThat(fires(daily, "2024-11-02T12:00:00Z", 2))
                .isEqualTo(instants("2024-11-03T07:30:00Z", "2024-11-04T07:30:00Z"));
        CronSchedule repeated = CronSchedule.parse("30 1 * * *", "America/New_York");
        assertThat(fires(repeated, "2024-11-02T12:00:00Z", 2))
                .isEqualTo(instants("2024-11-03T05:30:00Z", "2024-11-04T06:30:00Z")); // 01:30 EDT once
        CronSchedule hourly = CronSchedule.parse("0 * * * *", "America/New_York");
        assertThat(fires(hourly, "2024-11-03T03:30:00Z", 4))
                .isEqualTo(instants(
                        "2024-11-03T04:00:00Z", // 00:00 EDT
                        "2024-11-03T05:00:00Z", // 01:00 EDT
                        "2024-11-03T06:00:00Z", // 01:00 EST
                        "2024-11-03T07:00:00Z")); // 02:00 EST
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "30 2 * * *       | Europe/Berlin       | 2011-01-01 | 2012-01-01",
                "0 * * * *        | Europe/Berlin       | 2011-03-20 | 2011-04-05",
                "0 * * * *        | Europe/Berlin       | 2011-10-20 | 2011-11-05",
                "*/20 * * * *     | Europe/Berlin       | 2011-10-29 | 2011-10-31",
                "15 1-3 * * *     | America/New_York    | 2011-01-01 | 2012-01-01",
                "0,30 2 * * SUN   | America/New_York    | 2011-01-01 | 2012-01-01",
                "*/7 */5 * * *    | Australia/Lord_Howe | 2011-03-25 | 2011-10-10",
                "0 0 * * *        | Pacific/Apia        | 2011-01-01 | 2012-01-01",
                "45 23 * * *      | UTC                 | 2011-01-01 | 2012-01-01",
            })
    void nextAndLastAgreeAcrossDstChanges(String expression, String zone, String from, String to) {
        CronSchedule s = CronSchedule.parse(expression, zone);
        Instant start = Instant.parse(from + "T00:00:00Z");
        Instant end = Instant.parse(to + "T00:00:00Z");
        Instant previous = s.lastFireAtOrBefore(start).orElseThrow().toInstant();
        Instant cursor = start;
        int count = 0;
        while (cursor.isBefore(end)) {
            Instant fire = s.next(cursor).orElseThrow().toInstant();
            assertThat(fire).isAfter(cursor);
            assertThat(s.lastFireAtOrBefore(fire).orElseThrow().toInstant()).isEqualTo(fire);
            assertThat(s.lastFireAtOrBefore(fire.minusNanos(1)).orElseThrow().toInstant())
                    .isEqualTo(previous);
            previous = fire;
            cursor = fire;
            count++;
        }
        assertThat(count).isPositive();
    }

    @Test
    void apiaSkippedAWholeDayIn2011AndTheDailyRunStillHappensOnce() {
        // Samoa jumped from 29 December 2011 23:59:59 (-10:00) to 31 December 00:00 (+14:00).
        CronSchedule s = CronSchedule.parse("0 12 * * *", "Pacific/Apia");
        ZonedDateTime lastBefore = s.next(Instant.parse("2011-12-29T12:00:00Z")).orElseThrow();
        assertThat(lastBefore.toOffsetDateTime()).hasToString("2011-12-29T12:00-10:00");
        ZonedDateTime skippedDay = s.next(lastBefore).orElseThrow();
        assertThat(skippedDay.toOffsetDateTime()).hasToString("2011-12-31T12:00+14:00");
        assertThat(s.next(skippedDay).orElseThrow().toOffsetDateTime()).hasToString("2012-01-01T12:00+14:00");
    }
}
