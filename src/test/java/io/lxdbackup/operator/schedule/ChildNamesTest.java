package io.lxdbackup.operator.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ChildNamesTest {

    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
    private static final ZonedDateTime SIX =
            LocalDateTime.parse("2024-03-05T06:00").atZone(BERLIN);
    /** RFC 1123 label: also valid as a subdomain and as a label value. */
    private static final String DNS_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";

    private static String longName(String tail) {
        return "a-rather-long-schedule-name-for-the-production-database-" + tail;
    }

    @Test
    void shortInputsGiveThePlainName() {
        assertThat(ChildNames.childName("daily", "web1", SIX)).isEqualTo("daily-web1-202403050600");
    }

    @Test
    void theTimestampIsTheScheduledWallClockInItsZone() {
        ZonedDateTime utc = SIX.withZoneSameInstant(ZoneId.of("UTC"));
        assertThat(ChildNames.childName("daily", "web1", utc)).isEqualTo("daily-web1-202403050500");
    }

    @Test
    void longInputsAreShortenedWithAHashAndKeepTheTimestampLast() {
        String name = ChildNames.childName(longName("x"), "database-server-number-one", SIX);
        assertThat(name).hasSizeLessThanOrEqualTo(63).matches(DNS_LABEL).endsWith("-202403050600");
        // 40 characters are left for the two parts: 20 each when both are long.
        assertThat(name).matches("a-rather-long-schedu-database-server-numb-[0-9a-f]{8}-202403050600");
    }

    @Test
    void aShortPartLeavesRoomForTheOther() {
        String name = ChildNames.childName(longName("y"), "db", SIX);
        assertThat(name).hasSize(63).matches("a-rather-long-schedule-name-for-the-pr-db-[0-9a-f]{8}-202403050600");
    }

    @Test
    void upperCaseAndInvalidCharactersAreReplacedAndMarkedWithAHash() {
        String name = ChildNames.childName("Nightly_Backup", "Web.1", SIX);
        assertThat(name)
                .matches("nightly-backup-web-1-[0-9a-f]{8}-202403050600")
                .matches(DNS_LABEL);
        // Without the hash these would all be "nightly-backup-web-1-202403050600".
        Set<String> names = new HashSet<>();
        names.add(name);
        names.add(ChildNames.childName("nightly-backup", "web-1", SIX));
        names.add(ChildNames.childName("nightly_backup", "web_1", SIX));
        names.add(ChildNames.childName("Nightly-Backup", "WEB-1", SIX));
        assertThat(names).hasSize(4).contains("nightly-backup-web-1-202403050600");
    }

    @Test
    void leadingAndTrailingInvalidCharactersAreDropped() {
        assertThat(ChildNames.childName("_daily_", "-web-", SIX)).matches("daily-web-[0-9a-f]{8}-202403050600");
        assertThatThrownBy(() -> ChildNames.childName("___", "web", SIX))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("needs at least one letter or digit");
    }

    @Test
    void sameInputSameName() {
        String parent = longName("z");
        assertThat(ChildNames.childName(parent, "Instance_ONE", SIX))
                .isEqualTo(ChildNames.childName(parent, "Instance_ONE", SIX));
    }

    @Test
    void longInputsThatShareTheirShortenedFormDoNotCollide() {
        Set<String> names = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            String name = ChildNames.childName(longName("shard-" + i), "database-server-" + i % 7, SIX);
            assertThat(name).hasSizeLessThanOrEqualTo(63).matches(DNS_LABEL);
            names.add(name);
        }
        assertThat(names).hasSize(10_000);
    }

    @Test
    void theRepeatedHourAtTheEndOfDstGetsItsOwnName() {
        ZonedDateTime first = LocalDateTime.parse("2024-10-27T02:00").atZone(BERLIN);
        ZonedDateTime second = first.withLaterOffsetAtOverlap();
        assertThat(ChildNames.childName("hourly", "web1", first)).isEqualTo("hourly-web1-202410270200");
        assertThat(ChildNames.childName("hourly", "web1", second)).matches("hourly-web1-[0-9a-f]{8}-202410270200");
    }
}
