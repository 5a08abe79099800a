package io.lxdbackup.operator.api.v1alpha1;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apiextensions.v1.ValidationRule;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Compiles every {@code x-kubernetes-validations} rule of the generated CRDs with a CEL
 * implementation and evaluates them on objects and on old/new pairs, the way the API server
 * does on create and update: rules that mention {@code oldSelf} (transition rules) run on
 * updates only, each rule at the schema node it is declared on, with that node's value as
 * {@code self}.
 */
class CrdCelRulesTest {
    static final CelCompiler COMPILER = CelCompilerFactory.standardCelCompilerBuilder()
            .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
            .addVar("self", SimpleType.DYN)
            .addVar("oldSelf", SimpleType.DYN)
            .build();
    static final CelRuntime RUNTIME =
            CelRuntimeFactory.standardCelRuntimeBuilder().build();
    static final Map<String, CelRuntime.Program> PROGRAMS = new HashMap<>();

    static CelRuntime.Program program(String rule) {
        return PROGRAMS.computeIfAbsent(rule, r -> {
            try {
                CelAbstractSyntaxTree ast = COMPILER.compile(r).getAst();
                return RUNTIME.createProgram(ast);
            } catch (CelValidationException | CelEvaluationException e) {
                throw new AssertionError("rule does not compile: " + r + ": " + e.getMessage(), e);
            }
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.lxdbackup.operator.api.v1alpha1.CrdSchemaTest#kinds")
    void everyRuleCompiles(String kind, String plural, String shortName) {
        List<String> rules = new ArrayList<>();
        collectRules("", CrdSchemaTest.root(plural), rules);
        if (!List.of("BackupStore", "BackupVerification").contains(kind)) {
            assertThat(rules).as(kind + " has CEL rules").isNotEmpty();
        }
        for (String r : rules) {
            program(r.substring(r.indexOf(": ") + 2));
        }
    }

    private static void collectRules(String path, JSONSchemaProps s, List<String> out) {
        if (s.getXKubernetesValidations() != null) {
            s.getXKubernetesValidations().forEach(v -> out.add(path + ": " + v.getRule()));
        }
        if (s.getProperties() != null) {
            s.getProperties().forEach((n, c) -> collectRules(path + "." + n, c, out));
        }
        if (s.getItems() != null && s.getItems().getSchema() != null) {
            collectRules(path + "[]", s.getItems().getSchema(), out);
        }
    }

    /** The messages of the rules an object (create: {@code old} null) or an update breaks. */
    static List<String> violations(String plural, Map<String, Object> spec, Map<String, Object> oldSpec) {
        List<String> out = new ArrayList<>();
        check(CrdSchemaTest.root(plural).getProperties().get("spec"), spec, oldSpec, out);
        return out;
    }

    @SuppressWarnings("unchecked")
    private static void check(JSONSchemaProps s, Object self, Object old, List<String> out) {
        if (self == null) {
            return;
        }
        if (s.getXKubernetesValidations() != null) {
            for (ValidationRule v : s.getXKubernetesValidations()) {
                boolean transition = v.getRule().contains("oldSelf");
                if (transition && old == null) {
                    continue;
                }
                Map<String, Object> vars = new HashMap<>();
                vars.put("self", self);
                if (transition) {
                    vars.put("oldSelf", old);
                }
                try {
                    if (!Boolean.TRUE.equals(program(v.getRule()).eval(vars))) {
                        out.add(v.getMessage() != null ? v.getMessage() : v.getRule());
                    }
                } catch (CelEvaluationException e) {
                    out.add("error in " + v.getRule() + ": " + e.getMessage());
                }
            }
        }
        if (s.getProperties() != null && self instanceof Map<?, ?> m) {
            Map<String, Object> o = old instanceof Map<?, ?> om ? (Map<String, Object>) om : null;
            s.getProperties().forEach((n, c) -> check(c, m.get(n), o == null ? null : o.get(n), out));
        }
    }

    static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    static Map<String, Object> isnap(Object... extra) {
        Map<String, Object> m = map("remoteRef", map("name", "lxd-a"), "instance", "web1");
        m.putAll(map(extra));
        return m;
    }

    @Test
    void instanceSnapshotRules() {
        String p = "instancesnapshots";
        assertThat(violations(p, isnap("snapshotName", "s1", "ttl", "48h"), null))
                .isEmpty();
        // at most one expiry form
        assertThat(violations(p, isnap("ttl", "1h", "noExpiry", true), null)).isNotEmpty();
        assertThat(violations(p, isnap("ttl", "1h", "expiresAt", "2026-12-01T00:00:00Z"), null))
                .isNotEmpty();

        // expiry may change after creation
        assertThat(violations(
                        p,
                        isnap("snapshotName", "s1", "expiresAt", "2026-12-01T00:00:00Z"),
                        isnap("snapshotName", "s1", "ttl", "48h")))
                .isEmpty();
        assertThat(violations(p, isnap("snapshotName", "s1", "noExpiry", true), isnap("snapshotName", "s1")))
                .isEmpty();
        // everything else is immutable, including adding or removing an optional field
        Map<String, Object> created = isnap("snapshotName", "s1");
        assertThat(violations(p, isnap("snapshotName", "s2"), created)).isNotEmpty();
        assertThat(violations(p, isnap(), created)).isNotEmpty();
        assertThat(violations(p, isnap("snapshotName", "s1", "instance", "web2"), created))
                .isNotEmpty();
        Map<String, Object> otherRemote = isnap("snapshotName", "s1");
        otherRemote.put("remoteRef", map("name", "lxd-b"));
        assertThat(violations(p, otherRemote, created)).isNotEmpty();
        assertThat(violations(p, isnap("snapshotName", "s1", "stateful", true), created))
                .isNotEmpty();
        assertThat(violations(p, isnap("snapshotName", "s1", "reuse", true), created))
                .isNotEmpty();
        assertThat(violations(p, isnap("snapshotName", "s1", "project", "other"), created))
                .isNotEmpty();
        // an unchanged object passes
        assertThat(violations(p, isnap("snapshotName", "s1"), isnap("snapshotName", "s1")))
                .isEmpty();
    }

    @Test
    void exactlyOneOfInstanceAndVolume() {
        Map<String, Object> vol = map("pool", "default", "name", "data");
        for (String p : List.of("instancesnapshots", "instanceexports", "instancecopies")) {
            Map<String, Object> base = p.equals("instancecopies")
                    ? map("sourceRemoteRef", map("name", "a"), "targetRemoteRef", map("name", "b"))
                    : map("remoteRef", map("name", "lxd-a"), "storeRef", map("name", "s"));
            Map<String, Object> both = new LinkedHashMap<>(base);
            both.putAll(map("instance", "web1", "volume", vol));
            Map<String, Object> onlyVolume = new LinkedHashMap<>(base);
            onlyVolume.put("volume", vol);
            assertThat(violations(p, both, null)).as(p + " both").anyMatch(v -> v.contains("exactly one of instance"));
            assertThat(violations(p, base, null))
                    .as(p + " neither")
                    .anyMatch(v -> v.contains("exactly one of instance"));
            assertThat(violations(p, onlyVolume, null)).as(p + " volume").isEmpty();
        }
        // instance options on a volume, and the volume immutable once set
        Map<String, Object> stateful = map("remoteRef", map("name", "lxd-a"), "volume", vol, "stateful", true);
        assertThat(violations("instancesnapshots", stateful, null)).isNotEmpty();
        Map<String, Object> created = map("remoteRef", map("name", "lxd-a"), "volume", vol);
        Map<String, Object> moved =
                map("remoteRef", map("name", "lxd-a"), "volume", map("pool", "default", "name", "other"));
        assertThat(violations("instancesnapshots", moved, created)).anyMatch(v -> v.contains("volume is immutable"));
        Map<String, Object> pushed = map(
                "sourceRemoteRef",
                map("name", "a"),
                "targetRemoteRef",
                map("name", "b"),
                "volume",
                vol,
                "mode",
                "push");
        assertThat(violations("instancecopies", pushed, null)).anyMatch(v -> v.contains("pull mode"));
    }

    @Test
    void lxdRemoteRules() {
        String p = "lxdremotes";
        assertThat(violations(p, map("url", "unix:///var/lib/lxd/unix.socket"), null))
                .isEmpty();
        assertThat(violations(p, map("url", "https://10.0.0.5:8443"), null)).isNotEmpty();
        assertThat(violations(
                        p, map("url", "https://10.0.0.5:8443", "clientCertificateSecretRef", map("name", "c")), null))
                .isEmpty();
        assertThat(violations(
                        p,
                        map(
                                "url",
                                "https://10.0.0.5:8443",
                                "clientCertificateSecretRef",
                                map("name", "c"),
                                "serverCertificate",
                                "PEM",
                                "serverCertificateFingerprint",
                                "ab"),
                        null))
                .isNotEmpty();
        // the remote's own default project must be one it allows
        String unix = "unix:///var/lib/lxd/unix.socket";
        assertThat(violations(p, map("url", unix, "project", "web", "allowedProjects", List.of("web", "db")), null))
                .isEmpty();
        assertThat(violations(p, map("url", unix, "project", "default", "allowedProjects", List.of("web")), null))
                .containsExactly("project must be one of allowedProjects");
        assertThat(violations(p, map("url", unix, "allowedProjects", List.of("web")), null))
                .isEmpty();
    }

    @Test
    void instanceRestoreTakesExactlyOneSource() {
        String p = "instancerestores";
        Map<String, Object> base = map("remoteRef", map("name", "lxd-a"), "instance", "web1");
        Map<String, Object> one = new LinkedHashMap<>(base);
        one.put("source", map("snapshot", map("name", "snap0")));
        assertThat(violations(p, one, null)).isEmpty();
        Map<String, Object> two = new LinkedHashMap<>(base);
        two.put("source", map("snapshot", map("name", "snap0"), "exportRef", map("name", "e")));
        assertThat(violations(p, two, null)).isNotEmpty();
        Map<String, Object> none = new LinkedHashMap<>(base);
        none.put("source", map());
        assertThat(violations(p, none, null)).isNotEmpty();
    }

    @Test
    void snapshotScheduleNeedsInstancesOrASelector() {
        String p = "snapshotschedules";
        Map<String, Object> base = map("remoteRef", map("name", "lxd-a"), "schedule", "@daily");
        assertThat(violations(p, base, null)).isNotEmpty();
        Map<String, Object> listed = new LinkedHashMap<>(base);
        listed.put("instances", List.of("web1"));
        assertThat(violations(p, listed, null)).isEmpty();
        Map<String, Object> empty = new LinkedHashMap<>(base);
        empty.put("instances", List.of());
        assertThat(violations(p, empty, null)).isNotEmpty();
    }
}
