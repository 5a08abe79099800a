package io.lxdbackup.operator.lxd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lxdbackup.operator.lxd.RecordingLxdServer.Answer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A server that does not serve {@code /wait}: the client notices from the 404 for an
 * operation that GET still finds, and polls from then on. Real LXD always serves /wait, so a
 * stand-in plays that server (polling itself is tested against real LXD).
 */
class LxdClientWaitDetectionTest {
    static String op(String id, int statusCode, String status) {
        return "{\"id\":\"" + id + "\",\"class\":\"task\",\"description\":\"Test\",\"status\":\"" + status
                + "\",\"status_code\":" + statusCode + ",\"err\":\"\",\"may_cancel\":false}";
    }

    static final Operation RUNNING =
            new Operation("op1", "task", "Test", "Running", 103, null, false, null, null, java.util.Map.of(), null);

    @Test
    void missingWaitEndpointSwitchesToPollingOnce() throws Exception {
        AtomicInteger gets = new AtomicInteger();
        RecordingProbe probe = RecordingProbe.counting();
        try (RecordingLxdServer server = new RecordingLxdServer(line -> {
                    if (line.contains("/wait")) {
                        return Answer.error(404, "not found");
                    }
                    // running for the first two looks, then done
                    return Answer.sync(
                            gets.incrementAndGet() < 3 ? op("op1", 103, "Running") : op("op1", 200, "Success"));
                });
                LxdClient c = server.client().observedBy(probe)) {
            Operation done = c.waitFor(RUNNING, Duration.ofSeconds(30));
            assertThat(done.status()).isEqualTo("Success");
            assertThat(server.requestLines).hasSize(4);
            assertThat(server.requestLines.get(0)).startsWith("GET /1.0/operations/op1/wait?timeout=");
            assertThat(server.requestLines.subList(1, 4))
                    .allSatisfy(l -> assertThat(l).startsWith("GET /1.0/operations/op1 "));
            assertThat(probe.operationPolls()).isEqualTo(2);

            // the next wait on this connection polls straight away
            gets.set(2);
            assertThat(c.waitFor(RUNNING, Duration.ofSeconds(30)).isSuccess()).isTrue();
            assertThat(server.requestLines).hasSize(5).last().asString().doesNotContain("/wait");
        }
    }

    @Test
    void operationUnknownToBothIsNotFoundAndKeepsUsingWait() throws Exception {
        RecordingProbe probe = RecordingProbe.counting();
        try (RecordingLxdServer server = new RecordingLxdServer(line -> Answer.error(404, "Operation not found"));
                LxdClient c = server.client().observedBy(probe)) {
            assertThatThrownBy(() -> c.waitFor(RUNNING, Duration.ofSeconds(30)))
                    .isExactlyInstanceOf(LxdException.NotFound.class);
            assertThatThrownBy(() -> c.waitFor(RUNNING, Duration.ofSeconds(30)))
                    .isExactlyInstanceOf(LxdException.NotFound.class);
            // wait, get; wait, get: a forgotten operation says nothing about /wait
            assertThat(server.requestLines).hasSize(4);
            assertThat(server.requestLines.get(2)).contains("/wait");
            assertThat(probe.operationPolls()).isZero();
        }
    }
}
