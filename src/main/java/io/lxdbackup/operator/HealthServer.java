package io.lxdbackup.operator;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/** {@code /healthz} (alive), {@code /readyz} (started and informers healthy) and {@code /metrics}. */
final class HealthServer {
    private final HttpServer server;

    /** @param address where to listen (e.g. 127.0.0.1 in local mode); null = every address */
    HealthServer(
            String address,
            int port,
            PrometheusMeterRegistry registry,
            BooleanSupplier started,
            BooleanSupplier healthy) {
        try {
            server = HttpServer.create(
                    address == null ? new InetSocketAddress(port) : new InetSocketAddress(address, port), 16);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot listen on " + (address == null ? "" : address + ":") + "port " + port
                            + " for health and metrics",
                    e);
        }
        server.createContext("/healthz", ex -> reply(ex, 200, "ok\n", "text/plain"));
        server.createContext("/readyz", ex -> {
            boolean ready = started.getAsBoolean() && healthy.getAsBoolean();
            reply(ex, ready ? 200 : 503, ready ? "ready\n" : "not ready\n", "text/plain");
        });
        server.createContext(
                "/metrics", ex -> reply(ex, 200, registry.scrape(), "text/plain; version=0.0.4; charset=utf-8"));
        server.setExecutor(Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "health-http");
            t.setDaemon(true);
            return t;
        }));
    }

    void start() {
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** The address listened on ({@code 0.0.0.0} or {@code ::} for every address). */
    java.net.InetAddress address() {
        return server.getAddress().getAddress();
    }

    void stop() {
        server.stop(0);
    }

    private static void reply(HttpExchange ex, int code, String body, String type) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(code, b.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(b);
        }
    }
}
