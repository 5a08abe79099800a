/**
 * Proving exports restorable, the parts free of Kubernetes: re-reading a stored object through
 * SHA-256 at a bounded rate ({@link io.lxdbackup.operator.verify.ChecksumCheck},
 * {@link io.lxdbackup.operator.verify.Throttle}), choosing which exports a run checks
 * ({@link io.lxdbackup.operator.verify.ExportSelection}) and naming the scratch instances of
 * restore drills ({@link io.lxdbackup.operator.verify.DrillNames}).
 */
package io.lxdbackup.operator.verify;
