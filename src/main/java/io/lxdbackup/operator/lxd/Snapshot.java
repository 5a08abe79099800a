package io.lxdbackup.operator.lxd;

import java.time.Instant;

/**
 * One instance snapshot. {@code expiresAt} is null when the snapshot never expires (LXD
 * reports that as {@code 0001-01-01T00:00:00Z}); {@code size} is null when the server does
 * not report it.
 */
public record Snapshot(String name, Instant createdAt, Instant expiresAt, boolean stateful, Long size) {}
