package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lxdbackup.operator.bench.FakeLxdServer;
import io.lxdbackup.operator.lxd.Certificates;
import io.lxdbackup.operator.lxd.LxdClient;
import io.lxdbackup.operator.lxd.LxdEndpoint;
import io.lxdbackup.operator.lxd.LxdException;
import io.lxdbackup.operator.lxd.LxdTarget;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The periodic checks of one instance's snapshots share one listing of the instance, counted at a
 * server that answers over HTTPS like LXD: one request for many snapshots, a new one once it is
 * too old or through another connection, and nothing kept from a failure.
 */
class SnapshotListingsTest {
    private FakeLxdServer server;
    private LxdClient client;
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    @BeforeEach
    void start() {
        server = new FakeLxdServer(List.of("web", "db"));
        Instant t = Instant.parse("2026-12-01T00:00:00Z");
        for (int i = 0; i < 5; i++) {
            server.addSnapshot("web", "s" + i, t.plusSeconds(i));
        }
        server.addSnapshot("db", "only", t);
        client = connect();
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    private LxdClient connect() {
        Certificates.GeneratedIdentity id = Certificates.generate("listings-test");
        return LxdClient.create(new LxdEndpoint(
                server.url(),
                "default",
                null,
                Certificates.parseIdentity(id.certificatePem(), id.privateKeyPem()),
                null,
                server.fingerprint(),
                false,
                Duration.ofSeconds(5),
                Duration.ofSeconds(10)));
    }

    private long listingCalls() {
        return server.calls().getOrDefault("GET /1.0/instances/{instance}/snapshots", 0L);
    }

    @Test
    void theChecksOfOneInstanceShareOneListing() {
        SnapshotListings listings = new SnapshotListings(nanos::get, Duration.ofSeconds(30));
        LxdTarget web = LxdTarget.instance("web");
        for (int i = 0; i < 5; i++) {
            assertThat(listings.find(client, web, "s" + i).createdAt())
                    .isEqualTo(Instant.parse("2026-12-01T00:00:00Z").plusSeconds(i));
        }
        assertThat(listingCalls()).isEqualTo(1);
        assertThat(server.calls()).doesNotContainKey("GET /1.0/instances/{instance}/snapshots/{snapshot}");
        // a name the listing does not hold: null, the caller reads it directly
        assertThat(listings.find(client, web, "gone")).isNull();
        assertThat(listingCalls()).isEqualTo(1);
        // another instance has its own listing
        assertThat(listings.find(client, LxdTarget.instance("db"), "only")).isNotNull();
        assertThat(listingCalls()).isEqualTo(2);
    }

    @Test
    void anOldListingOrAnotherConnectionAsksTheServerAgain() {
        SnapshotListings listings = new SnapshotListings(nanos::get, Duration.ofSeconds(30));
        LxdTarget web = LxdTarget.instance("web");
        listings.find(client, web, "s0");
        nanos.addAndGet(Duration.ofSeconds(29).toNanos());
        listings.find(client, web, "s1");
        assertThat(listingCalls()).isEqualTo(1);
        // a snapshot deleted meanwhile is seen once the listing is too old
        server.addSnapshot("web", "new", Instant.parse("2026-12-02T00:00:00Z"));
        assertThat(listings.find(client, web, "new")).isNull();
        nanos.addAndGet(Duration.ofSeconds(2).toNanos());
        assertThat(listings.find(client, web, "new")).isNotNull();
        assertThat(listingCalls()).isEqualTo(2);
        // the remote was changed: a listing made through the old connection is never used
        try (LxdClient other = connect()) {
            listings.find(other, web, "s0");
        }
        assertThat(listingCalls()).isEqualTo(3);
        // old finished listings are dropped, so the map does not grow with the instances ever checked
        nanos.addAndGet(Duration.ofMinutes(5).toNanos());
        listings.find(client, LxdTarget.instance("db"), "only");
        assertThat(listings.size()).isEqualTo(1);
    }

    @Test
    void aFailedListingIsNotKept() {
        SnapshotListings listings = new SnapshotListings(nanos::get, Duration.ofSeconds(30));
        LxdTarget missing = LxdTarget.instance("nope");
        assertThatThrownBy(() -> listings.find(client, missing, "s0")).isInstanceOf(LxdException.NotFound.class);
        assertThatThrownBy(() -> listings.find(client, missing, "s0")).isInstanceOf(LxdException.NotFound.class);
        assertThat(server.calls().get("GET /1.0/instances/{instance}/snapshots"))
                .isEqualTo(2);
        assertThat(listings.size()).isZero();
    }
}
