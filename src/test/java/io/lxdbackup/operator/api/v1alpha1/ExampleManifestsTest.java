package io.lxdbackup.operator.api.v1alpha1;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The examples in examples/ read into the model, survive a round trip, and satisfy the generated schemas. */
class ExampleManifestsTest {

    static final Path EXAMPLES = Path.of("examples");

    static Stream<Arguments> examples() {
        return Stream.of(
                Arguments.of("lxdremote.yaml", LxdRemote.class, "lxdremotes"),
                Arguments.of("lxdremote-backup.yaml", LxdRemote.class, "lxdremotes"),
                Arguments.of("backupstore.yaml", BackupStore.class, "backupstores"),
                Arguments.of("instancesnapshot.yaml", InstanceSnapshot.class, "instancesnapshots"),
                Arguments.of("snapshotschedule.yaml", SnapshotSchedule.class, "snapshotschedules"),
                Arguments.of("snapshotschedule-numbered.yaml", SnapshotSchedule.class, "snapshotschedules"),
                Arguments.of("instanceexport.yaml", InstanceExport.class, "instanceexports"),
                Arguments.of("exportschedule.yaml", ExportSchedule.class, "exportschedules"),
                Arguments.of("volume-snapshotschedule.yaml", SnapshotSchedule.class, "snapshotschedules"),
                Arguments.of("volume-exportschedule.yaml", ExportSchedule.class, "exportschedules"),
                Arguments.of("instancerestore.yaml", InstanceRestore.class, "instancerestores"),
                Arguments.of("instancecopy.yaml", InstanceCopy.class, "instancecopies"),
                Arguments.of("copy-promote.yaml", InstanceCopy.class, "instancecopies"),
                Arguments.of("backupverification.yaml", BackupVerification.class, "backupverifications"));
    }

    static <T> T read(String file, Class<T> type) {
        try {
            return Serialization.unmarshal(Files.readString(EXAMPLES.resolve(file)), type);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void roundTripKeepsEveryField(String file, Class<? extends CustomResource<?, ?>> type, String plural) {
        CustomResource<?, ?> resource = read(file, type);
        assertThat(resource.getMetadata().getNamespace()).isEqualTo("default");
        assertThat(resource.getApiVersion()).isEqualTo("lxdbackup.io/v1alpha1");
        assertThat(resource.getKind()).isEqualTo(type.getSimpleName());

        // the model ignores unknown properties, so compare trees to catch a field that the model drops
        JsonNode original = read(file, JsonNode.class).get("spec");
        JsonNode written = Serialization.unmarshal(Serialization.asYaml(resource), JsonNode.class)
                .get("spec");
        assertThat(written).isEqualTo(original);

        CustomResource<?, ?> again = Serialization.unmarshal(Serialization.asYaml(resource), type);
        assertThat(again.getSpec()).isEqualTo(resource.getSpec());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void satisfiesGeneratedSchema(String file, Class<?> type, String plural) {
        JsonNode spec = read(file, JsonNode.class).get("spec");
        List<String> errors = new ArrayList<>();
        validate("spec", spec, CrdSchemaTest.at(plural, "spec"), errors);
        assertThat(errors).isEmpty();
    }

    /** A small structural check: types, unknown fields, required, enums, patterns, bounds (not CEL). */
    private static void validate(String path, JsonNode node, JSONSchemaProps schema, List<String> errors) {
        switch (schema.getType()) {
            case "object" -> {
                if (!node.isObject()) {
                    errors.add(path + ": not an object");
                    return;
                }
                if (schema.getRequired() != null) {
                    schema.getRequired().stream()
                            .filter(r -> !node.has(r))
                            .forEach(r -> errors.add(path + "." + r + ": required"));
                }
                if (schema.getMaxProperties() != null && node.size() > schema.getMaxProperties()) {
                    errors.add(path + ": too many properties");
                }
                for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> field = it.next();
                    JSONSchemaProps child = schema.getProperties() != null
                            ? schema.getProperties().get(field.getKey())
                            : null;
                    if (child == null && schema.getAdditionalProperties() != null) {
                        child = schema.getAdditionalProperties().getSchema();
                    }
                    if (child == null) {
                        errors.add(path + "." + field.getKey() + ": unknown field (would be pruned)");
                    } else {
                        validate(path + "." + field.getKey(), field.getValue(), child, errors);
                    }
                }
            }
            case "array" -> {
                if (!node.isArray()) {
                    errors.add(path + ": not an array");
                    return;
                }
                for (int i = 0; i < node.size(); i++) {
                    validate(
                            path + "[" + i + "]", node.get(i), schema.getItems().getSchema(), errors);
                }
            }
            case "string" -> {
                if (!node.isTextual()) {
                    errors.add(path + ": not a string");
                    return;
                }
                String s = node.asText();
                if (schema.getEnum() != null
                        && !schema.getEnum().isEmpty()
                        && schema.getEnum().stream().noneMatch(e -> e.asText().equals(s))) {
                    errors.add(path + ": " + s + " not in " + schema.getEnum());
                }
                if (schema.getPattern() != null
                        && !Pattern.compile(schema.getPattern()).matcher(s).find()) {
                    errors.add(path + ": " + s + " does not match " + schema.getPattern());
                }
                if (schema.getMaxLength() != null && s.length() > schema.getMaxLength()) {
                    errors.add(path + ": too long");
                }
                if (schema.getMinLength() != null && s.length() < schema.getMinLength()) {
                    errors.add(path + ": too short");
                }
            }
            case "integer" -> {
                if (!node.isIntegralNumber()) {
                    errors.add(path + ": not an integer");
                    return;
                }
                if (schema.getMinimum() != null && node.asDouble() < schema.getMinimum()) {
                    errors.add(path + ": below minimum");
                }
                if (schema.getMaximum() != null && node.asDouble() > schema.getMaximum()) {
                    errors.add(path + ": above maximum");
                }
            }
            case "boolean" -> {
                if (!node.isBoolean()) {
                    errors.add(path + ": not a boolean");
                }
            }
            default -> errors.add(path + ": unexpected schema type " + schema.getType());
        }
    }

    @Test
    void lxdRemote() {
        LxdRemote r = read("lxdremote.yaml", LxdRemote.class);
        assertThat(r.getMetadata().getName()).isEqualTo("lxd-a");
        assertThat(r.getSpec().getUrl()).isEqualTo("https://10.0.0.5:8443");
        assertThat(r.getSpec().getClientCertificateSecretRef().getName()).isEqualTo("lxd-a-client");
        assertThat(r.getSpec().getServerCertificateFingerprint()).hasSize(64);
        assertThat(r.getSpec().getProbeInterval()).isEqualTo("5m");
        assertThat(r.getSpec().getInsecureSkipVerify())
                .as("absent stays null; the schema defaults it")
                .isNull();
        assertThat(r.getStatus()).isNull();
    }

    @Test
    void backupStore() {
        BackupStore s = read("backupstore.yaml", BackupStore.class);
        assertThat(s.getMetadata().getName()).isEqualTo("s3-main");
        S3Store s3 = s.getSpec().getS3();
        assertThat(s3.getBucket()).isEqualTo("lxd-backups");
        assertThat(s3.getPrefix()).isEqualTo("cluster-a/");
        assertThat(s3.getForcePathStyle()).isTrue();
        assertThat(s3.getCredentialsSecretRef().getName()).isEqualTo("s3-creds");
        assertThat(s3.getEndpoint()).isEqualTo("https://s3.example.com");
        assertThat(s.getSpec().getAccessMode()).isEqualTo(AccessMode.READ_WRITE);
    }

    @Test
    void instanceSnapshot() {
        InstanceSnapshot s = read("instancesnapshot.yaml", InstanceSnapshot.class);
        assertThat(s.getSpec().getRemoteRef().getName()).isEqualTo("lxd-a");
        assertThat(s.getSpec().getInstance()).isEqualTo("web1");
        assertThat(s.getSpec().getSnapshotName()).isEqualTo("before-upgrade");
        assertThat(s.getSpec().getTtl()).isEqualTo("168h");
        assertThat(s.getSpec().getExpiresAt()).isNull();
        assertThat(s.getSpec().getDiskVolumesMode()).isEqualTo(DiskVolumesMode.ROOT);
        assertThat(s.getSpec().getDeletionPolicy()).isEqualTo(DeletionPolicy.DELETE);
    }

    @Test
    void snapshotSchedule() {
        SnapshotSchedule s = read("snapshotschedule.yaml", SnapshotSchedule.class);
        SnapshotScheduleSpec spec = s.getSpec();
        assertThat(spec.getRemoteRef().getName()).isEqualTo("lxd-a");
        assertThat(spec.getInstances()).containsExactly("web1", "db1");
        assertThat(spec.getInstanceSelector().getMatchConfig()).containsEntry("user.backup", "true");
        assertThat(spec.getInstanceSelector().getNamePattern()).isEqualTo("web-*");
        assertThat(spec.getSchedule()).isEqualTo("0 6 * * *");
        assertThat(spec.getTimeZone()).isEqualTo("Europe/Berlin");
        assertThat(spec.getSnapshotNamePattern()).isEqualTo("auto-{{ creation_date|date:'2006-01-02-1504' }}");
        assertThat(spec.getRetention().getKeepLast()).isEqualTo(3);
        assertThat(spec.getRetention().getKeepDaily()).isEqualTo(7);
        assertThat(spec.getRetention().getKeepHourly()).as("no hidden default").isNull();
        assertThat(spec.getStartingDeadlineSeconds()).isEqualTo(300L);
        assertThat(spec.getConcurrencyPolicy()).isEqualTo(ConcurrencyPolicy.FORBID);
        assertThat(spec.getMode()).isEqualTo(SnapshotScheduleMode.OPERATOR);
    }

    @Test
    void instanceExport() {
        InstanceExport e = read("instanceexport.yaml", InstanceExport.class);
        assertThat(e.getSpec().getStoreRef().getName()).isEqualTo("s3-main");
        assertThat(e.getSpec().getCompression()).isEqualTo(Compression.ZSTD);
        assertThat(e.getSpec().getExportVersion()).isZero();
        assertThat(e.getSpec().getTtl()).isEqualTo("720h");
        assertThat(e.getSpec().getDeletionPolicy()).isEqualTo(DeletionPolicy.RETAIN);
        assertThat(e.getSpec().getKey()).isNull();
    }

    @Test
    void exportSchedule() {
        ExportSchedule s = read("exportschedule.yaml", ExportSchedule.class);
        assertThat(s.getSpec().getInstances()).containsExactly("db1");
        assertThat(s.getSpec().getSchedule()).isEqualTo("@weekly");
        assertThat(s.getSpec().getRetention().getKeepMonthly()).isEqualTo(12);
        ExportTemplate t = s.getSpec().getExportTemplate();
        assertThat(t.getStoreRef().getName()).isEqualTo("s3-main");
        assertThat(t.getCompression()).isEqualTo(Compression.AUTO);
        assertThat(t.getInstanceOnly()).isTrue();
        assertThat(t.getDeletionPolicy()).isEqualTo(DeletionPolicy.DELETE);
    }

    @Test
    void instanceRestore() {
        InstanceRestore r = read("instancerestore.yaml", InstanceRestore.class);
        assertThat(r.getSpec().getInstance()).isEqualTo("web1-restored");
        RestoreSource source = r.getSpec().getSource();
        assertThat(source.getExportRef().getName()).isEqualTo("web1-export");
        assertThat(source.getSnapshot()).isNull();
        assertThat(source.getSnapshotRef()).isNull();
        assertThat(source.getObject()).isNull();
        assertThat(r.getSpec().getStoragePool()).isEqualTo("default");
        assertThat(r.getSpec().getDevices())
                .as("device overrides need a newer LXD than the test rig's")
                .isNull();
        assertThat(r.getSpec().getExistingInstance()).isEqualTo(ExistingInstancePolicy.FAIL);
        assertThat(r.getSpec().getVerifyChecksum()).isTrue();
    }

    @Test
    void instanceCopy() {
        InstanceCopy c = read("instancecopy.yaml", InstanceCopy.class);
        assertThat(c.getSpec().getSourceRemoteRef().getName()).isEqualTo("lxd-a");
        assertThat(c.getSpec().getTargetRemoteRef().getName()).isEqualTo("lxd-backup");
        assertThat(c.getSpec().getTargetProject()).isEqualTo("default");
        assertThat(c.getSpec().getRefresh()).isTrue();
        assertThat(c.getSpec().getMode()).isEqualTo(CopyMode.PULL);
        assertThat(c.getSpec().getRefreshStrategy()).isEqualTo(RefreshStrategy.STAGING);
        assertThat(c.getSpec().getSchedule()).isEqualTo("@hourly");
        assertThat(c.getSpec().getStartingDeadlineSeconds()).isEqualTo(600L);
    }

    @Test
    void statusRoundTripAndConditionLookup() {
        String yaml = """
        apiVersion: lxdbackup.io/v1alpha1
        kind: InstanceExport
        metadata: {name: web1-export, namespace: default}
        spec: {remoteRef: {name: lxd-a}, instance: web1, storeRef: {name: s3-main}}
        status:
          phase: Completed
          observedGeneration: 2
          compression: zstd
          object: {bucket: lxd-backups, key: cluster-a/default/lxd-a/default/web1/web1-export.tar.zst, size: 123, sha256: abc}
          progress: {bytesDone: 123, totalBytes: 123, percent: 100}
          conditions:
          - {type: Complete, status: "True", reason: Uploaded, message: done, lastTransitionTime: "2026-11-26T06:00:00Z", observedGeneration: 2}
        """;
        InstanceExport e = Serialization.unmarshal(yaml, InstanceExport.class);
        InstanceExportStatus s = e.getStatus();
        assertThat(s.getPhase()).isEqualTo(InstanceExportPhase.COMPLETED);
        assertThat(s.getCompression()).isEqualTo(Compression.ZSTD);
        assertThat(s.getObject().getSize()).isEqualTo(123L);
        assertThat(s.getProgress().getPercent()).isEqualTo(100);
        assertThat(s.isConditionTrue(Condition.COMPLETE)).isTrue();
        assertThat(s.findCondition(Condition.READY)).isEmpty();
        assertThat(s.getFailures()).isNull();

        String written = Serialization.asYaml(e);
        assertThat(written)
                .contains("phase: \"Completed\"")
                .doesNotContain("failures")
                .doesNotContain("conditionTrue");
        assertThat(Serialization.unmarshal(written, InstanceExport.class).getStatus())
                .isEqualTo(s);
    }

    @Test
    void enumValuesMatchTheirJson() {
        List<Class<? extends Enum<?>>> enums = List.of(
                DeletionPolicy.class,
                ConcurrencyPolicy.class,
                RunResult.class,
                SchedulePhase.class,
                Compression.class,
                LxdRemotePhase.class,
                BackupStorePhase.class,
                AccessMode.class,
                ServerSideEncryptionType.class,
                ObjectLockMode.class,
                InstanceSnapshotPhase.class,
                DiskVolumesMode.class,
                SnapshotScheduleMode.class,
                InstanceExportPhase.class,
                InstanceRestorePhase.class,
                ExistingInstancePolicy.class,
                InstanceCopyPhase.class,
                CopyMode.class,
                RefreshStrategy.class,
                SyncKind.class);
        for (Class<? extends Enum<?>> type : enums) {
            for (Enum<?> constant : type.getEnumConstants()) {
                String json = Serialization.asJson(constant);
                assertThat(json).as(type.getSimpleName()).isEqualTo("\"" + constant + "\"");
                assertThat(Serialization.unmarshal(json, type)).isSameAs(constant);
            }
        }
        assertThat(ServerSideEncryptionType.fromValue("aws:kms")).isEqualTo(ServerSideEncryptionType.AWS_KMS);
        assertThat(DiskVolumesMode.ALL_EXCLUSIVE.value()).isEqualTo("all-exclusive");
    }
}
