package io.lxdbackup.operator.api.v1alpha1;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apiextensions.v1.ValidationRule;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Checks the generated CRDs in crds/ (written by the crd-generator plugin in process-classes). */
class CrdSchemaTest {

    static final Path CRDS = Path.of("crds");

    static Stream<Arguments> kinds() {
        return Stream.of(
                Arguments.of("LxdRemote", "lxdremotes", "lxdr"),
                Arguments.of("BackupStore", "backupstores", "bstore"),
                Arguments.of("InstanceSnapshot", "instancesnapshots", "isnap"),
                Arguments.of("SnapshotSchedule", "snapshotschedules", "ssched"),
                Arguments.of("InstanceExport", "instanceexports", "iexp"),
                Arguments.of("ExportSchedule", "exportschedules", "esched"),
                Arguments.of("InstanceRestore", "instancerestores", "irestore"),
                Arguments.of("InstanceCopy", "instancecopies", "icopy"),
                Arguments.of("BackupVerification", "backupverifications", "bver"));
    }

    static CustomResourceDefinition load(String plural) {
        Path file = CRDS.resolve(plural + ".lxdbackup.io-v1.yml");
        assertThat(file).as("generated CRD (run mvn process-classes)").exists();
        try (InputStream in = Files.newInputStream(file)) {
            return Serialization.unmarshal(in, CustomResourceDefinition.class);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static CustomResourceDefinitionVersion version(String plural) {
        List<CustomResourceDefinitionVersion> versions = load(plural).getSpec().getVersions();
        assertThat(versions).hasSize(1);
        return versions.get(0);
    }

    static JSONSchemaProps root(String plural) {
        return version(plural).getSchema().getOpenAPIV3Schema();
    }

    /** Schema at a dotted path below the root, e.g. "spec.source.object.key"; "[]" steps into array items. */
    static JSONSchemaProps at(String plural, String path) {
        JSONSchemaProps schema = root(plural);
        for (String part : path.split("\\.")) {
            if (part.equals("[]")) {
                schema = schema.getItems().getSchema();
            } else {
                assertThat(schema.getProperties())
                        .as("properties at %s in %s", part, path)
                        .containsKey(part);
                schema = schema.getProperties().get(part);
            }
        }
        return schema;
    }

    static List<String> rules(JSONSchemaProps schema) {
        List<ValidationRule> rules = schema.getXKubernetesValidations();
        return rules == null
                ? List.of()
                : rules.stream().map(ValidationRule::getRule).toList();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void namesScopeAndVersion(String kind, String plural, String shortName) {
        CustomResourceDefinition crd = load(plural);
        assertThat(crd.getMetadata().getName()).isEqualTo(plural + ".lxdbackup.io");
        assertThat(crd.getSpec().getGroup()).isEqualTo("lxdbackup.io");
        assertThat(crd.getSpec().getScope()).isEqualTo("Namespaced");
        assertThat(crd.getSpec().getNames().getKind()).isEqualTo(kind);
        assertThat(crd.getSpec().getNames().getPlural()).isEqualTo(plural);
        assertThat(crd.getSpec().getNames().getShortNames()).containsExactly(shortName);
        assertThat(crd.getSpec().getNames().getCategories()).contains("lxdbackup");
        CustomResourceDefinitionVersion v = version(plural);
        assertThat(v.getName()).isEqualTo("v1alpha1");
        assertThat(v.getServed()).isTrue();
        assertThat(v.getStorage()).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void statusSubresourceAndPrinterColumns(String kind, String plural, String shortName) {
        CustomResourceDefinitionVersion v = version(plural);
        assertThat(v.getSubresources()).isNotNull();
        assertThat(v.getSubresources().getStatus()).isNotNull();
        List<CustomResourceColumnDefinition> columns = v.getAdditionalPrinterColumns();
        assertThat(columns).extracting(CustomResourceColumnDefinition::getName).contains("Phase", "Age");
        assertThat(columns)
                .filteredOn(c -> c.getName().equals("Phase"))
                .singleElement()
                .satisfies(c -> assertThat(c.getJsonPath()).isEqualTo(".status.phase"));
        assertThat(columns)
                .filteredOn(c -> c.getName().equals("Age"))
                .singleElement()
                .satisfies(c -> {
                    assertThat(c.getJsonPath()).isEqualTo(".metadata.creationTimestamp");
                    assertThat(c.getType()).isEqualTo("date");
                });
        // every column must point at a field that exists in the schema
        for (CustomResourceColumnDefinition c : columns) {
            if (!c.getJsonPath().startsWith(".metadata.")) {
                // a filter on a list (conditions[?(@.type=="Verified")]) steps into the list's items
                at(plural, c.getJsonPath().substring(1).replaceAll("\\[\\?\\(@\\.type==\"[A-Za-z]+\"\\)\\]", ".[]"));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void everyFieldIsDescribedForKubectlExplain(String kind, String plural, String shortName) {
        JSONSchemaProps root = root(plural);
        assertThat(root.getRequired()).contains("spec");
        assertThat(root.getProperties()).containsKeys("spec", "status");
        // what "kubectl explain <kind>" prints first
        assertThat(root.getDescription()).as(kind + " description").isNotBlank().hasSizeGreaterThan(40);
        List<String> undescribed = new ArrayList<>();
        collectUndescribed("spec", root.getProperties().get("spec"), undescribed);
        collectUndescribed("status", root.getProperties().get("status"), undescribed);
        assertThat(undescribed).isEmpty();
        JSONSchemaProps status = root.getProperties().get("status");
        assertThat(status.getProperties()).containsKeys("phase", "observedGeneration", "conditions");
    }

    private static void collectUndescribed(String path, JSONSchemaProps schema, List<String> out) {
        if (schema.getDescription() == null || schema.getDescription().isBlank()) {
            out.add(path);
        }
        if (schema.getProperties() != null) {
            schema.getProperties().forEach((name, child) -> collectUndescribed(path + "." + name, child, out));
        }
        if (schema.getItems() != null
                && schema.getItems().getSchema() != null
                && schema.getItems().getSchema().getProperties() != null) {
            schema.getItems()
                    .getSchema()
                    .getProperties()
                    .forEach((name, child) -> collectUndescribed(path + "[]." + name, child, out));
        }
    }

    @Test
    void durationPatternIsGoStyle() {
        String pattern = at("instancesnapshots", "spec.ttl").getPattern();
        assertThat(pattern).isEqualTo(SchemaPatterns.DURATION);
        for (String[] field : new String[][] {
            {"lxdremotes", "spec.probeInterval"},
            {"snapshotschedules", "spec.expiry"},
            {"instanceexports", "spec.ttl"},
            {"exportschedules", "spec.exportTemplate.ttl"}
        }) {
            assertThat(at(field[0], field[1]).getPattern()).as(field[1]).isEqualTo(pattern);
        }
        Pattern p = Pattern.compile(pattern);
        assertThat(List.of("168h", "90s", "1h30m", "36h", "1.5h", "500ms", "2h45m30.5s", "10us", "10\u00b5s"))
                .allMatch(d -> p.matcher(d).matches());
        assertThat(List.of("7d", "", "h", "1", "1 h", "-5m", "1h 30m", "1w", "P1D"))
                .noneMatch(d -> p.matcher(d).matches());
    }

    @Test
    void rfc3339PatternOnExpiresAt() {
        Pattern p = Pattern.compile(at("instancesnapshots", "spec.expiresAt").getPattern());
        assertThat(p.matcher("2026-12-01T00:00:00Z").matches()).isTrue();
        assertThat(p.matcher("2026-12-01T00:00:00.123+02:00").matches()).isTrue();
        assertThat(p.matcher("2026-12-01").matches()).isFalse();
        assertThat(p.matcher("2026-12-01 00:00:00").matches()).isFalse();
    }

    @Test
    void instanceSnapshotRules() {
        JSONSchemaProps spec = at("instancesnapshots", "spec");
        List<String> rules = rules(spec);
        for (String immutable : List.of(
                "remoteRef",
                "instance",
                "project",
                "snapshotName",
                "stateful",
                "diskVolumesMode",
                "reuse",
                "deletionPolicy")) {
            assertThat(rules).as(immutable).anyMatch(r -> r.contains("oldSelf." + immutable));
        }
        for (String mutable : List.of("expiresAt", "ttl", "noExpiry")) {
            assertThat(rules).as(mutable).noneMatch(r -> r.contains("oldSelf." + mutable));
        }
        assertThat(rules)
                .contains("has(self.snapshotName) == has(oldSelf.snapshotName)"
                        + " && (!has(self.snapshotName) || self.snapshotName == oldSelf.snapshotName)");
        assertThat(rules)
                .anyMatch(r -> r.contains("has(self.expiresAt)")
                        && r.contains("has(self.ttl)")
                        && r.contains("self.noExpiry")
                        && r.endsWith("<= 1"));
        assertThat(spec.getRequired()).containsExactlyInAnyOrder("remoteRef");
        assertThat(rules).contains("has(self.instance) != has(self.volume)");
        assertThat(rules).anyMatch(r -> r.contains("oldSelf.volume"));
        assertThat(at("instancesnapshots", "spec.volume").getRequired()).containsExactlyInAnyOrder("pool", "name");
        assertThat(at("instancesnapshots", "spec.deletionPolicy").getDefault().asText())
                .isEqualTo("Delete");
        assertThat(at("instancesnapshots", "spec.diskVolumesMode").getEnum())
                .extracting(n -> n.asText())
                .containsExactlyInAnyOrder("root", "all-exclusive");
    }

    @Test
    void instanceExportRules() {
        List<String> rules = rules(at("instanceexports", "spec"));
        for (String immutable : List.of(
                "remoteRef",
                "instance",
                "project",
                "storeRef",
                "key",
                "compression",
                "optimizedStorage",
                "instanceOnly",
                "exportVersion")) {
            assertThat(rules).as(immutable).anyMatch(r -> r.contains("oldSelf." + immutable));
        }
        assertThat(rules).noneMatch(r -> r.contains("oldSelf.ttl") || r.contains("oldSelf.deletionPolicy"));
        assertThat(rules(at("instanceexports", "spec.key"))).containsExactly("!self.startsWith('/')");
        assertThat(at("instanceexports", "spec.deletionPolicy").getDefault().asText())
                .isEqualTo("Retain");
        assertThat(at("instanceexports", "spec.compression").getDefault().asText())
                .isEqualTo("auto");
        assertThat(at("instanceexports", "spec.compression").getEnum())
                .extracting(n -> n.asText())
                .containsExactlyInAnyOrder("auto", "none", "gzip", "bzip2", "xz", "zstd", "lz4");
    }

    @Test
    void instanceRestoreRules() {
        assertThat(rules(at("instancerestores", "spec")))
                .contains("self == oldSelf", "has(self.instance) != has(self.volume)");
        List<String> sourceRules = rules(at("instancerestores", "spec.source"));
        assertThat(sourceRules).singleElement().satisfies(r -> {
            assertThat(r)
                    .contains("has(self.snapshot)", "has(self.snapshotRef)", "has(self.exportRef)", "has(self.object)");
            assertThat(r).endsWith("== 1");
        });
        assertThat(rules(at("instancerestores", "spec.source.object.key"))).containsExactly("!self.startsWith('/')");
        assertThat(at("instancerestores", "spec.existingInstance").getEnum())
                .extracting(n -> n.asText())
                .containsExactlyInAnyOrder("Fail", "Replace");
        assertThat(at("instancerestores", "spec.verifyChecksum").getDefault().asBoolean())
                .isTrue();
    }

    @Test
    void schedulesNeedInstancesOrSelector() {
        for (String plural : List.of("snapshotschedules", "exportschedules")) {
            JSONSchemaProps spec = at(plural, "spec");
            assertThat(rules(spec))
                    .as(plural)
                    .anyMatch(r -> r.contains("has(self.instances)") && r.contains("has(self.instanceSelector)"));
            assertThat(spec.getRequired()).as(plural).contains("remoteRef", "schedule");
            for (String keep :
                    List.of("keepLast", "keepHourly", "keepDaily", "keepWeekly", "keepMonthly", "keepYearly")) {
                JSONSchemaProps k = at(plural, "spec.retention." + keep);
                assertThat(k.getType()).isEqualTo("integer");
                assertThat(k.getMinimum()).isEqualTo(0.0);
                assertThat(k.getDefault())
                        .as("retention has no hidden defaults")
                        .isNull();
            }
            assertThat(at(plural, "spec.concurrencyPolicy").getEnum())
                    .extracting(n -> n.asText())
                    .containsExactlyInAnyOrder("Forbid", "Allow");
            assertThat(at(plural, "spec.timeZone").getDefault().asText()).isEqualTo("UTC");
            assertThat(at(plural, "status.instances.[].lastResult").getEnum())
                    .extracting(n -> n.asText())
                    .contains("Succeeded", "Failed", "Skipped");
        }
        assertThat(at("snapshotschedules", "spec.mode").getEnum())
                .extracting(n -> n.asText())
                .containsExactlyInAnyOrder("Operator", "Server");
        assertThat(at("exportschedules", "spec.exportTemplate").getRequired()).containsExactly("storeRef");
    }

    @Test
    void storeAndRemoteEnumsAndRules() {
        assertThat(at("backupstores", "spec.accessMode").getEnum())
                .extracting(n -> n.asText())
                .containsExactlyInAnyOrder("ReadWrite", "ReadOnly");
        assertThat(at("backupstores", "spec.s3.serverSideEncryption.type").getEnum())
                .extracting(n -> n.asText())
                .containsExactlyInAnyOrder("AES256", "aws:kms");
        assertThat(at("backupstores", "spec.s3.objectLock.mode").getEnum())
                .extracting(n -> n.asText())
                .containsExactlyInAnyOrder("GOVERNANCE", "COMPLIANCE");
        assertThat(rules(at("backupstores", "spec.s3.prefix"))).containsExactly("!self.startsWith('/')");
        assertThat(at("instancecopies", "spec.mode").getEnum())
                .extracting(n -> n.asText())
                .containsExactlyInAnyOrder("pull", "push", "relay");
        assertThat(at("instancecopies", "spec.mode").getDefault().asText()).isEqualTo("pull");
        assertThat(at("instancecopies", "spec.refreshStrategy").getEnum())
                .extracting(n -> n.asText())
                .containsExactlyInAnyOrder("Staging", "InPlace");
        assertThat(at("instancecopies", "spec.refreshStrategy").getDefault().asText())
                .isEqualTo("Staging");
        assertThat(rules(at("instancecopies", "spec")))
                .contains(
                        "!has(self.schedule) || !has(self.refresh) || self.refresh",
                        "has(self.instance) != has(self.volume)",
                        "!has(self.volume) || !has(self.mode) || self.mode == 'pull'");
        assertThat(rules(at("instanceexports", "spec"))).contains("has(self.instance) != has(self.volume)");
        assertThat(at("instancecopies", "status.lastSyncKind").getEnum())
                .extracting(n -> n.asText())
                .containsExactlyInAnyOrder("Full", "Incremental");
        assertThat(at("instancecopies", "status.transferredSnapshots").getType())
                .isEqualTo("array");
        assertThat(at("lxdremotes", "spec.probeInterval").getDefault().asText()).isEqualTo("5m");
        assertThat(at("lxdremotes", "status.capabilities.compressionAlgorithms").getType())
                .isEqualTo("array");
    }

    @Test
    void onlyV1CrdsAreWritten() throws IOException {
        try (Stream<Path> files = Files.list(CRDS)) {
            assertThat(files.map(f -> f.getFileName().toString()))
                    .hasSize(9)
                    .allMatch(n -> n.endsWith(".lxdbackup.io-v1.yml"));
        }
        Map<?, ?> raw =
                Serialization.unmarshal(Files.readString(CRDS.resolve("lxdremotes.lxdbackup.io-v1.yml")), Map.class);
        assertThat(raw.get("apiVersion")).isEqualTo("apiextensions.k8s.io/v1");
    }
}
