package io.lxdbackup.operator.schedule;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;

/**
 * Names of the objects a schedule creates per run: {@code <parent>-<instance>-<yyyyMMddHHmm>}.
 *
 * <p>The name is a valid RFC 1123 subdomain and at most {@value #MAX_LENGTH} characters, so it can
 * also be a label value. It is derived only from its inputs, so a reconcile that repeats after a
 * crash computes the same name and gets "already exists" instead of making a second backup.
 *
 * <p>The plain form is used only when it is a faithful rendering of the inputs. Otherwise the name
 * becomes {@code <parent'>-<instance'>-<hash>-<yyyyMMddHHmm>}, where {@code hash} is 8 hex digits
 * of SHA-256 over the original parent, instance and scheduled time (with its UTC offset), and
 * parent' and instance' are the lowercased, sanitized and, if needed, shortened parts. That happens
 * when:
 *
 * <ul>
 *   <li>the plain name would exceed {@value #MAX_LENGTH} characters;
 *   <li>sanitizing changed a part (upper case, {@code _}, {@code .}, ...), because {@code Web_1}
 *       and {@code web-1} would otherwise get the same name;
 *   <li>the scheduled time is the second occurrence of a wall-clock time repeated when DST ends,
 *       which an hourly schedule fires twice (see {@link CronSchedule}).
 * </ul>
 *
 * The timestamp is the scheduled time's wall clock in its own zone (the schedule's time zone) and
 * always stays at the end.
 */
public final class ChildNames {

    public static final int MAX_LENGTH = 63;

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("uuuuMMddHHmm");
    private static final int HASH_LENGTH = 8;

    private ChildNames() {}

    public static String childName(String parent, String instance, ZonedDateTime scheduledTime) {
        Objects.requireNonNull(parent, "parent");
        Objects.requireNonNull(instance, "instance");
        Objects.requireNonNull(scheduledTime, "scheduledTime");
        String cleanParent = sanitize(parent);
        String cleanInstance = sanitize(instance);
        if (cleanParent.isEmpty() || cleanInstance.isEmpty()) {
            throw new IllegalArgumentException("cannot build a child name from parent \"" + parent
                    + "\" and instance \"" + instance + "\": each needs at least one letter or digit");
        }
        String stamp = STAMP.format(scheduledTime);
        String plain = cleanParent + "-" + cleanInstance + "-" + stamp;
        boolean repeatedWallClock = !scheduledTime.withEarlierOffsetAtOverlap().equals(scheduledTime);
        if (plain.length() <= MAX_LENGTH
                && cleanParent.equals(parent)
                && cleanInstance.equals(instance)
                && !repeatedWallClock) {
            return plain;
        }

        String hash = hash(parent + "\n" + instance + "\n" + scheduledTime.toOffsetDateTime());
        int budget = MAX_LENGTH - stamp.length() - HASH_LENGTH - 3; // three '-' separators
        // Share the room fairly, but let a short part hand its unused share to the other one.
        int parentRoom = Math.max(budget / 2, budget - cleanInstance.length());
        String shortParent = shorten(cleanParent, parentRoom);
        String shortInstance = shorten(cleanInstance, budget - shortParent.length());
        return shortParent + "-" + shortInstance + "-" + hash + "-" + stamp;
    }

    /** Lower case, anything but [a-z0-9] becomes '-', no '-' at either end. */
    static String sanitize(String part) {
        String lower = part.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "-");
        return trimDashes(lower);
    }

    private static String shorten(String part, int room) {
        return part.length() <= room ? part : trimDashes(part.substring(0, room));
    }

    private static String trimDashes(String s) {
        return s.replaceAll("^-+|-+$", "");
    }

    private static String hash(String input) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(input.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest).substring(0, HASH_LENGTH);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
