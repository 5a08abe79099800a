package io.lxdbackup.operator.lxd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.Test;

/**
 * What the client sends for {@code diskVolumesMode} (create, delete and restore of an instance
 * snapshot, API extension {@code instance_snapshot_multi_volume}) and for the backup format
 * version ({@code backup_metadata_version}). The rig runs LXD 5.0.2, which has neither, so the
 * request shape for a server that has them is checked against a stand-in replaying the rig's
 * recorded answers ({@code GET /1.0} and an operation), with those extensions added to the
 * recorded {@code api_extensions}; without them, the refusal comes before any request is sent.
 * The refusal by the real daemon is checked in the controllers' rig tests.
 */
class DiskVolumesRequestTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static String recorded(String name) throws IOException {
        try (InputStream in = DiskVolumesRequestTest.class.getResourceAsStream("/lxd/recorded/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** The recorded 5.0.2 answer to GET /1.0, with {@code extra} extensions added. */
    static String server(String... extra) throws IOException {
        ObjectNode root = (ObjectNode) JSON.readTree(recorded("lxd-5.0.2-server.json"));
        ArrayNode ext = (ArrayNode) root.path("metadata").path("api_extensions");
        for (String e : extra) {
            ext.add(e);
        }
        return JSON.writeValueAsString(root);
    }

    static RecordingLxdServer standIn(String serverJson) throws IOException {
        String async = recorded("lxd-5.0.2-async.json");
        return new RecordingLxdServer(line -> line.startsWith("GET /1.0 ") || line.startsWith("GET /1.0?")
                ? new RecordingLxdServer.Answer(200, serverJson)
                : new RecordingLxdServer.Answer(202, async));
    }

    static JsonNode body(RecordingLxdServer s, String linePrefix) throws IOException {
        for (int i = 0; i < s.requestLines.size(); i++) {
            if (s.requestLines.get(i).startsWith(linePrefix)) {
                return JSON.readTree(s.requestBodies.get(i));
            }
        }
        throw new AssertionError("no request " + linePrefix + " in " + s.requestLines);
    }

    static HttpUrl url(RecordingLxdServer s, String method) {
        return s.requestLines.stream()
                .filter(l -> l.startsWith(method + " "))
                .map(l -> HttpUrl.get("http://lxd" + l.split(" ")[1]))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + method + " in " + s.requestLines));
    }

    @Test
    void aServerWithTheExtensionGetsTheModeOnCreateDeleteAndRestore() throws Exception {
        try (RecordingLxdServer s = standIn(server("instance_snapshot_multi_volume"));
                LxdClient c = s.client()) {
            Operation op =
                    c.createSnapshot("c1", new LxdClient.SnapshotRequest("s1", false, null, false, "all-exclusive"));
            assertThat(op).isNotNull();
            assertThat(body(s, "POST /1.0/instances/c1/snapshots")
                            .path("disk_volumes_mode")
                            .asText())
                    .isEqualTo("all-exclusive");

            c.deleteSnapshot(LxdTarget.instance("c1"), "s1", "all-exclusive");
            HttpUrl del = url(s, "DELETE");
            assertThat(del.encodedPath()).isEqualTo("/1.0/instances/c1/snapshots/s1");
            assertThat(del.queryParameter("disk-volumes")).isEqualTo("all-exclusive");

            c.restoreSnapshot("c1", "s1", false, "all-exclusive");
            JsonNode put = body(s, "PUT /1.0/instances/c1");
            assertThat(put.path("restore").asText()).isEqualTo("s1");
            assertThat(put.path("restore_disk_volumes_mode").asText()).isEqualTo("all-exclusive");
        }
    }

    @Test
    void withoutTheExtensionAllExclusiveIsRefusedBeforeAnyChangeAndRootSendsNothing() throws Exception {
        try (RecordingLxdServer s = standIn(server());
                LxdClient c = s.client()) {
            assertThatThrownBy(() -> c.deleteSnapshot(LxdTarget.instance("c1"), "s1", "all-exclusive"))
                    .isInstanceOf(LxdException.NotSupported.class)
                    .hasMessageContaining("instance_snapshot_multi_volume");
            assertThatThrownBy(() -> c.restoreSnapshot("c1", "s1", false, "all-exclusive"))
                    .isInstanceOf(LxdException.NotSupported.class)
                    .hasMessageContaining("instance_snapshot_multi_volume");
            assertThatThrownBy(() -> c.createSnapshot(
                            "c1", new LxdClient.SnapshotRequest("s1", false, null, false, "all-exclusive")))
                    .isInstanceOf(LxdException.NotSupported.class);
            assertThat(s.requestLines).allMatch(l -> l.startsWith("GET "));

            c.deleteSnapshot(LxdTarget.instance("c1"), "s1", "root");
            assertThat(url(s, "DELETE").queryParameter("disk-volumes")).isNull();
            c.restoreSnapshot("c1", "s1", false, "root");
            assertThat(body(s, "PUT /1.0/instances/c1").has("restore_disk_volumes_mode"))
                    .isFalse();
        }
    }

    @Test
    void exportVersionIsSentAsLxcExportSendsIt() throws Exception {
        Instant exp = Instant.parse("2030-01-01T00:00:00Z");
        try (RecordingLxdServer s = standIn(server("backup_metadata_version"));
                LxdClient c = s.client()) {
            c.createBackup("c1", new LxdClient.BackupRequest("b1", exp, false, false, null, 1));
            assertThat(body(s, "POST /1.0/instances/c1/backups").path("version").asInt())
                    .isEqualTo(1);
        }
        try (RecordingLxdServer s = standIn(server());
                LxdClient c = s.client()) {
            // a server without the extension writes version 1 only: asked for by sending nothing
            c.createBackup("c1", new LxdClient.BackupRequest("b1", exp, false, false, null, 1));
            assertThat(body(s, "POST /1.0/instances/c1/backups").has("version")).isFalse();
            int before = s.requestLines.size();
            assertThatThrownBy(
                            () -> c.createBackup("c1", new LxdClient.BackupRequest("b2", exp, false, false, null, 2)))
                    .isInstanceOf(LxdException.NotSupported.class)
                    .hasMessageContaining("backup_metadata_version")
                    .hasMessageContaining("version 1 only");
            assertThat(s.requestLines).hasSize(before);
        }
    }
}
