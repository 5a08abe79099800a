package io.lxdbackup.operator.controller;

import io.lxdbackup.operator.api.v1alpha1.AbstractScheduleSpec;
import io.lxdbackup.operator.api.v1alpha1.InstanceSelector;
import io.lxdbackup.operator.lxd.Instance;
import io.lxdbackup.operator.lxd.LxdApi;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Which instances a schedule covers right now: the named {@code instances} plus those matching
 * {@code instanceSelector} (config keys of the expanded config, so profiles count, and a name
 * glob). Evaluated at every run, so new instances are picked up.
 */
public final class InstanceSelection {
    private InstanceSelection() {}

    /** One instance and why it is in or out of this run. */
    public record Selected(String name, boolean exists, boolean running) {}

    public static List<Selected> select(LxdApi client, AbstractScheduleSpec spec) {
        return select(client.listInstances(), spec);
    }

    /** The selection from a listing of all the remote's instances (in the schedule's project). */
    public static List<Selected> select(List<Instance> all, AbstractScheduleSpec spec) {
        Map<String, Instance> byName = new LinkedHashMap<>();
        all.forEach(i -> byName.put(i.name(), i));
        Map<String, Selected> out = new TreeMap<>();
        if (spec.getInstances() != null) {
            for (String n : spec.getInstances()) {
                Instance i = byName.get(n);
                out.put(n, new Selected(n, i != null, i != null && i.isRunning()));
            }
        }
        InstanceSelector sel = spec.getInstanceSelector();
        if (sel != null) {
            Pattern glob =
                    sel.getNamePattern() == null || sel.getNamePattern().isBlank() ? null : glob(sel.getNamePattern());
            for (Instance i : all) {
                if (glob != null && !glob.matcher(i.name()).matches()) {
                    continue;
                }
                if (!matchesConfig(i, sel.getMatchConfig())) {
                    continue;
                }
                out.putIfAbsent(i.name(), new Selected(i.name(), true, i.isRunning()));
            }
        }
        return new ArrayList<>(out.values());
    }

    static boolean matchesConfig(Instance i, Map<String, String> match) {
        if (match == null) {
            return true;
        }
        Map<String, String> cfg = i.expandedConfig().isEmpty() ? i.config() : i.expandedConfig();
        for (Map.Entry<String, String> e : match.entrySet()) {
            if (!Objects.equals(cfg.get(e.getKey()), e.getValue())) {
                return false;
            }
        }
        return true;
    }

    /** Shell-style glob ({@code *}, {@code ?}, {@code [abc]}) as an anchored regex. */
    static Pattern glob(String glob) {
        StringBuilder re = new StringBuilder();
        for (char c : glob.toCharArray()) {
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                case '[', ']' -> re.append(c);
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString());
    }
}
