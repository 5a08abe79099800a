package io.lxdbackup.operator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class StoreConfigTest {

    @Test
    void toStringNeverShowsSecrets() {
        StoreConfig c = StoreConfig.builder("bkt")
                .endpoint("https://s3.example.com")
                .prefix("/a/b")
                .credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "FwoGZXIvYXdzEXAMPLETOKEN")
                .caBundlePem("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----")
                .build();
        assertThat(c.toString())
                .contains("AKIDEXAMPLE")
                .contains("prefix=a/b/")
                .doesNotContain("wJalrXUtnFEMI")
                .doesNotContain("FwoGZXIvYXdz")
                .doesNotContain("MIIB");
        assertThat(c.credentials().toString()).doesNotContain("wJalr");
        assertThat(c.describe()).isEqualTo("s3://bkt/a/b/ at https://s3.example.com");
    }

    @Test
    void defaultsAndValidation() {
        StoreConfig c = StoreConfig.builder("bkt").build();
        assertThat(c.region()).isEqualTo("us-east-1");
        assertThat(c.prefix()).isEmpty();
        assertThat(c.credentials()).isNull();
        assertThatThrownBy(() -> StoreConfig.builder(" ").build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> StoreConfig.builder("b").endpoint("ftp://x").build())
                .hasMessageContaining("http");
        assertThatThrownBy(() -> new StoreConfig.Encryption(StoreConfig.SseType.AES256, "k"))
                .hasMessageContaining("aws:kms");
        assertThatThrownBy(() -> new StoreConfig.ObjectLock(StoreConfig.LockMode.GOVERNANCE, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(StoreConfig.SseType.fromWire("aws:kms")).isEqualTo(StoreConfig.SseType.AWS_KMS);
        assertThat(StoreConfig.LockMode.fromWire("compliance")).isEqualTo(StoreConfig.LockMode.COMPLIANCE);
    }

    @Test
    void sanitizeRemovesSecretsAndSignatures() {
        StoreConfig c = StoreConfig.builder("bkt")
                .credentials("AKID", "topsecret", "tok3n")
                .build();
        String dirty = "GET /x?X-Amz-Credential=AKID%2F2026&X-Amz-Signature=abc123&X-Amz-Security-Token=tok3n "
                + "Authorization: AWS4-HMAC-SHA256 Credential=AKID/2026, Signature=deadbeef key topsecret";
        String clean = StoreErrors.sanitize(dirty, c);
        assertThat(clean)
                .doesNotContain("topsecret")
                .doesNotContain("tok3n")
                .doesNotContain("abc123")
                .doesNotContain("deadbeef");
    }

    @Test
    void invalidCaBundleIsRefused() {
        assertThatThrownBy(() -> S3ObjectStore.trustManagers("not a pem"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CA bundle");
    }

    @Test
    void partSizeGrowsToFitKnownSizes() {
        long mib = 1024 * 1024;
        assertThat(S3ObjectStore.effectivePartSize(16 * mib, -1)).isEqualTo(16 * mib);
        assertThat(S3ObjectStore.effectivePartSize(16 * mib, 100 * mib)).isEqualTo(16 * mib);
        long huge = 400L * 1024 * mib; // 400 GiB
        int part = S3ObjectStore.effectivePartSize(16 * mib, huge);
        assertThat((long) part * S3ObjectStore.MAX_PARTS).isGreaterThanOrEqualTo(huge);
        assertThat(part % mib).isZero();
        assertThatThrownBy(() -> S3ObjectStore.effectivePartSize(16 * mib, 20L * 1024 * 1024 * mib))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
