package io.lxdbackup.operator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.lxdbackup.operator.testing.S3Server;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An HTTPS store whose certificate no public CA signed, as with a private MinIO. */
class CaBundleTest {
    private static final String PASSWORD = "changeit-test";

    @TempDir
    static Path dir;

    private static S3Server server;
    private static String certificatePem;

    @BeforeAll
    static void start() throws Exception {
        Path keyStore = dir.resolve("s3proxy.p12");
        String keytool =
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        keytool(
                keytool,
                "-genkeypair",
                "-alias",
                "s3proxy",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=s3proxy-test",
                "-ext",
                "san=ip:127.0.0.1,dns:localhost",
                "-validity",
                "2",
                "-keystore",
                keyStore.toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                PASSWORD,
                "-keypass",
                PASSWORD);
        Path pem = dir.resolve("s3proxy.pem");
        keytool(
                keytool,
                "-exportcert",
                "-rfc",
                "-alias",
                "s3proxy",
                "-keystore",
                keyStore.toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                PASSWORD,
                "-file",
                pem.toString());
        certificatePem = Files.readString(pem);
        server = S3Server.startTls(keyStore, PASSWORD);
        try (S3ObjectStore store = S3ObjectStore.open(
                        server.config("tls").caBundlePem(certificatePem).build());
                var raw = S3ObjectStore.buildClient(store.config(), o -> {})) {
            raw.createBucket(b -> b.bucket("tls"));
        }
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @Test
    void trustsTheBundleInAdditionToDefaults() throws Exception {
        try (S3ObjectStore store = S3ObjectStore.open(
                server.config("tls").caBundlePem(certificatePem).build())) {
            store.validate();
            byte[] data = "over tls".getBytes(StandardCharsets.UTF_8);
            UploadResult r = store.upload("k", new ByteArrayInputStream(data), -1, UploadOptions.defaults());
            assertThat(store.head("k").orElseThrow().sha256()).isEqualTo(r.sha256());
        }
        assertThat(S3ObjectStore.trustManagers(certificatePem)).isNotEmpty();
    }

    @Test
    void withoutTheBundleTheServerIsNotTrusted() {
        try (S3ObjectStore store = S3ObjectStore.open(server.config("tls").build())) {
            StoreException e = catchThrowableOfType(StoreException.class, store::validate);
            System.out.println("untrusted: " + e.getMessage());
            assertThat(e.reason()).isEqualTo(StoreException.Reason.UNREACHABLE);
            assertThat(e.isTransient()).isFalse();
            assertThat(e.getMessage()).contains("TLS").contains("CA bundle");
        }
    }

    private static void keytool(String... command) throws Exception {
        Process p =
                new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("keytool failed: " + out);
        }
    }
}
