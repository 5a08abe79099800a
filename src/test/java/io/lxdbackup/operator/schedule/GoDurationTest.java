package io.lxdbackup.operator.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GoDurationTest {

    @ParameterizedTest
    @CsvSource({
        "90s,        PT1M30S",
        "36h,        PT36H",
        "1h30m,      PT1H30M",
        "500ms,      PT0.5S",
        "1.5h,       PT1H30M",
        ".5m,        PT30S",
        "1.h,        PT1H",
        "168h,       PT168H",
        "2h45m30.5s, PT2H45M30.5S",
        "1us,        PT0.000001S",
        "1µs,        PT0.000001S",
        "3ns,        PT0.000000003S",
        "+5m,        PT5M",
        "0,          PT0S",
        "0s,         PT0S",
        "1m1m,       PT2M",
    })
    void parsesGoDurations(String text, String expected) {
        assertThat(GoDuration.parse(text)).isEqualTo(Duration.parse(expected));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "7d    | invalid duration \"7d\": use h, m, s (for example 168h for 7 days)",
                "1d    | invalid duration \"1d\": use h, m, s (for example 24h for 1 day)",
                "2w    | invalid duration \"2w\": use h, m, s (for example 336h for 2 weeks)",
                "1h7d  | invalid duration \"1h7d\": use h, m, s (for example 168h for 7 days)",
                "5x    | invalid duration \"5x\": unknown unit \"x\"; use h, m, s, ms, us or ns (for example 90s, 36h or 1h30m)",
                "1.5d  | invalid duration \"1.5d\": unknown unit \"d\"; use h, m, s, ms, us or ns (for example 90s, 36h or 1h30m)",
                "90    | invalid duration \"90\": a unit is missing after 90; use h, m or s (for example 90s)",
                "1h30  | invalid duration \"1h30\": a unit is missing after 30; use h, m or s (for example 90s)",
                "-5m   | invalid duration \"-5m\": it must not be negative",
                "h     | invalid duration \"h\": expected a number before \"h\"",
                ".s    | invalid duration \".s\": expected a number before \"s\"",
                "1 h   | invalid duration \"1 h\": unknown unit \" h\"; use h, m, s, ms, us or ns (for example 90s, 36h or 1h30m)",
                "3000000h | invalid duration \"3000000h\": it is too long (at most about 2562047h)",
            })
    void rejectsWithAMessageThatSaysWhatToWrite(String text, String message) {
        assertThatThrownBy(() -> GoDuration.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    @org.junit.jupiter.api.Test
    void rejectsEmpty() {
        assertThatThrownBy(() -> GoDuration.parse(""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid duration \"\": it is empty");
        assertThatThrownBy(() -> GoDuration.parse(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid duration \"\": it is empty");
    }

    @ParameterizedTest
    @CsvSource({
        "PT0S,               0s",
        "PT1H,               1h0m0s",
        "PT1H30M,            1h30m0s",
        "PT90S,              1m30s",
        "PT168H,             168h0m0s",
        "PT0.5S,             500ms",
        "PT1.5S,             1.5s",
        "PT0.0015S,          1.5ms",
        "PT0.000001S,        1µs",
        "PT0.000000003S,     3ns",
        "PT2H45M30.25S,      2h45m30.25s",
        "-PT1M,              -1m0s",
    })
    void formatsLikeGo(String iso, String expected) {
        Duration duration = Duration.parse(iso);
        assertThat(GoDuration.format(duration)).isEqualTo(expected);
        if (!duration.isNegative()) {
            assertThat(GoDuration.parse(expected)).isEqualTo(duration);
        }
    }
}
