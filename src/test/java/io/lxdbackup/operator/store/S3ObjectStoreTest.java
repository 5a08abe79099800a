package io.lxdbackup.operator.store;

import io.lxdbackup.operator.testing.S3Implementation;

/** {@link S3ObjectStoreContract} against s3proxy, in-process. */
class S3ObjectStoreTest extends S3ObjectStoreContract {
    @Override
    S3Implementation implementation() {
        return S3Implementation.S3PROXY;
    }
}
