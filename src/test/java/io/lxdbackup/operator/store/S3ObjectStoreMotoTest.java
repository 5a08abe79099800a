package io.lxdbackup.operator.store;

import io.lxdbackup.operator.testing.S3Implementation;

/**
 * {@link S3ObjectStoreContract} against moto's server, a separate process (installed by
 * {@code hack/moto.sh}; skipped without it, a failure under {@code LXD_RIG_REQUIRED=true}).
 */
class S3ObjectStoreMotoTest extends S3ObjectStoreContract {
    @Override
    S3Implementation implementation() {
        return S3Implementation.MOTO;
    }
}
