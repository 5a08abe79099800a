package io.lxdbackup.operator.schedule;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Checks a cron expression field by field before cron-utils sees it. cron-utils' own errors
 * ("Invalid chars in expression! Expression: A") do not say which field is wrong, and users read
 * these messages in {@code kubectl describe}; this pass names the field and the fix.
 *
 * <p>It also rewrites the few spellings Kubernetes CronJob accepts that cron-utils' UNIX
 * definition does not, so both agree on what a schedule means.
 */
final class CronSyntax {

    static final String FIELDS_HINT = "minute hour day-of-month month day-of-week";

    static final Map<String, String> ALIASES = Map.of(
            "@hourly", "0 * * * *",
            "@daily", "0 0 * * *",
            "@midnight", "0 0 * * *",
            "@weekly", "0 0 * * 0",
            "@monthly", "0 0 1 * *",
            "@yearly", "0 0 1 1 *",
            "@annually", "0 0 1 1 *");

    private static final String ALIAS_LIST = "@hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually";

    private record Field(String name, int min, int max, List<String> names, int firstNameValue) {
        Field(String name, int min, int max) {
            this(name, min, max, List.of(), 0);
        }

        String namesHint() {
            return names.getFirst() + "-" + names.getLast();
        }
    }

    private static final List<Field> FIELDS = List.of(
            new Field("minute", 0, 59),
            new Field("hour", 0, 23),
            new Field("day-of-month", 1, 31),
            new Field(
                    "month",
                    1,
                    12,
                    List.of("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"),
                    1),
            // 7 is Sunday as in Vixie cron; Kubernetes only knows 0-6, so this is a superset.
            new Field("day-of-week", 0, 7, List.of("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), 0));

    /**
     * The expression in the form handed to cron-utils.
     *
     * @param fiveFields the five fields, aliases expanded and Kubernetes spellings rewritten
     * @param wildcard whether the minute or hour field starts with {@code *}; Vixie cron treats such
     *     jobs differently across DST changes and so do we (see {@link CronSchedule})
     */
    record Normalized(String fiveFields, boolean wildcard) {}

    private CronSyntax() {}

    static Normalized normalize(String expression) {
        String trimmed = expression == null ? "" : expression.strip();
        if (trimmed.isEmpty()) {
            throw invalid(
                    trimmed,
                    "it is empty; write 5 fields (" + FIELDS_HINT
                            + ") such as \"0 6 * * *\", or an alias such as @daily");
        }
        if (trimmed.startsWith("@")) {
            String fields = ALIASES.get(trimmed.toLowerCase(Locale.ROOT));
            if (fields == null) {
                throw invalid(
                        trimmed, "unknown alias; use one of " + ALIAS_LIST + ", or 5 fields (" + FIELDS_HINT + ")");
            }
            return normalize(fields);
        }
        String[] parts = trimmed.split("\\s+");
        if (parts.length != FIELDS.size()) {
            throw invalid(
                    trimmed,
                    "expected 5 fields (" + FIELDS_HINT + ") or one of " + ALIAS_LIST + ", got " + parts.length
                            + (parts.length == 6 ? " (seconds and years are not supported)" : ""));
        }
        for (int i = 0; i < parts.length; i++) {
            parts[i] = normalizeField(trimmed, FIELDS.get(i), parts[i]);
        }
        boolean wildcard = parts[0].startsWith("*") || parts[1].startsWith("*");
        return new Normalized(String.join(" ", parts), wildcard);
    }

    static InvalidScheduleException invalid(String expression, String problem) {
        return new InvalidScheduleException("invalid cron expression \"" + expression + "\": " + problem);
    }

    private static String normalizeField(String expression, Field field, String text) {
        boolean dayField = field.name().startsWith("day-");
        // Kubernetes (robfig/cron) reads "?" as "*" in the day fields, and "*/1" as "*", which matters
        // for the day-of-month/day-of-week rule: a "*" field means "the other field decides".
        if ((dayField && text.equals("?")) || text.equals("*/1")) {
            return "*";
        }
        for (String item : text.split(",", -1)) {
            if (item.isEmpty()) {
                throw invalid(expression, field.name() + " \"" + text + "\" has an empty list entry");
            }
            checkItem(expression, field, item);
        }
        return text;
    }

    private static void checkItem(String expression, Field field, String item) {
        String[] baseAndStep = item.split("/", -1);
        if (baseAndStep.length > 2) {
            throw invalid(expression, field.name() + " \"" + item + "\" has more than one \"/\"");
        }
        if (baseAndStep.length == 2) {
            String step = baseAndStep[1];
            if (!isNumber(step)) {
                throw invalid(expression, field.name() + " step \"" + step + "\" is not a whole number");
            }
            long value = Long.parseLong(step);
            if (value < 1 || value > field.max()) {
                throw invalid(expression, field.name() + " step " + step + " is out of range 1-" + field.max());
            }
        }
        String base = baseAndStep[0];
        if (base.equals("*")) {
            return;
        }
        String[] range = base.split("-", -1);
        if (range.length > 2) {
            throw invalid(expression, field.name() + " \"" + base + "\" is not a value or a range");
        }
        int low = value(expression, field, range[0]);
        if (range.length == 2) {
            int high = value(expression, field, range[1]);
            if (low > high) {
                throw invalid(
                        expression,
                        field.name() + " range " + base + " goes backwards; ranges run from low to high (write "
                                + range[0] + "-" + field.max() + "," + field.min() + "-" + range[1]
                                + " to wrap around)");
            }
        }
    }

    private static int value(String expression, Field field, String text) {
        if (isNumber(text)) {
            long value = text.length() > 9 ? Long.MAX_VALUE : Long.parseLong(text);
            if (value < field.min() || value > field.max()) {
                throw invalid(
                        expression, field.name() + " " + text + " is out of range " + field.min() + "-" + field.max());
            }
            return (int) value;
        }
        int index = field.names().indexOf(text.toUpperCase(Locale.ROOT));
        if (index >= 0) {
            return field.firstNameValue() + index;
        }
        String expected = field.names().isEmpty() ? "a number" : "a number or a name (" + field.namesHint() + ")";
        throw invalid(expression, field.name() + " \"" + text + "\" is not " + expected);
    }

    private static boolean isNumber(String text) {
        return !text.isEmpty() && text.chars().allMatch(c -> c >= '0' && c <= '9');
    }
}
