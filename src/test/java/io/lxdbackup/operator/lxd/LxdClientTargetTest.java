package io.lxdbackup.operator.lxd;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A client bound to a cluster member sends {@code target=} (and its project) on every request.
 * No clustered LXD is available to test against, and what matters here is what the client
 * sends, so the server is a stand-in that records the request lines.
 */
class LxdClientTargetTest {
    RecordingLxdServer server;

    @BeforeEach
    void start() throws IOException {
        server = new RecordingLxdServer(
                line -> RecordingLxdServer.Answer.sync(line.contains("recursion=1") ? "[]" : "{}"));
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
    }

    @Test
    void everyRequestOfATargetViewCarriesTargetAndProject() {
        try (LxdClient root = server.client()) {
            LxdClient member = root.inProject("p1").onTarget("member-2");
            member.listInstances();
            member.getInstance("c1");
            member.listSnapshots("c1");
            member.getSnapshot("c1", "s1");
            member.listBackups("c1");
            member.deleteInstance("c1");
            member.listOperations();
            root.listInstances();
        }
        assertThat(server.requestLines).hasSize(8);
        for (String line : server.requestLines.subList(0, 7)) {
            HttpUrl u = HttpUrl.get("http://lxd" + line.split(" ")[1]);
            assertThat(u.queryParameter("target")).as(line).isEqualTo("member-2");
            assertThat(u.queryParameter("project")).as(line).isEqualTo("p1");
        }
        assertThat(server.requestLines.get(1)).startsWith("GET /1.0/instances/c1?");
        assertThat(server.requestLines.get(5)).startsWith("DELETE /1.0/instances/c1?");
        // the view does not change the client it came from
        assertThat(server.requestLines.get(7)).isEqualTo("GET /1.0/instances?recursion=1 HTTP/1.1");
    }

    @Test
    void targetAndProjectAreEncodedAsQueryParameters() {
        try (LxdClient c = server.client().onTarget("node a&b=c")) {
            HttpUrl u = c.url("1.0", "instances", "x y");
            assertThat(u.encodedPath()).isEqualTo("/1.0/instances/x%20y");
            assertThat(u.queryParameter("target")).isEqualTo("node a&b=c");
            assertThat(u.queryParameter("project")).isNull();
        }
    }
}
