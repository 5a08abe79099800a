package io.lxdbackup.operator.lxd;

import java.time.Instant;

/** One LXD-side instance backup (the file {@code lxc export} downloads). */
public record Backup(
        String name, Instant createdAt, Instant expiresAt, boolean instanceOnly, boolean optimizedStorage) {}
