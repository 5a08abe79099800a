package io.lxdbackup.operator.lxd;

import java.util.Collection;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The name LXD would give the next snapshot of a custom volume under its
 * {@code snapshots.pattern} (default {@code snap%d}): the one {@code %d} is replaced by one more
 * than the highest number in use, and a pattern without {@code %d} that is taken gets
 * {@code -0}, {@code -1}, ... appended, as the server does.
 *
 * <p>The operator names volume snapshots itself, before asking LXD, because LXD 5.0 records no
 * creation time on volume snapshots: a snapshot the server named could not be recognised again
 * after a restart, while a name chosen and recorded beforehand can. Patterns with
 * {@code {{ ... }}} templates are rendered by the server only and are refused here.
 */
public final class VolumeSnapshotNames {
    public static final String DEFAULT_PATTERN = "snap%d";

    private VolumeSnapshotNames() {}

    /** Whether the operator can name snapshots for this pattern (null or blank = the default). */
    public static boolean supported(String pattern) {
        String p = pattern == null || pattern.isBlank() ? DEFAULT_PATTERN : pattern;
        return !p.contains("{{") && !p.contains("{%") && p.indexOf("%d") == p.lastIndexOf("%d") && !p.contains("/");
    }

    public static String next(String pattern, Collection<String> existing) {
        String p = pattern == null || pattern.isBlank() ? DEFAULT_PATTERN : pattern;
        if (!supported(p)) {
            throw new IllegalArgumentException("snapshots.pattern " + p + " is rendered by the server only");
        }
        if (!p.contains("%d")) {
            if (!existing.contains(p)) {
                return p;
            }
            p = p + "-%d";
        }
        int at = p.indexOf("%d");
        Pattern re = Pattern.compile(Pattern.quote(p.substring(0, at)) + "(\\d+)" + Pattern.quote(p.substring(at + 2)));
        long max = -1;
        for (String n : existing) {
            Matcher m = re.matcher(n);
            if (m.matches() && m.group(1).length() < 18) {
                max = Math.max(max, Long.parseLong(m.group(1)));
            }
        }
        return p.replace("%d", Long.toString(max + 1));
    }
}
