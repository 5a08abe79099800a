package io.lxdbackup.operator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.lxdbackup.operator.testing.S3Implementation;
import io.lxdbackup.operator.testing.S3TestServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.opentest4j.TestAbortedException;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

/**
 * What {@link S3ObjectStore} does against a real S3 server, run once per implementation by the
 * subclasses: {@link S3ObjectStoreTest} (s3proxy, in-process) and {@link S3ObjectStoreMotoTest}
 * (moto, a separate process). Where an implementation differs from S3 the test says so and
 * checks what that implementation does instead (see README, "Object stores tested").
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class S3ObjectStoreContract {
    private static final long MiB = 1024 * 1024;
    private static final long PART = 5 * MiB;

    private static final AtomicInteger BUCKETS = new AtomicInteger();

    private S3TestServer server;
    private S3Client raw;
    /** Why the server is not there (moto not installed): each test reports it as its skip reason. */
    private TestAbortedException unavailable;

    private String bucket;

    /** The implementation this subclass tests. */
    abstract S3Implementation implementation();

    @BeforeAll
    void startServer() throws Exception {
        try {
            server = implementation().start();
        } catch (TestAbortedException e) {
            // aborted here, surefire would show "Tests run: 0" without the reason
            unavailable = e;
            return;
        }
        raw = server.rawClient();
    }

    @AfterAll
    void stopServer() throws Exception {
        if (raw != null) {
            raw.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void createBucket(TestInfo info) {
        if (unavailable != null) {
            throw unavailable;
        }
        String name = info.getTestMethod().orElseThrow().getName().toLowerCase().replaceAll("[^a-z0-9]", "");
        bucket = "b" + BUCKETS.incrementAndGet() + "-" + name.substring(0, Math.min(40, name.length()));
        server.createBucket(bucket);
    }

    /** Part retries pause 20 ms (not 1 s) first, so fault tests take seconds. */
    static final Duration FAST_RETRIES = Duration.ofMillis(20);

    private S3ObjectStore store() {
        return S3ObjectStore.open(server.config(bucket).prefix("exports/").build());
    }

    private S3ObjectStore store(StoreConfig config, Consumer<ClientOverrideConfiguration.Builder> overrides) {
        return S3ObjectStore.open(config, server.client(config, overrides), FAST_RETRIES);
    }

    private static UploadOptions options() {
        return UploadOptions.defaults().withPartSize(PART).withParallelism(4);
    }

    // ---- uploads ----

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(longs = {0, 1, 5 * 1024 * 1024, 23 * 1024 * 1024 + 12345})
    void uploadOfUnknownLengthStoresExactBytesAndChecksum(long size) throws Exception {
        String key = "exports/ns/lxd/default/web1/" + size + ".tar.zst";
        try (S3ObjectStore store = store()) {
            long t0 = System.nanoTime();
            UploadResult r =
                    store.upload(key, new TestData(size, size), -1, options().withMetadata(Map.of("instance", "web1")));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.out.printf("upload of %d bytes in %d parts took %d ms%n", size, r.parts(), ms);

            String expected = TestData.sha256(size, size);
            assertThat(r.key()).isEqualTo(key);
            assertThat(r.size()).isEqualTo(size);
            assertThat(r.sha256()).isEqualTo(expected);
            assertThat(r.etag()).isNotBlank();
            assertThat(r.parts()).isEqualTo(size < PART ? 1 : (int) ((size + PART - 1) / PART));
            boolean single = size < PART;
            // verified by ETag: MD5 of the body, or of the parts' MD5s with the part count
            assertThat(r.etag()).isEqualTo(expectedEtag(size, size, PART));
            assertThat(r.etag()).matches(single ? "[0-9a-f]{32}" : "[0-9a-f]{32}-" + r.parts());
            assertThat(r.verification()).isEqualTo(UploadResult.Verification.SIZE_AND_MD5_ETAG);

            ObjectInfo head = store.head(key).orElseThrow();
            assertThat(head.size()).isEqualTo(size);
            assertThat(head.etag()).isEqualTo(r.etag());
            // the SHA-256 is metadata only where it was known before the request: a single PUT
            assertThat(head.sha256()).isEqualTo(single ? expected : null);

            // independent of the store: raw GET, raw metadata
            var got = raw.getObject(b -> b.bucket(bucket).key(key));
            assertThat(TestData.sha256(got)).isEqualTo(expected);
            assertThat(got.response().contentLength()).isEqualTo(size);
            assertThat(got.response().metadata()).containsEntry("instance", "web1");
            if (single) {
                assertThat(got.response().metadata()).containsEntry("sha256", expected);
            } else {
                assertThat(got.response().metadata()).doesNotContainKey("sha256");
            }
            got.close();

            try (InputStream in = store.downloadVerified(key, expected, size)) {
                in.transferTo(OutputStreamSink.INSTANCE);
            }
            assertThat(raw.listMultipartUploads(b -> b.bucket(bucket)).uploads())
                    .isEmpty();
            assertThat(raw.listObjectsV2(b -> b.bucket(bucket)).contents())
                    .extracting(o -> o.key())
                    .containsExactly(key);
        }
    }

    @Test
    void multipartGoesToTheKeyAndIsInvisibleUntilCompleted() throws Exception {
        long size = 17 * MiB + 3;
        String key = "exports/big.tar";
        List<String> seenBeforeComplete = new CopyOnWriteArrayList<>();
        Map<Integer, String> payloadHashes = new java.util.concurrent.ConcurrentHashMap<>();
        ExecutionInterceptor probe = new ExecutionInterceptor() {
            @Override
            public void beforeTransmission(Context.BeforeTransmission ctx, ExecutionAttributes attrs) {
                if (ctx.request() instanceof UploadPartRequest p) {
                    payloadHashes.put(
                            p.partNumber(),
                            ctx.httpRequest()
                                    .firstMatchingHeader("x-amz-content-sha256")
                                    .orElse("none"));
                }
                if (ctx.request() instanceof CompleteMultipartUploadRequest) {
                    // the last moment before completion: all parts are stored, nothing is visible
                    raw.listObjectsV2(b -> b.bucket(bucket)).contents().forEach(o -> seenBeforeComplete.add(o.key()));
                    try {
                        raw.headObject(b -> b.bucket(bucket).key(key));
                        seenBeforeComplete.add("head:" + key);
                    } catch (NoSuchKeyException e) {
                        // expected
                    } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
                        if (e.statusCode() != 404) {
                            throw e;
                        }
                    }
                    assertThat(raw.listMultipartUploads(b -> b.bucket(bucket)).uploads())
                            .extracting(MultipartUpload::key)
                            .containsExactly(key);
                }
            }
        };
        StoreConfig config = server.config(bucket).build();
        try (S3ObjectStore store = store(config, o -> o.addExecutionInterceptor(probe))) {
            UploadResult r = store.upload(key, new TestData(7, size), size, options());
            assertThat(r.parts()).isEqualTo(4);
            assertThat(seenBeforeComplete).isEmpty();
            // every part was signed with its own SHA-256 (not UNSIGNED-PAYLOAD, not aws-chunked),
            // which the store checks on arrival
            assertThat(payloadHashes).isEqualTo(partSha256s(7, size, PART));
            assertThat(r.etag()).isEqualTo(expectedEtag(7, size, PART));
            assertThat(TestData.sha256(store.download(key)))
                    .isEqualTo(TestData.sha256(7, size))
                    .isEqualTo(r.sha256());
            assertThat(raw.listObjectsV2(b -> b.bucket(bucket)).contents())
                    .extracting(o -> o.key())
                    .containsExactly(key);
        }
    }

    @Test
    void readsAheadAtMostParallelismPlusOneParts() throws Exception {
        int parallelism = 3;
        AtomicLong uploaded = new AtomicLong();
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger maxInFlight = new AtomicInteger();
        ExecutionInterceptor slowParts = new ExecutionInterceptor() {
            @Override
            public void beforeExecution(Context.BeforeExecution ctx, ExecutionAttributes attrs) {
                if (ctx.request() instanceof UploadPartRequest) {
                    maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                }
            }

            @Override
            public void beforeTransmission(Context.BeforeTransmission ctx, ExecutionAttributes attrs) {
                if (ctx.request() instanceof UploadPartRequest) {
                    sleep(150); // a slow store, so that a fast source would race ahead if it could
                }
            }

            @Override
            public void afterExecution(Context.AfterExecution ctx, ExecutionAttributes attrs) {
                if (ctx.request() instanceof UploadPartRequest p) {
                    uploaded.addAndGet(p.contentLength());
                    inFlight.decrementAndGet();
                }
            }
        };
        StoreConfig config = server.config(bucket).build();
        long size = 40 * MiB + 17;
        try (S3ObjectStore store = store(config, o -> o.addExecutionInterceptor(slowParts))) {
            TestData.ReadAhead source = new TestData.ReadAhead(new TestData(3, size), uploaded::get);
            UploadResult r = store.upload("k", source, -1, options().withParallelism(parallelism));
            assertThat(r.sha256()).isEqualTo(TestData.sha256(3, size));
            System.out.printf(
                    "max read-ahead %d bytes (bound %d), max parts in flight %d%n",
                    source.maxAhead(), (parallelism + 1) * PART, maxInFlight.get());
            assertThat(source.maxAhead()).isLessThanOrEqualTo((parallelism + 1) * PART);
            // the bound was actually approached, and parts really went in parallel
            assertThat(source.maxAhead()).isGreaterThan(parallelism * PART);
            assertThat(maxInFlight.get()).isEqualTo(parallelism);
        }
    }

    @Test
    void bufferPoolNeverHandsOutMoreThanItsCapacity() throws Exception {
        BufferPool pool = new BufferPool(16, 3);
        byte[] a = pool.acquire();
        byte[] b = pool.acquire();
        byte[] c = pool.acquire();
        AtomicBoolean fourth = new AtomicBoolean();
        Thread t = new Thread(() -> {
            try {
                pool.release(pool.acquire());
                fourth.set(true);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        t.join(200);
        assertThat(fourth).isFalse();
        pool.release(b);
        t.join(2000);
        assertThat(fourth).isTrue();
        pool.release(a);
        pool.release(c);
        assertThat(pool.peakInUse()).isEqualTo(3);
        assertThat(pool.allocated()).isEqualTo(3);
    }

    @Test
    void sourceFailureMidUploadAbortsAndLeavesNothing() {
        String key = "exports/broken.tar.gz";
        try (S3ObjectStore store = store()) {
            IOException e = catchThrowableOfType(
                    IOException.class, () -> store.upload(key, new TestData(5, 30 * MiB, 12 * MiB), -1, options()));
            assertThat(e).hasMessageContaining("injected");
            assertNothingAt(store, key);
        }
    }

    @Test
    void sourceShorterThanDeclaredIsRefused() {
        String key = "exports/short.tar";
        try (S3ObjectStore store = store()) {
            assertThatThrownBy(() -> store.upload(key, new TestData(5, 11 * MiB), 12 * MiB, options()))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("expected");
            assertThatThrownBy(() -> store.upload(key, new TestData(5, 100), 99, options()))
                    .isInstanceOf(IOException.class);
            assertNothingAt(store, key);
        }
    }

    @Test
    void transientPartFailureIsRetriedAndTheUploadCompletes() throws Exception {
        AtomicBoolean injected = new AtomicBoolean();
        List<Integer> partAttempts = new CopyOnWriteArrayList<>();
        ExecutionInterceptor failSecondPartOnce = new ExecutionInterceptor() {
            @Override
            public void beforeExecution(Context.BeforeExecution ctx, ExecutionAttributes attrs) {
                if (ctx.request() instanceof UploadPartRequest p) {
                    partAttempts.add(p.partNumber());
                    if (p.partNumber() == 2 && injected.compareAndSet(false, true)) {
                        throw SdkClientException.create(
                                "injected: connection reset", new IOException("Connection reset (injected)"));
                    }
                }
            }
        };
        StoreConfig config = server.config(bucket).build();
        long size = 16 * MiB + 1;
        try (S3ObjectStore store = store(config, o -> o.addExecutionInterceptor(failSecondPartOnce))) {
            UploadResult r = store.upload("exports/retried.tar", new TestData(11, size), -1, options());
            assertThat(injected).isTrue();
            assertThat(partAttempts).filteredOn(n -> n == 2).hasSize(2);
            assertThat(r.sha256()).isEqualTo(TestData.sha256(11, size));
            assertThat(TestData.sha256(store.download("exports/retried.tar"))).isEqualTo(r.sha256());
        }
    }

    @Test
    void permanentPartFailureAbortsTheUpload() {
        ExecutionInterceptor rejectThirdPart = new ExecutionInterceptor() {
            @Override
            public void beforeExecution(Context.BeforeExecution ctx, ExecutionAttributes attrs) {
                if (ctx.request() instanceof UploadPartRequest p && p.partNumber() == 3) {
                    throw software.amazon.awssdk.services.s3.model.S3Exception.builder()
                            .statusCode(403)
                            .awsErrorDetails(software.amazon.awssdk.awscore.exception.AwsErrorDetails.builder()
                                    .errorCode("AccessDenied")
                                    .errorMessage("Access Denied (injected)")
                                    .build())
                            .build();
                }
            }
        };
        StoreConfig config = server.config(bucket).build();
        String key = "exports/denied.tar";
        try (S3ObjectStore store = store(config, o -> o.addExecutionInterceptor(rejectThirdPart))) {
            StoreException e = catchThrowableOfType(
                    StoreException.class, () -> store.upload(key, new TestData(1, 30 * MiB), -1, options()));
            assertThat(e.reason()).isEqualTo(StoreException.Reason.ACCESS_DENIED);
            assertThat(e.conditionReason()).isEqualTo("AccessDenied");
            assertNothingAt(store, key);
        }
    }

    @Test
    void abortStaleUploadsAbortsOnlyThatKeysUploads() throws Exception {
        String key = "exports/ns/r/p/web1/crashed.tar.zst";
        CreateMultipartUploadResponse stale =
                raw.createMultipartUpload(b -> b.bucket(bucket).key(key));
        raw.uploadPart(
                b -> b.bucket(bucket).key(key).uploadId(stale.uploadId()).partNumber(1),
                RequestBody.fromBytes(new byte[(int) PART]));
        raw.createMultipartUpload(b -> b.bucket(bucket).key(key));
        raw.createMultipartUpload(b -> b.bucket(bucket).key(key + "-other"));
        try (S3ObjectStore store = store()) {
            assertThat(store.abortStaleUploads(key)).isEqualTo(2);
            assertThat(raw.listMultipartUploads(b -> b.bucket(bucket)).uploads())
                    .extracting(MultipartUpload::key)
                    .containsExactly(key + "-other");
            assertThat(store.abortStaleUploads(key)).isZero();
        }
    }

    @Test
    void abortStaleUploadsTakesAnUploadAbortedMeanwhileAsGone() {
        String key = "exports/ns/r/p/web1/raced.tar.zst";
        raw.createMultipartUpload(b -> b.bucket(bucket).key(key));
        raw.createMultipartUpload(b -> b.bucket(bucket).key(key));
        // someone else (a replica, a lifecycle rule) aborts the first one between the listing and
        // the store's own abort: S3 then answers NoSuchUpload (404)
        AtomicBoolean once = new AtomicBoolean();
        List<String> codes = new CopyOnWriteArrayList<>();
        ExecutionInterceptor abortFirst = new ExecutionInterceptor() {
            @Override
            public void beforeExecution(Context.BeforeExecution ctx, ExecutionAttributes attrs) {
                if (ctx.request() instanceof AbortMultipartUploadRequest a && once.compareAndSet(false, true)) {
                    raw.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(a.uploadId()));
                }
            }

            @Override
            public void onExecutionFailure(Context.FailedExecution ctx, ExecutionAttributes attrs) {
                if (ctx.exception() instanceof S3Exception e && e.awsErrorDetails() != null) {
                    codes.add(e.statusCode() + " " + e.awsErrorDetails().errorCode());
                }
            }
        };
        try (S3ObjectStore store = store(server.config(bucket).build(), o -> o.addExecutionInterceptor(abortFirst))) {
            assertThat(store.abortStaleUploads(key)).isEqualTo(1);
        }
        // the race did happen: the store's abort of the first upload was refused
        assertThat(codes).containsExactly("404 NoSuchUpload");
        assertThat(raw.listMultipartUploads(b -> b.bucket(bucket)).uploads()).isEmpty();
    }

    @Test
    void progressIsReportedUpToTheFinalSize() throws Exception {
        List<Long> seen = new CopyOnWriteArrayList<>();
        long size = 21 * MiB;
        try (S3ObjectStore store = store()) {
            store.upload("exports/p.tar", new TestData(2, size), -1, options().withProgress(seen::add, Duration.ZERO));
        }
        assertThat(seen).isSortedAccordingTo(Long::compare).last().isEqualTo(size);
        assertThat(seen.size()).isBetween(2, 5);
    }

    @Test
    void writeOptionsAreSentWithEveryWrite() throws Exception {
        List<SdkHttpRequest> sent = new CopyOnWriteArrayList<>();
        ExecutionInterceptor capture = new ExecutionInterceptor() {
            @Override
            public void beforeTransmission(Context.BeforeTransmission ctx, ExecutionAttributes attrs) {
                if (ctx.request() instanceof PutObjectRequest) {
                    sent.add(ctx.httpRequest());
                    // s3proxy has no SSE or object lock: stop here, the headers are what is tested
                    throw SdkClientException.create("captured");
                }
            }
        };
        StoreConfig config = server.config(bucket)
                .storageClass("STANDARD_IA")
                .encryption(new StoreConfig.Encryption(StoreConfig.SseType.AWS_KMS, "key-1"))
                .objectLock(new StoreConfig.ObjectLock(StoreConfig.LockMode.COMPLIANCE, 30))
                .build();
        try (S3ObjectStore store = store(config, o -> o.addExecutionInterceptor(capture))) {
            assertThatThrownBy(() -> store.upload("k", new ByteArrayInputStream(new byte[10]), 10, options()))
                    .isInstanceOf(StoreException.class);
            assertThatThrownBy(
                            () -> store.putSmall("k.json", "{}".getBytes(StandardCharsets.UTF_8), "application/json"))
                    .isInstanceOf(StoreException.class);
        }
        assertThat(sent).hasSize(2);
        SdkHttpRequest data = sent.get(0);
        assertThat(data.firstMatchingHeader("x-amz-storage-class")).contains("STANDARD_IA");
        assertThat(data.firstMatchingHeader("x-amz-server-side-encryption")).contains("aws:kms");
        assertThat(data.firstMatchingHeader("x-amz-server-side-encryption-aws-kms-key-id"))
                .contains("key-1");
        assertThat(data.firstMatchingHeader("x-amz-object-lock-mode")).contains("COMPLIANCE");
        Instant until = Instant.parse(
                data.firstMatchingHeader("x-amz-object-lock-retain-until-date").orElseThrow());
        assertThat(until)
                .isBetween(
                        Instant.now().plus(29, ChronoUnit.DAYS), Instant.now().plus(31, ChronoUnit.DAYS));
        assertThat(data.headers().keySet())
                .anyMatch(h -> h.toLowerCase().startsWith("x-amz-checksum-")
                        || h.equalsIgnoreCase("x-amz-trailer")
                        || h.equalsIgnoreCase("x-amz-sdk-checksum-algorithm"));
        SdkHttpRequest manifest = sent.get(1);
        assertThat(manifest.firstMatchingHeader("x-amz-storage-class")).isEmpty();
        assertThat(manifest.firstMatchingHeader("x-amz-object-lock-mode")).contains("COMPLIANCE");
    }

    @Test
    void multipartWriteOptionsGoOnTheUpload() throws Exception {
        Map<String, SdkHttpRequest> sent = new java.util.concurrent.ConcurrentHashMap<>();
        ExecutionInterceptor capture = new ExecutionInterceptor() {
            @Override
            public void beforeTransmission(Context.BeforeTransmission ctx, ExecutionAttributes attrs) {
                if (ctx.request() instanceof CreateMultipartUploadRequest) {
                    sent.put("create", ctx.httpRequest());
                    // s3proxy has no SSE, storage classes or object lock: the headers are what is tested
                    throw SdkClientException.create("captured");
                }
            }
        };
        StoreConfig config = server.config(bucket)
                .storageClass("GLACIER_IR")
                .encryption(new StoreConfig.Encryption(StoreConfig.SseType.AES256, null))
                .objectLock(new StoreConfig.ObjectLock(StoreConfig.LockMode.GOVERNANCE, 7))
                .build();
        long size = 6 * MiB;
        String key = "exports/locked.tar";
        try (S3ObjectStore store = store(config, o -> o.addExecutionInterceptor(capture))) {
            assertThatThrownBy(() -> store.upload(key, new TestData(9, size), -1, options()))
                    .isInstanceOf(StoreException.class)
                    .hasMessageContaining("start multipart upload");
            assertNothingAt(store, key);
        }
        SdkHttpRequest create = sent.get("create");
        assertThat(create.encodedPath()).endsWith(key);
        assertThat(create.firstMatchingHeader("x-amz-meta-sha256")).isEmpty();
        assertThat(create.firstMatchingHeader("x-amz-storage-class")).contains("GLACIER_IR");
        assertThat(create.firstMatchingHeader("x-amz-server-side-encryption")).contains("AES256");
        assertThat(create.firstMatchingHeader("x-amz-object-lock-mode")).contains("GOVERNANCE");
        assertThat(create.firstMatchingHeader("x-amz-object-lock-retain-until-date"))
                .isPresent();
    }

    /** A transport that changes one byte of the body of chosen requests, after they were signed. */
    private static final class BitFlippingTransport implements SdkHttpClient {
        private final SdkHttpClient delegate;
        private final java.util.function.Predicate<SdkHttpRequest> corrupt;
        final AtomicInteger flipped = new AtomicInteger();

        BitFlippingTransport(SdkHttpClient delegate, java.util.function.Predicate<SdkHttpRequest> corrupt) {
            this.delegate = delegate;
            this.corrupt = corrupt;
        }

        @Override
        public ExecutableHttpRequest prepareRequest(HttpExecuteRequest r) {
            if (r.contentStreamProvider().isEmpty() || !corrupt.test(r.httpRequest())) {
                return delegate.prepareRequest(r);
            }
            flipped.incrementAndGet();
            ContentStreamProvider body = r.contentStreamProvider().get();
            ContentStreamProvider changed = () -> new java.io.FilterInputStream(body.newStream()) {
                private long pos;

                @Override
                public int read() throws IOException {
                    int b = super.read();
                    if (b >= 0 && pos++ == 1000) {
                        b ^= 0x01;
                    }
                    return b;
                }

                @Override
                public int read(byte[] buf, int off, int len) throws IOException {
                    int n = super.read(buf, off, len);
                    if (n > 0 && pos <= 1000 && pos + n > 1000) {
                        buf[off + (int) (1000 - pos)] ^= 0x01;
                    }
                    if (n > 0) {
                        pos += n;
                    }
                    return n;
                }
            };
            return delegate.prepareRequest(HttpExecuteRequest.builder()
                    .request(r.httpRequest())
                    .contentStreamProvider(changed)
                    .build());
        }

        @Override
        public void close() {
            delegate.close();
        }
    }

    private static boolean isPart(SdkHttpRequest r, int partNumber) {
        return r.rawQueryParameters().getOrDefault("partNumber", List.of()).contains(String.valueOf(partNumber));
    }

    @Test
    void partChangedOnTheWireIsRefusedByTheStoreAndSentAgain() throws Exception {
        long size = 17 * MiB + 3;
        String key = "exports/flip.tar";
        AtomicBoolean once = new AtomicBoolean();
        StoreConfig config = server.config(bucket).build();
        BitFlippingTransport[] transport = new BitFlippingTransport[1];
        S3Client client = S3ObjectStore.buildClient(
                config,
                o -> {},
                http -> transport[0] =
                        new BitFlippingTransport(http, r -> isPart(r, 2) && once.compareAndSet(false, true)));
        try (S3ObjectStore store = S3ObjectStore.open(config, client, FAST_RETRIES)) {
            UploadResult r = store.upload(key, new TestData(8, size), size, options());
            assertThat(transport[0].flipped).hasValue(1);
            if (!server.checksSignedPayload()) {
                assertChangedPartStoredButCaughtOnRead(store, key, r);
                return;
            }
            // the store refused the changed part (its SHA-256 did not match the signed one); the
            // retry sent the buffer again, and what is stored is exactly the source
            assertThat(r.verification()).isEqualTo(UploadResult.Verification.SIZE_AND_MD5_ETAG);
            assertThat(r.etag()).isEqualTo(expectedEtag(8, size, PART));
            assertThat(TestData.sha256(store.download(key)))
                    .isEqualTo(TestData.sha256(8, size))
                    .isEqualTo(r.sha256());
            assertThat(raw.listMultipartUploads(b -> b.bucket(bucket)).uploads())
                    .isEmpty();
        } finally {
            transport[0].close();
        }
    }

    @Test
    void partAlwaysChangedOnTheWireFailsTheUploadAndLeavesNothing() throws Exception {
        String key = "exports/flip-always.tar";
        StoreConfig config = server.config(bucket).build();
        BitFlippingTransport[] transport = new BitFlippingTransport[1];
        S3Client client = S3ObjectStore.buildClient(
                config, o -> {}, http -> transport[0] = new BitFlippingTransport(http, r -> isPart(r, 3)));
        try (S3ObjectStore store = S3ObjectStore.open(config, client, FAST_RETRIES)) {
            if (!server.checksSignedPayload()) {
                UploadResult r = store.upload(key, new TestData(9, 17 * MiB), 17 * MiB, options());
                assertThat(transport[0].flipped).hasValue(1);
                assertChangedPartStoredButCaughtOnRead(store, key, r);
                return;
            }
            StoreException e = catchThrowableOfType(
                    StoreException.class, () -> store.upload(key, new TestData(9, 17 * MiB), 17 * MiB, options()));
            assertThat(e.getMessage()).contains("upload part 3");
            assertThat(transport[0].flipped.get()).isEqualTo(1 + UploadOptions.DEFAULT_PART_RETRIES);
            assertNothingAt(store, key);
        } finally {
            transport[0].close();
        }
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(longs = {100, 7 * 1024 * 1024})
    void objectWhoseEtagDoesNotMatchWhatWasSentIsRemoved(long size) {
        // an MD5-form ETag that is not the MD5 of what was sent: the store holds other bytes
        ExecutionInterceptor wrongEtag = new ExecutionInterceptor() {
            @Override
            public SdkResponse modifyResponse(Context.ModifyResponse ctx, ExecutionAttributes attrs) {
                if (ctx.response() instanceof CompleteMultipartUploadResponse c) {
                    return c.toBuilder()
                            .eTag("\"0123456789abcdef0123456789abcdef-2\"")
                            .build();
                }
                if (ctx.response() instanceof PutObjectResponse p) {
                    return p.toBuilder()
                            .eTag("\"0123456789abcdef0123456789abcdef\"")
                            .build();
                }
                return ctx.response();
            }
        };
        StoreConfig config = server.config(bucket).build();
        try (S3ObjectStore store = store(config, o -> o.addExecutionInterceptor(wrongEtag))) {
            StoreException e = catchThrowableOfType(
                    StoreException.class, () -> store.upload("exports/e.tar", new TestData(4, size), -1, options()));
            assertThat(e.reason()).isEqualTo(StoreException.Reason.STORE_ERROR);
            assertThat(e.getMessage()).contains("ETag").contains("removed");
            assertNothingAt(store, "exports/e.tar");
        }
    }

    @Test
    void storesWithoutMd5EtagsAreVerifiedBySizeOnly() throws Exception {
        long size = 11 * MiB;
        // SSE-KMS configured: ETags are not MD5s, whatever they look like (s3proxy ignores SSE,
        // so the headers are dropped on the way)
        ExecutionInterceptor noSse = new ExecutionInterceptor() {
            @Override
            public SdkHttpRequest modifyHttpRequest(Context.ModifyHttpRequest ctx, ExecutionAttributes attrs) {
                return ctx.httpRequest().toBuilder()
                        .removeHeader("x-amz-server-side-encryption")
                        .removeHeader("x-amz-server-side-encryption-aws-kms-key-id")
                        .build();
            }
        };
        StoreConfig kms = server.config(bucket)
                .encryption(new StoreConfig.Encryption(StoreConfig.SseType.AWS_KMS, "key-1"))
                .build();
        try (S3ObjectStore store = store(kms, o -> o.addExecutionInterceptor(noSse))) {
            UploadResult r = store.upload("exports/kms.tar", new TestData(6, size), -1, options());
            assertThat(r.verification()).isEqualTo(UploadResult.Verification.SIZE_ONLY);
            assertThat(r.sha256()).isEqualTo(TestData.sha256(6, size));
        }
        // a store whose ETags are not of the MD5 form
        ExecutionInterceptor opaqueEtags = new ExecutionInterceptor() {
            @Override
            public SdkResponse modifyResponse(Context.ModifyResponse ctx, ExecutionAttributes attrs) {
                if (ctx.response() instanceof CompleteMultipartUploadResponse c) {
                    return c.toBuilder().eTag("\"opaque-etag\"").build();
                }
                if (ctx.response() instanceof HeadObjectResponse h) {
                    return h.toBuilder().eTag("\"opaque-etag\"").build();
                }
                return ctx.response();
            }
        };
        try (S3ObjectStore store = store(server.config(bucket).build(), o -> o.addExecutionInterceptor(opaqueEtags))) {
            UploadResult r = store.upload("exports/opaque.tar", new TestData(6, size), -1, options());
            assertThat(r.verification()).isEqualTo(UploadResult.Verification.SIZE_ONLY);
            assertThat(TestData.sha256(store.download("exports/opaque.tar"))).isEqualTo(r.sha256());
        }
    }

    @Test
    void objectThatFailsVerificationIsRemoved() {
        ExecutionInterceptor lyingHead = new ExecutionInterceptor() {
            @Override
            public SdkResponse modifyResponse(Context.ModifyResponse ctx, ExecutionAttributes attrs) {
                if (ctx.response() instanceof HeadObjectResponse h) {
                    return h.toBuilder().contentLength(h.contentLength() + 1).build();
                }
                return ctx.response();
            }
        };
        StoreConfig config = server.config(bucket).build();
        try (S3ObjectStore store = store(config, o -> o.addExecutionInterceptor(lyingHead))) {
            for (long size : new long[] {100, 7 * MiB}) {
                StoreException e = catchThrowableOfType(
                        StoreException.class,
                        () -> store.upload("exports/v.tar", new TestData(4, size), -1, options()));
                assertThat(e.reason()).isEqualTo(StoreException.Reason.STORE_ERROR);
                assertThat(e.getMessage()).contains("removed");
            }
        }
        assertThat(raw.listObjectsV2(b -> b.bucket(bucket)).contents()).isEmpty();
        assertThat(raw.listMultipartUploads(b -> b.bucket(bucket)).uploads()).isEmpty();
    }

    @Test
    void aNullVersionIdNamesTheObjectWithoutAVersion() throws Exception {
        // S3 answers "null" for the null version of a versioning-suspended bucket, moto also for an
        // unversioned one; the store checks (and removes) that object without naming a version,
        // which s3proxy (501) and moto (400) would refuse
        List<SdkHttpRequest> checks = new CopyOnWriteArrayList<>();
        AtomicBoolean lie = new AtomicBoolean();
        ExecutionInterceptor nullVersions = new ExecutionInterceptor() {
            @Override
            public void beforeTransmission(Context.BeforeTransmission ctx, ExecutionAttributes attrs) {
                if (ctx.request() instanceof HeadObjectRequest || ctx.request() instanceof DeleteObjectRequest) {
                    checks.add(ctx.httpRequest());
                }
            }

            @Override
            public SdkResponse modifyResponse(Context.ModifyResponse ctx, ExecutionAttributes attrs) {
                if (ctx.response() instanceof CompleteMultipartUploadResponse c) {
                    return c.toBuilder().versionId("null").build();
                }
                if (ctx.response() instanceof PutObjectResponse p) {
                    return p.toBuilder().versionId("null").build();
                }
                if (ctx.response() instanceof HeadObjectResponse h && lie.get()) {
                    return h.toBuilder().contentLength(h.contentLength() + 1).build();
                }
                return ctx.response();
            }
        };
        StoreConfig config = server.config(bucket).build();
        try (S3ObjectStore store = store(config, o -> o.addExecutionInterceptor(nullVersions))) {
            for (long size : new long[] {100, 7 * MiB}) {
                UploadResult r = store.upload("exports/n" + size + ".tar", new TestData(4, size), -1, options());
                assertThat(r.versionId()).isNull();
                assertThat(r.verification()).isEqualTo(UploadResult.Verification.SIZE_AND_MD5_ETAG);
            }
            // one that fails its check is removed, by the same key without a version
            lie.set(true);
            for (long size : new long[] {100, 7 * MiB}) {
                StoreException e = catchThrowableOfType(
                        StoreException.class,
                        () -> store.upload("exports/bad" + size + ".tar", new TestData(4, size), -1, options()));
                assertThat(e.getMessage()).contains("removed");
            }
        }
        assertThat(checks)
                .hasSizeGreaterThanOrEqualTo(6)
                .allSatisfy(h -> assertThat(h.rawQueryParameters()).doesNotContainKey("versionId"));
        assertThat(raw.listObjectsV2(b -> b.bucket(bucket)).contents())
                .extracting(o -> o.key())
                .containsExactly("exports/n100.tar", "exports/n7340032.tar");
    }

    // ---- small objects, listing, delete ----

    @Test
    void smallObjectsListAndDelete() {
        try (S3ObjectStore store = store()) {
            byte[] json = "{\"a\":1}".getBytes(StandardCharsets.UTF_8);
            store.putSmall("exports/a.json", json, "application/json");
            store.putSmall("exports/b/c.json", json, "application/json");
            store.putSmall("other/d.json", json, "application/json");
            assertThat(store.getSmall("exports/a.json")).isEqualTo(json);
            assertThat(store.head("exports/a.json").orElseThrow().sha256()).isEqualTo(Sha256.hex(json));
            assertThat(store.list("exports/"))
                    .extracting(ObjectInfo::key)
                    .containsExactly("exports/a.json", "exports/b/c.json");
            assertThat(store.list("exports/")).allSatisfy(o -> {
                assertThat(o.size()).isEqualTo(json.length);
                assertThat(o.lastModified()).isNotNull();
            });
            store.delete("exports/a.json");
            store.delete("exports/a.json"); // idempotent
            assertThat(store.head("exports/a.json")).isEmpty();
            StoreException missing = catchThrowableOfType(StoreException.class, () -> store.getSmall("exports/a.json"));
            assertThat(missing.reason()).isEqualTo(StoreException.Reason.OBJECT_NOT_FOUND);
        }
    }

    @Test
    void listPaginates() {
        try (S3ObjectStore store = store()) {
            // 1,000 keys is S3's page size; a few more force a second page
            List<String> keys = new ArrayList<>();
            for (int i = 0; i < 1003; i++) {
                String k = "exports/many/%04d".formatted(i);
                keys.add(k);
                raw.putObject(b -> b.bucket(bucket).key(k), RequestBody.empty());
            }
            assertThat(store.list("exports/many/")).extracting(ObjectInfo::key).containsExactlyElementsOf(keys);
        }
    }

    // ---- validate ----

    @Test
    void validateSucceedsAndLeavesNoProbe() {
        List<String> ops = new CopyOnWriteArrayList<>();
        StoreConfig config = server.config(bucket).prefix("exports").build();
        try (S3ObjectStore store = store(config, o -> o.addExecutionInterceptor(recorder(ops)))) {
            store.validate();
        }
        assertThat(ops).containsExactly("ListObjectsV2Request", "PutObjectRequest", "DeleteObjectRequest");
        assertThat(raw.listObjectsV2(b -> b.bucket(bucket)).contents()).isEmpty();
    }

    @Test
    void validateOfReadOnlyStoreWritesNothing() {
        List<String> ops = new CopyOnWriteArrayList<>();
        StoreConfig config = server.config(bucket).readOnly(true).build();
        try (S3ObjectStore store = store(config, o -> o.addExecutionInterceptor(recorder(ops)))) {
            store.validate();
            assertThat(ops).containsExactly("ListObjectsV2Request");
            StoreException e = catchThrowableOfType(
                    StoreException.class, () -> store.upload("k", new ByteArrayInputStream(new byte[1]), 1, options()));
            assertThat(e.reason()).isEqualTo(StoreException.Reason.READ_ONLY_VIOLATION);
            assertThat(catchThrowableOfType(StoreException.class, () -> store.delete("k"))
                            .conditionReason())
                    .isEqualTo("ReadOnlyViolation");
            assertThat(ops).containsExactly("ListObjectsV2Request");
        }
    }

    @Test
    void validateReportsMissingBucket() {
        try (S3ObjectStore store =
                S3ObjectStore.open(server.config("no-such-bucket-x").build())) {
            StoreException e = catchThrowableOfType(StoreException.class, store::validate);
            assertThat(e.reason()).isEqualTo(StoreException.Reason.BUCKET_NOT_FOUND);
            assertThat(e.getMessage()).contains("no-such-bucket-x");
            System.out.println("missing bucket: " + e.getMessage());
        }
    }

    @Test
    void validateReportsWrongSecretWithoutShowingIt() {
        String wrongSecret = "WrongSecret-0123456789abcdef";
        StoreConfig config = server.config(bucket)
                .credentials(server.identity(), wrongSecret, null)
                .build();
        try (S3ObjectStore store = S3ObjectStore.open(config)) {
            StoreException e = catchThrowableOfType(StoreException.class, store::validate);
            System.out.println("wrong secret: " + e.conditionReason() + ": " + e.getMessage());
            assertThat(e.reason()).isEqualTo(StoreException.Reason.INVALID_CREDENTIALS);
            assertThat(e.isTransient()).isFalse();
            assertThat(e.getMessage()).doesNotContain(wrongSecret).doesNotContain(server.credential());
            assertThat(config.toString()).doesNotContain(wrongSecret);
        }
        StoreConfig unknownKey =
                server.config(bucket).credentials("nobody", wrongSecret, null).build();
        try (S3ObjectStore store = S3ObjectStore.open(unknownKey)) {
            StoreException e = catchThrowableOfType(StoreException.class, store::validate);
            System.out.println("unknown access key: " + e.conditionReason() + ": " + e.getMessage());
            assertThat(e.reason()).isIn(StoreException.Reason.INVALID_CREDENTIALS, StoreException.Reason.ACCESS_DENIED);
            assertThat(e.getMessage()).doesNotContain(wrongSecret);
        }
    }

    @Test
    void aStoppedServerIsUnreachableAndServesAgainOnTheSamePort() throws Exception {
        byte[] json = "{\"a\":1}".getBytes(StandardCharsets.UTF_8);
        try (S3ObjectStore store = store()) {
            store.putSmall("exports/before.json", json, "application/json");
            server.stop();
            try {
                assertThat(server.running()).isFalse();
                StoreException e = catchThrowableOfType(StoreException.class, store::validate);
                assertThat(e.reason()).isEqualTo(StoreException.Reason.UNREACHABLE);
                assertThat(e.getMessage()).contains(server.endpoint().getAuthority());
            } finally {
                server.restart();
            }
            // the same endpoint and credentials work again, on the same bucket; moto keeps nothing else
            assertThat(server.running()).isTrue();
            store.validate();
            if (server.keepsObjectsAcrossRestart()) {
                assertThat(store.getSmall("exports/before.json")).isEqualTo(json);
            } else {
                assertThat(store.head("exports/before.json")).isEmpty();
            }
            store.putSmall("exports/after.json", json, "application/json");
            assertThat(store.getSmall("exports/after.json")).isEqualTo(json);
        }
    }

    @Test
    void validateReportsUnreachableEndpoint() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        StoreConfig config =
                server.config(bucket).endpoint("http://127.0.0.1:" + port).build();
        try (S3ObjectStore store = S3ObjectStore.open(config)) {
            long t0 = System.nanoTime();
            StoreException e = catchThrowableOfType(StoreException.class, store::validate);
            System.out.printf("unreachable after %d ms: %s%n", (System.nanoTime() - t0) / 1_000_000, e.getMessage());
            assertThat(e.reason()).isEqualTo(StoreException.Reason.UNREACHABLE);
            assertThat(e.isTransient()).isTrue();
            assertThat(e.getMessage()).contains("127.0.0.1:" + port).doesNotContain(server.credential());
        }
    }

    // ---- helpers ----

    /**
     * For a server that does not compare a body with its signed SHA-256 (moto; S3 refuses it with
     * XAmzContentSHA256Mismatch): the changed part was stored as it arrived, and its ETag is the
     * MD5 of what arrived, so the upload's ETag check agrees with the store. The SHA-256 the store
     * computed from the source, which the export's manifest records, is what catches it: a
     * verified download fails.
     */
    private void assertChangedPartStoredButCaughtOnRead(S3ObjectStore store, String key, UploadResult r)
            throws IOException {
        try (InputStream in = raw.getObject(b -> b.bucket(bucket).key(key))) {
            assertThat(TestData.sha256(in)).isNotEqualTo(r.sha256());
        }
        assertThatThrownBy(() -> {
                    try (InputStream in = store.downloadVerified(key, r.sha256(), r.size())) {
                        in.transferTo(OutputStreamSink.INSTANCE);
                    }
                })
                .isInstanceOf(ChecksumMismatchException.class);
    }

    private void assertNothingAt(S3ObjectStore store, String key) {
        assertThat(store.head(key)).isEmpty();
        assertThat(raw.listMultipartUploads(b -> b.bucket(bucket)).uploads()).isEmpty();
        assertThat(raw.listObjectsV2(b -> b.bucket(bucket)).contents()).isEmpty();
    }

    /** The SHA-256 (hex) of each part of TestData(seed, size) in parts of {@code part} bytes. */
    private static Map<Integer, String> partSha256s(long seed, long size, long part) throws IOException {
        Map<Integer, String> out = new java.util.HashMap<>();
        try (TestData in = new TestData(seed, size)) {
            for (int n = 1; (long) (n - 1) * part < size; n++) {
                out.put(n, TestData.sha256(new ByteArrayInputStream(in.readNBytes((int) part))));
            }
        }
        return out;
    }

    /** The ETag S3 gives TestData(seed, size) uploaded in parts of {@code part} bytes. */
    private static String expectedEtag(long seed, long size, long part) throws IOException {
        List<byte[]> md5s = new ArrayList<>();
        try (TestData in = new TestData(seed, size)) {
            do {
                byte[] chunk = in.readNBytes((int) part);
                md5s.add(Md5.of(chunk, 0, chunk.length));
            } while (md5s.size() * part < size);
        }
        return md5s.size() == 1 && size < part ? Md5.singleEtag(md5s.get(0)) : Md5.multipartEtag(md5s);
    }

    private static ExecutionInterceptor recorder(List<String> ops) {
        return new ExecutionInterceptor() {
            @Override
            public void beforeExecution(Context.BeforeExecution ctx, ExecutionAttributes attrs) {
                SdkRequest r = ctx.request();
                ops.add(r.getClass().getSimpleName());
            }
        };
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Discards bytes; used to drain a verifying stream to EOF. */
    private static final class OutputStreamSink extends java.io.OutputStream {
        static final OutputStreamSink INSTANCE = new OutputStreamSink();

        @Override
        public void write(int b) {}

        @Override
        public void write(byte[] b, int off, int len) {}
    }
}
