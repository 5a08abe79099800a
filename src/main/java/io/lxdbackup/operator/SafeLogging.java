package io.lxdbackup.operator;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * Loggers that would write credentials, tokens or backup bytes at a detailed level, pinned at a
 * level where they do not, whatever the root level ({@code --log-level=trace} included). The same
 * list is in {@code logback.xml}, for a configuration read before {@link #pin()} runs.
 * <ul>
 *   <li>fabric8's HTTP logging ({@code HttpLoggingInterceptor}) writes request and response
 *       bodies at trace: Secrets, with their data;
 *   <li>Apache HttpClient 5 (the S3 client's transport) writes headers (the SigV4
 *       {@code Authorization}) and raw bytes at debug on {@code org.apache.hc.client5.http.headers}
 *       and {@code ...wire};
 *   <li>the AWS SDK writes requests and the signer's canonical request (header values such as a
 *       session token) at debug;
 *   <li>Vert.x and Netty (the in-memory API server of local mode and tests) can dump frames.
 * </ul>
 */
public final class SafeLogging {
    public static final Map<String, Level> PINNED = Map.of(
            "io.fabric8.kubernetes.client.http", Level.INFO,
            "io.fabric8.kubernetes.client.okhttp", Level.INFO,
            "io.fabric8.kubernetes.client.jdkhttp", Level.INFO,
            "io.fabric8.kubernetes.client.vertx", Level.INFO,
            "io.fabric8.mockwebserver", Level.WARN,
            "org.apache.hc", Level.INFO,
            "software.amazon.awssdk", Level.INFO,
            "io.netty", Level.INFO,
            "io.vertx", Level.INFO,
            "okhttp3", Level.INFO);

    private SafeLogging() {}

    /** Sets every pinned logger to its level (again, after the root level changed). */
    public static void pin() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx) {
            PINNED.forEach((name, level) -> ctx.getLogger(name).setLevel(level));
        }
    }
}
