package io.lxdbackup.operator.cli;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.regex.Pattern;

/** Generated names of the resources the plugin creates: {@code <base>-<yyyyMMdd-HHmmss>}. */
public final class Names {
    static final int MAX = 63;
    private static final DateTimeFormatter STAMP =
            DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);
    /** LXD instance names: letters, digits and dashes, not starting with a dash or digit-only. */
    private static final Pattern INSTANCE = Pattern.compile("^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$");

    private static final Pattern DNS1123 =
            Pattern.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$");

    private Names() {}

    /** A valid DNS-1123 name of at most 63 characters from {@code base} and the time. */
    public static String generate(String base, Instant now) {
        String suffix = "-" + STAMP.format(now);
        String b = base.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-").replaceAll("-+", "-");
        b = b.replaceAll("^-+", "");
        if (b.length() > MAX - suffix.length()) {
            b = b.substring(0, MAX - suffix.length());
        }
        b = b.replaceAll("-+$", "");
        return (b.isEmpty() ? "lxdbackup" : b) + suffix;
    }

    /** Refuses what LXD would refuse as an instance name, before anything is created. */
    public static String instance(String what, String name) {
        if (!INSTANCE.matcher(name).matches() || name.chars().allMatch(Character::isDigit)) {
            throw new UsageException(what + " " + name + " is not a valid instance name (letters, digits and dashes,"
                    + " at most 63, not starting or ending with a dash)");
        }
        return name;
    }

    /** Refuses a name that cannot name a Kubernetes object. */
    public static String object(String what, String name) {
        if (name.length() > 253 || !DNS1123.matcher(name).matches()) {
            throw new UsageException(
                    what + " " + name + " is not a valid resource name (lower-case letters, digits, '-' and '.')");
        }
        return name;
    }
}
