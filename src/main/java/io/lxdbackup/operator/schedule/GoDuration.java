package io.lxdbackup.operator.schedule;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations written the Go / Kubernetes way ({@code 90s}, {@code 36h}, {@code 1h30m}, {@code
 * 500ms}, {@code 1.5h}), as in {@code metav1.Duration}. Units: {@code h m s ms us µs ns}; days are
 * not a unit ({@code 168h}, not {@code 7d}). Negative durations are rejected because every field
 * that uses them (ttl, expiry, intervals) needs a length of time. A bare {@code 0} is accepted, as
 * Go does.
 */
public final class GoDuration {

    private static final Pattern TERM = Pattern.compile("(\\d*)(?:\\.(\\d*))?([^\\d.]*)");
    private static final Map<String, Long> NANOS_PER_UNIT = Map.of(
            "ns", 1L,
            "us", 1_000L,
            "µs", 1_000L, // U+00B5 micro sign, which Go prints
            "μs", 1_000L, // U+03BC Greek mu, which Go also accepts
            "ms", 1_000_000L,
            "s", 1_000_000_000L,
            "m", 60_000_000_000L,
            "h", 3_600_000_000_000L);
    private static final Map<String, Long> HOURS_PER_UNSUPPORTED_UNIT = Map.of("d", 24L, "w", 168L, "y", 8760L);
    private static final Map<String, String> UNSUPPORTED_UNIT_NAMES = Map.of("d", "day", "w", "week", "y", "year");
    private static final BigInteger MAX_NANOS = BigInteger.valueOf(Long.MAX_VALUE);

    private GoDuration() {}

    /**
     * @throws IllegalArgumentException with a message for the user, e.g. {@code invalid duration
     *     "7d": use h, m, s (for example 168h for 7 days)}
     */
    public static Duration parse(String text) {
        if (text == null || text.isBlank()) {
            throw invalid(text == null ? "" : text, "it is empty");
        }
        String s = text.strip();
        if (s.startsWith("-")) {
            throw invalid(text, "it must not be negative");
        }
        if (s.startsWith("+")) {
            s = s.substring(1);
        }
        if (s.equals("0")) {
            return Duration.ZERO;
        }
        BigDecimal nanos = BigDecimal.ZERO;
        Matcher m = TERM.matcher(s);
        int at = 0;
        while (at < s.length()) {
            if (!m.find(at) || m.start() != at || m.end() == at) {
                throw invalid(text, "unexpected \"" + s.substring(at) + "\"");
            }
            String whole = m.group(1);
            String fraction = m.group(2);
            String unit = m.group(3);
            if (whole.isEmpty() && (fraction == null || fraction.isEmpty())) {
                throw invalid(text, "expected a number before \"" + unit + "\"");
            }
            if (unit.isEmpty()) {
                throw invalid(text, "a unit is missing after " + m.group() + "; use h, m or s (for example 90s)");
            }
            Long perUnit = NANOS_PER_UNIT.get(unit);
            if (perUnit == null) {
                throw unknownUnit(text, unit, fraction == null ? whole : "");
            }
            BigDecimal number = new BigDecimal(
                    (whole.isEmpty() ? "0" : whole) + (fraction == null || fraction.isEmpty() ? "" : "." + fraction));
            nanos = nanos.add(number.multiply(BigDecimal.valueOf(perUnit)));
            at = m.end();
        }
        // Go truncates sub-nanosecond fractions; so do we. Like Go, stay within int64 nanoseconds.
        BigInteger whole = nanos.toBigInteger();
        if (whole.compareTo(MAX_NANOS) > 0) {
            throw invalid(text, "it is too long (at most about 2562047h)");
        }
        return Duration.ofNanos(whole.longValueExact());
    }

    /**
     * Formats as Go's {@code time.Duration.String()} does ({@code 1h30m0s}, {@code 500ms}, {@code
     * 0s}), which is what kubectl shows for Kubernetes durations; {@link #parse} reads it back.
     */
    public static String format(Duration duration) {
        if (duration.isZero()) {
            return "0s";
        }
        boolean negative = duration.isNegative();
        Duration d = duration.abs();
        String sign = negative ? "-" : "";
        if (d.getSeconds() == 0) {
            long nanos = d.getNano();
            if (nanos < 1_000) {
                return sign + nanos + "ns";
            }
            if (nanos < 1_000_000) {
                return sign + withFraction(nanos / 1_000, nanos % 1_000, 3) + "µs";
            }
            return sign + withFraction(nanos / 1_000_000, nanos % 1_000_000, 6) + "ms";
        }
        long seconds = d.getSeconds();
        StringBuilder out = new StringBuilder(sign);
        long hours = seconds / 3600;
        long minutes = seconds % 3600 / 60;
        if (hours > 0) {
            out.append(hours).append('h');
        }
        if (hours > 0 || minutes > 0) {
            out.append(minutes).append('m');
        }
        out.append(withFraction(seconds % 60, d.getNano(), 9)).append('s');
        return out.toString();
    }

    private static String withFraction(long whole, long fraction, int digits) {
        if (fraction == 0) {
            return Long.toString(whole);
        }
        String padded = String.format("%0" + digits + "d", fraction).replaceAll("0+$", "");
        return whole + "." + padded;
    }

    /** For days, weeks and years the message shows the same length in hours. */
    private static IllegalArgumentException unknownUnit(String text, String unit, String count) {
        Long hours = HOURS_PER_UNSUPPORTED_UNIT.get(unit);
        if (hours != null && !count.isEmpty() && count.length() < 10) {
            long n = Long.parseLong(count);
            String unitName = UNSUPPORTED_UNIT_NAMES.get(unit) + (n == 1 ? "" : "s");
            return invalid(text, "use h, m, s (for example " + (n * hours) + "h for " + n + " " + unitName + ")");
        }
        return invalid(
                text, "unknown unit \"" + unit + "\"; use h, m, s, ms, us or ns (for example 90s, 36h or 1h30m)");
    }

    private static IllegalArgumentException invalid(String text, String problem) {
        return new IllegalArgumentException("invalid duration \"" + text + "\": " + problem);
    }
}
