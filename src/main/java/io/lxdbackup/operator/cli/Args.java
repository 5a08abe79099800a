package io.lxdbackup.operator.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The parsed command line of one plugin command: positional arguments, options with a value
 * ({@code --store S} or {@code --store=S}) and boolean flags ({@code --wait}). Options not
 * declared for the command are refused, so a typo never passes silently.
 */
public record Args(String command, List<String> positional, Map<String, String> values, Set<String> flags) {

    /** Options every command takes. */
    static final Set<String> GLOBAL_VALUES = Set.of("namespace", "kubeconfig", "output", "timeout");

    static final Map<String, String> SHORT = Map.of("-n", "namespace", "-o", "output", "-h", "help");

    /** What a command accepts. */
    public record Spec(String name, int minPositional, int maxPositional, Set<String> values, Set<String> flags) {}

    public String value(String name) {
        return values.get(name);
    }

    public boolean flag(String name) {
        return flags.contains(name);
    }

    /** The option's value, or a usage error naming the missing option. */
    public String required(String name) {
        String v = values.get(name);
        if (v == null) {
            throw new UsageException(command + ": --" + name + " is required");
        }
        return v;
    }

    public static Args parse(Spec spec, List<String> argv) {
        List<String> positional = new ArrayList<>();
        Map<String, String> values = new LinkedHashMap<>();
        Set<String> flags = new TreeSet<>();
        for (int i = 0; i < argv.size(); i++) {
            String a = argv.get(i);
            if (a.equals("--")) {
                positional.addAll(argv.subList(i + 1, argv.size()));
                break;
            }
            if (!a.startsWith("-") || a.equals("-")) {
                positional.add(a);
                continue;
            }
            String name;
            String inline = null;
            if (a.startsWith("--")) {
                int eq = a.indexOf('=');
                name = eq < 0 ? a.substring(2) : a.substring(2, eq);
                inline = eq < 0 ? null : a.substring(eq + 1);
            } else {
                String shortName = a.length() > 2 ? a.substring(0, 2) : a;
                name = SHORT.get(shortName);
                if (name == null) {
                    throw new UsageException(spec.name() + ": unknown flag " + a);
                }
                if (a.length() > 2) {
                    inline = a.charAt(2) == '=' ? a.substring(3) : a.substring(2);
                }
            }
            if (name.equals("help")) {
                flags.add("help");
                continue;
            }
            if (spec.flags().contains(name)) {
                if (inline != null && !inline.equals("true")) {
                    if (inline.equals("false")) {
                        continue;
                    }
                    throw new UsageException(spec.name() + ": --" + name + " takes no value");
                }
                flags.add(name);
            } else if (spec.values().contains(name) || GLOBAL_VALUES.contains(name)) {
                String v = inline;
                if (v == null) {
                    if (i + 1 >= argv.size() || argv.get(i + 1).startsWith("-")) {
                        throw new UsageException(spec.name() + ": --" + name + " needs a value");
                    }
                    v = argv.get(++i);
                }
                if (v.isBlank()) {
                    throw new UsageException(spec.name() + ": --" + name + " needs a value");
                }
                if (values.containsKey(name)) {
                    throw new UsageException(spec.name() + ": --" + name + " given twice");
                }
                values.put(name, v);
            } else {
                throw new UsageException(
                        spec.name() + ": unknown flag " + a + " (see kubectl lxdbackup " + spec.name() + " --help)");
            }
        }
        if (!flags.contains("help")) {
            if (positional.size() < spec.minPositional()) {
                throw new UsageException(
                        spec.name() + ": missing argument (see kubectl lxdbackup " + spec.name() + " --help)");
            }
            if (positional.size() > spec.maxPositional()) {
                throw new UsageException(spec.name() + ": unexpected argument " + positional.get(spec.maxPositional()));
            }
        }
        String output = values.get("output");
        if (output != null && !output.equals("yaml") && !output.equals("json")) {
            throw new UsageException(spec.name() + ": -o must be yaml or json, not " + output);
        }
        return new Args(spec.name(), List.copyOf(positional), Map.copyOf(values), Set.copyOf(flags));
    }
}
