package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The README's table of condition reasons names every reason the operator can set: each
 * constant of {@link Reasons}, and each reason written as a literal in the sources (the reason
 * argument of {@code Conditions.set}, the first argument of a {@link Failure}).
 */
class ReasonsDocumentedTest {
    static final Path README = Path.of("docs/troubleshooting.md");
    static final Path OPERATIONS = Path.of("docs/operations.md");
    static final Path SOURCES = Path.of("src/main/java");

    @Test
    void everyReasonIsInTheReadmeTable() throws Exception {
        Set<String> documented = documentedReasons();
        assertThat(documented)
                .as("reasons in the README's condition-reasons table")
                .hasSizeGreaterThan(30);

        Set<String> constants = new TreeSet<>();
        for (Field f : Reasons.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
                f.setAccessible(true);
                constants.add((String) f.get(null));
            }
        }
        assertThat(constants).as("constants of Reasons").contains("NotFound", "InvalidSpec");
        assertThat(documented).as("README condition reasons vs. Reasons.java").containsAll(constants);

        Set<String> literals = literalReasons();
        assertThat(literals)
                .as("literal reasons found in the sources (the scan works)")
                .contains("Scheduled");
        assertThat(documented)
                .as("README condition reasons vs. literal reasons in the sources")
                .containsAll(literals);
    }

    @Test
    void everyEventReasonWrittenAsALiteralIsInTheReadmeEventList() throws Exception {
        String readme = Files.readString(OPERATIONS);
        int start = readme.indexOf("Events are written for notable transitions");
        assertThat(start).as("README lists the events").isGreaterThanOrEqualTo(0);
        String list = readme.substring(start, readme.indexOf("\n\n", start));
        Set<String> listed = new TreeSet<>();
        Matcher m = Pattern.compile("`([A-Za-z]+)`").matcher(list);
        while (m.find()) {
            listed.add(m.group(1));
        }
        Set<String> literals = new TreeSet<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                literals.addAll(eventLiteralsIn(Files.readString(p)));
            }
        }
        assertThat(literals)
                .as("event reasons found in the sources (the scan works)")
                .contains("Connected", "Recovered", "Pruned");
        assertThat(listed)
                .as("README event list vs. event reasons written as literals")
                .containsAll(literals);
    }

    /** String literals in the reason argument of {@code events.normal/warning(object, reason, message)}. */
    static Set<String> eventLiteralsIn(String source) {
        Set<String> out = new TreeSet<>();
        for (String prefix : List.of("events.normal(", "events.warning(")) {
            for (String call : calls(source, prefix)) {
                List<String> args = topLevelArgs(call);
                if (args.size() >= 3) {
                    Matcher m = Pattern.compile("\"([A-Z][A-Za-z]+)\"").matcher(args.get(1));
                    while (m.find()) {
                        out.add(m.group(1));
                    }
                }
            }
        }
        return out;
    }

    @Test
    void theScanFindsAReasonMissingFromTheTable() {
        String readme =
                "## Condition reasons\n\n| reason | kinds | meaning |\n|---|---|---|\n| `A`, `B` | all | x |\n\n## Next\n| `C` | |\n";
        assertThat(tableReasons(readme)).containsExactlyInAnyOrder("A", "B");
        String source =
                "Conditions.set(status, gen, clock, Condition.READY, true, \"Scheduled\", \"Next run at \" + f(a, b));\n"
                        + "Conditions.set(st, g(x, y), clock, Condition.SYNCED, false, f.reason(), msg);\n"
                        + "throw Failure.permanent(\"Odd\", \"m\");";
        assertThat(literalsIn(source)).containsExactlyInAnyOrder("Scheduled", "Odd");
        assertThat(eventLiteralsIn(
                        "events.normal(r, before == null ? \"Connected\" : \"Recovered\", \"m \" + f(x, y));"))
                .containsExactlyInAnyOrder("Connected", "Recovered");
    }

    static Set<String> documentedReasons() throws IOException {
        return tableReasons(Files.readString(README));
    }

    /** The backticked names in the first column of the table under "## Condition reasons". */
    static Set<String> tableReasons(String readme) {
        int start = readme.indexOf("## Condition reasons");
        assertThat(start).as("README has a Condition reasons section").isGreaterThanOrEqualTo(0);
        int end = readme.indexOf("\n## ", start + 3);
        String section = readme.substring(start, end < 0 ? readme.length() : end);
        Set<String> names = new TreeSet<>();
        for (String line : section.split("\n")) {
            if (!line.startsWith("| `")) {
                continue;
            }
            Matcher m = Pattern.compile("`([A-Za-z]+)`").matcher(line.split("\\|")[1]);
            while (m.find()) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    static Set<String> literalReasons() throws IOException {
        Set<String> out = new TreeSet<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                out.addAll(literalsIn(Files.readString(p)));
            }
        }
        return out;
    }

    static final Pattern STRING = Pattern.compile("^\"([^\"]*)\"$");

    static Set<String> literalsIn(String source) {
        Set<String> out = new TreeSet<>();
        for (String call : calls(source, "Conditions.set(")) {
            List<String> args = topLevelArgs(call);
            if (args.size() >= 7) {
                literal(args.get(5)).ifPresent(out::add);
            }
        }
        for (String prefix : List.of("Failure.permanent(", "Failure.retryable(", "new Failure(")) {
            for (String call : calls(source, prefix)) {
                List<String> args = topLevelArgs(call);
                if (!args.isEmpty()) {
                    literal(args.get(0)).ifPresent(out::add);
                }
            }
        }
        return out;
    }

    static java.util.Optional<String> literal(String arg) {
        Matcher m = STRING.matcher(arg.strip());
        return m.matches() ? java.util.Optional.of(m.group(1)) : java.util.Optional.empty();
    }

    /** The argument text of each call starting with {@code prefix} (up to its closing parenthesis). */
    static List<String> calls(String source, String prefix) {
        List<String> out = new ArrayList<>();
        for (int i = source.indexOf(prefix); i >= 0; i = source.indexOf(prefix, i + 1)) {
            int depth = 0;
            boolean inString = false;
            int from = i + prefix.length();
            for (int k = from; k < source.length(); k++) {
                char c = source.charAt(k);
                if (inString) {
                    if (c == '\\') {
                        k++;
                    } else if (c == '"') {
                        inString = false;
                    }
                } else if (c == '"') {
                    inString = true;
                } else if (c == '(') {
                    depth++;
                } else if (c == ')') {
                    if (depth == 0) {
                        out.add(source.substring(from, k));
                        break;
                    }
                    depth--;
                }
            }
        }
        return out;
    }

    static List<String> topLevelArgs(String args) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        boolean inString = false;
        int start = 0;
        for (int k = 0; k < args.length(); k++) {
            char c = args.charAt(k);
            if (inString) {
                if (c == '\\') {
                    k++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            } else if (c == ',' && depth == 0) {
                out.add(args.substring(start, k));
                start = k + 1;
            }
        }
        out.add(args.substring(start));
        return out;
    }
}
