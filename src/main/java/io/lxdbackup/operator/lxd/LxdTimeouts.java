package io.lxdbackup.operator.lxd;

import java.time.Duration;

/**
 * Deadlines on everything the operator asks of an LXD server, so that a server that answers
 * slowly, trickles, or never finishes an answer ends as {@link LxdException.Unresponsive}
 * (condition reason {@code ServerUnresponsive}, retried with back-off) instead of holding a
 * thread.
 *
 * @param request    one ordinary API call, from sending it to the last byte of the answer
 *                   ({@code --lxd-request-timeout}); waits for operations go in slices of their own
 * @param streamIdle longest a stream (backup download, import upload, relay) may move no byte
 *                   ({@code --lxd-stream-idle-timeout})
 */
public record LxdTimeouts(Duration request, Duration streamIdle) {
    public LxdTimeouts {
        if (request == null || request.toMillis() < 1000) {
            throw new IllegalArgumentException("--lxd-request-timeout must be at least 1s (got " + request + ")");
        }
        if (streamIdle == null || streamIdle.toMillis() < 1000) {
            throw new IllegalArgumentException(
                    "--lxd-stream-idle-timeout must be at least 1s (got " + streamIdle + ")");
        }
    }

    public static LxdTimeouts defaults() {
        return new LxdTimeouts(LxdEndpoint.DEFAULT_REQUEST_TIMEOUT, LxdClient.DEFAULT_STREAM_IDLE_TIMEOUT);
    }
}
