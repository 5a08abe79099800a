package io.lxdbackup.operator.lxd;

import java.time.Instant;

/**
 * One instance snapshot. {@code expiresAt} is null when the snapshot never expires (LXD
 * reports that as {@code 0001-01-01T00:00:00Z}); {@code size} is null when the server does
 * not report it, which is always the case on {@code dir} pools (LXD answers -1 there: a plain
 * directory cannot tell a snapshot's own usage).
 */
public record Snapshot(String name, Instant createdAt, Instant expiresAt, boolean stateful, Long size) {}
