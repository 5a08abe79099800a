package io.lxdbackup.operator.store;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.spi.scheme.AuthSchemeOption;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.auth.scheme.S3AuthSchemeProvider;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@link ObjectStore} on the AWS SDK v2 synchronous client, for AWS S3 and S3-compatible
 * servers (MinIO, Ceph RGW, s3proxy, ...).
 *
 * <p>Uploads of unknown length go through a multipart upload straight to the key: S3 shows
 * nothing there until CompleteMultipartUpload, so the key appears complete or not at all, and a
 * failed upload is aborted. Inputs smaller than one part are a single PUT.
 *
 * <p>Verification needs no re-read. Every request body is signed with its SHA-256
 * (SigV4 signed payload, also over HTTPS, as one hash per part rather than aws-chunked
 * signatures): the store recomputes it and refuses a part that arrives different. The object's
 * ETag, from CompleteMultipartUpload and again from a HEAD, must then equal
 * {@code hex(md5(etag(part 1) || ... ))-<parts>} over the part ETags the store acknowledged, in
 * order: the object is exactly the parts that were checked on arrival. A single PUT also sends
 * its {@code Content-MD5} and its ETag must be the body's MD5. Where ETags are not MD5-based
 * (SSE-KMS; detected from the configuration or from the ETag's form) only the size is compared.
 * (Computing each part's MD5 here as well cost more CPU than the rest of the upload together,
 * and checks nothing the signed SHA-256 does not.)
 *
 * <p>The SHA-256 of the whole stream is computed on the way and returned. A single PUT also
 * stores it as {@code x-amz-meta-sha256}; a multipart upload cannot (S3 fixes metadata when the
 * upload starts, the SHA-256 is known after the last byte), so its record is the caller's
 * manifest.
 */
public final class S3ObjectStore implements ObjectStore {
    /** User metadata key holding the object's SHA-256 (hex); S3 shows it as {@code x-amz-meta-sha256}. */
    public static final String SHA256_METADATA = "sha256";

    static final int MAX_PARTS = 10_000;
    static final long MAX_SMALL_OBJECT = 8L * 1024 * 1024;
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(60);
    /** SDK attempts per request; our own part retries come on top of these. */
    static final int SDK_MAX_ATTEMPTS = 4;

    private static final Logger log = LoggerFactory.getLogger(S3ObjectStore.class);
    private static final AtomicInteger UPLOAD_THREADS = new AtomicInteger();

    private final StoreConfig config;
    private final S3Client s3;
    private final boolean ownsClient;
    /** First pause of the per-part retry backoff; it doubles with each attempt. */
    static final Duration RETRY_BASE_DELAY = Duration.ofSeconds(1);

    private final Duration retryBaseDelay;

    private S3ObjectStore(StoreConfig config, S3Client s3, boolean ownsClient, Duration retryBaseDelay) {
        this.config = Objects.requireNonNull(config, "config");
        this.s3 = Objects.requireNonNull(s3, "s3");
        this.ownsClient = ownsClient;
        this.retryBaseDelay = Objects.requireNonNull(retryBaseDelay, "retryBaseDelay");
    }

    /** A store with its own S3 client, closed by {@link #close()}. */
    public static S3ObjectStore open(StoreConfig config) {
        return new S3ObjectStore(config, buildClient(config, o -> {}), true, RETRY_BASE_DELAY);
    }

    /** A store on a client built with {@link #buildClient}; the store closes it. */
    public static S3ObjectStore open(StoreConfig config, S3Client client) {
        return new S3ObjectStore(config, client, true, RETRY_BASE_DELAY);
    }

    /** {@link #open(StoreConfig, S3Client)} whose part retries first pause {@code retryBaseDelay}. */
    static S3ObjectStore open(StoreConfig config, S3Client client, Duration retryBaseDelay) {
        return new S3ObjectStore(config, client, true, retryBaseDelay);
    }

    /**
     * The S3 client this store uses for {@code config}: path-style when asked, checksums only
     * where S3 requires them (S3-compatible servers reject the newer default trailers), bounded
     * timeouts and the SDK's standard retries.
     *
     * @param overrides extra client configuration, e.g. execution interceptors
     */
    public static S3Client buildClient(StoreConfig config, Consumer<ClientOverrideConfiguration.Builder> overrides) {
        return buildClient(config, overrides, null);
    }

    /**
     * As {@link #buildClient(StoreConfig, Consumer)}, with the HTTP transport wrapped by
     * {@code transport} (fault injection below the signer, e.g. bytes changed on the wire). The
     * wrapped client is not closed with the S3 client.
     */
    public static S3Client buildClient(
            StoreConfig config,
            Consumer<ClientOverrideConfiguration.Builder> overrides,
            java.util.function.UnaryOperator<software.amazon.awssdk.http.SdkHttpClient> transport) {
        Apache5HttpClient.Builder http = Apache5HttpClient.builder()
                .connectionTimeout(CONNECT_TIMEOUT)
                .socketTimeout(SOCKET_TIMEOUT)
                .connectionAcquisitionTimeout(SOCKET_TIMEOUT)
                .maxConnections(64)
                .tcpKeepAlive(true);
        if (config.caBundlePem() != null) {
            TrustManager[] trust = trustManagers(config.caBundlePem());
            http.tlsTrustManagersProvider(() -> trust);
        }
        S3ClientBuilder b = S3Client.builder()
                .region(Region.of(config.region()))
                .forcePathStyle(config.forcePathStyle())
                .credentialsProvider(credentialsProvider(config))
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .authSchemeProvider(signedPayloads(S3AuthSchemeProvider.defaultProvider()))
                .overrideConfiguration(o -> {
                    o.retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder()
                            .maxAttempts(SDK_MAX_ATTEMPTS)
                            .build());
                    overrides.accept(o);
                });
        if (transport == null) {
            b.httpClientBuilder(http);
        } else {
            b.httpClient(transport.apply(http.build()));
        }
        if (config.endpoint() != null) {
            b.endpointOverride(config.endpoint());
        }
        return b.build();
    }

    /**
     * Every request body signed with one SHA-256 (the store checks it on arrival), on HTTP and
     * HTTPS alike, and no aws-chunked encoding: one hash per part instead of one HMAC chain per
     * 128 KiB chunk, with its allocations, on both sides.
     */
    static S3AuthSchemeProvider signedPayloads(S3AuthSchemeProvider delegate) {
        return params -> {
            List<AuthSchemeOption> options = new ArrayList<>();
            for (AuthSchemeOption o : delegate.resolveAuthScheme(params)) {
                options.add(o.toBuilder()
                        .putSignerProperty(AwsV4FamilyHttpSigner.PAYLOAD_SIGNING_ENABLED, true)
                        .putSignerProperty(AwsV4FamilyHttpSigner.CHUNK_ENCODING_ENABLED, false)
                        .build());
            }
            return options;
        };
    }

    @Override
    public StoreConfig config() {
        return config;
    }

    @Override
    public void validate() {
        String prefix = config.prefix();
        call(
                "list s3://" + config.bucket() + "/" + prefix,
                false,
                () -> s3.listObjectsV2(
                        r -> r.bucket(config.bucket()).prefix(prefix).maxKeys(1)));
        if (config.readOnly()) {
            return;
        }
        String probe = prefix + ObjectKeys.PROBE_NAME_PREFIX + UUID.randomUUID();
        byte[] body = "lxd-backup-operator write probe\n".getBytes(StandardCharsets.UTF_8);
        // no retention on the probe: a locked probe could not be deleted again
        PutObjectRequest.Builder put =
                PutObjectRequest.builder().bucket(config.bucket()).key(probe).contentType("text/plain");
        applyEncryption(put);
        call(
                "write a probe object to s3://" + config.bucket() + "/" + prefix,
                false,
                () -> s3.putObject(put.build(), RequestBody.fromBytes(body)));
        call(
                "delete the probe object s3://" + config.bucket() + "/" + probe,
                false,
                () -> s3.deleteObject(r -> r.bucket(config.bucket()).key(probe)));
    }

    @Override
    public UploadResult upload(String key, InputStream data, long expectedSize, UploadOptions options)
            throws IOException {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(options, "options");
        requireWritable("upload", key);
        int partSize = effectivePartSize(options.partSize(), expectedSize);
        BufferPool pool = new BufferPool(partSize, options.parallelism() + 1);
        MessageDigest digest = Sha256.newDigest();
        byte[] first = acquire(pool);
        int n = readFully(data, first);
        digest.update(first, 0, n);
        if (n < partSize) {
            try {
                checkLength(expectedSize, n);
                return putSingle(
                        key, first, n, HexFormat.of().formatHex(digest.digest()), Md5.of(first, 0, n), options);
            } finally {
                pool.release(first);
            }
        }
        return new StreamingUpload(key, data, expectedSize, options, pool, partSize, digest).run(first);
    }

    @Override
    public int abortStaleUploads(String key) {
        requireWritable("abort uploads for", key);
        int aborted = 0;
        String keyMarker = null;
        String uploadIdMarker = null;
        do {
            String km = keyMarker;
            String um = uploadIdMarker;
            ListMultipartUploadsResponse page = call(
                    "list multipart uploads for " + url(key),
                    false,
                    () -> s3.listMultipartUploads(r ->
                            r.bucket(config.bucket()).prefix(key).keyMarker(km).uploadIdMarker(um)));
            for (MultipartUpload u : page.uploads()) {
                // the prefix also matches longer keys (web1.tar.gz vs web1.tar.gz2): only ours go
                if (u.key().equals(key) && abortListed(u)) {
                    aborted++;
                }
            }
            keyMarker = Boolean.TRUE.equals(page.isTruncated()) ? page.nextKeyMarker() : null;
            uploadIdMarker = Boolean.TRUE.equals(page.isTruncated()) ? page.nextUploadIdMarker() : null;
        } while (keyMarker != null);
        return aborted;
    }

    @Override
    public boolean hasUnfinishedUploads(String key) {
        String keyMarker = null;
        String uploadIdMarker = null;
        do {
            String km = keyMarker;
            String um = uploadIdMarker;
            ListMultipartUploadsResponse page = call(
                    "list multipart uploads for " + url(key),
                    false,
                    () -> s3.listMultipartUploads(r ->
                            r.bucket(config.bucket()).prefix(key).keyMarker(km).uploadIdMarker(um)));
            if (page.uploads().stream().anyMatch(u -> u.key().equals(key))) {
                return true;
            }
            keyMarker = Boolean.TRUE.equals(page.isTruncated()) ? page.nextKeyMarker() : null;
            uploadIdMarker = Boolean.TRUE.equals(page.isTruncated()) ? page.nextUploadIdMarker() : null;
        } while (keyMarker != null);
        return false;
    }

    /**
     * Aborts one listed upload; false when it was gone by then (aborted by someone else, or
     * completed, between the listing and the abort): S3 then answers NoSuchUpload (404).
     */
    private boolean abortListed(MultipartUpload u) {
        String action = "abort multipart upload of " + url(u.key());
        try {
            s3.abortMultipartUpload(r -> r.bucket(config.bucket()).key(u.key()).uploadId(u.uploadId()));
            return true;
        } catch (S3Exception e) {
            // NoSuchUpload, or a bare 404 (some stores answer a HEAD-style 404 without an error code):
            // either way the upload is gone, which is what the abort wanted
            if (isGone(e)) {
                log.debug("{}: upload {} was gone already", action, u.uploadId());
                return false;
            }
            throw StoreErrors.map(e, config, action, true);
        } catch (SdkException e) {
            throw StoreErrors.map(e, config, action, true);
        }
    }

    @Override
    public InputStream download(String key) {
        return call(
                "download " + url(key),
                true,
                () -> s3.getObject(r -> r.bucket(config.bucket()).key(key)));
    }

    @Override
    public Optional<ObjectInfo> head(String key) {
        try {
            HeadObjectResponse h = s3.headObject(r -> r.bucket(config.bucket()).key(key));
            return Optional.of(info(key, h));
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw StoreErrors.map(e, config, "read " + url(key), true);
        } catch (SdkException e) {
            throw StoreErrors.map(e, config, "read " + url(key), true);
        }
    }

    @Override
    public void delete(String key) {
        requireWritable("delete", key);
        try {
            s3.deleteObject(r -> r.bucket(config.bucket()).key(key));
        } catch (S3Exception e) {
            // S3 answers 204 for a missing key; stores that answer 404 mean the same: nothing to delete
            if (e.statusCode() != 404 || "NoSuchBucket".equals(errorCode(e))) {
                throw StoreErrors.map(e, config, "delete " + url(key), true);
            }
        } catch (SdkException e) {
            throw StoreErrors.map(e, config, "delete " + url(key), true);
        }
    }

    /** A 404 about the object or upload itself (not about the bucket): the thing is gone. */
    static boolean isGone(S3Exception e) {
        String code = errorCode(e);
        return "NoSuchUpload".equals(code) || (e.statusCode() == 404 && !"NoSuchBucket".equals(code));
    }

    private static String errorCode(S3Exception e) {
        return e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
    }

    @Override
    public List<ObjectInfo> list(String prefix) {
        String p = prefix == null ? "" : prefix;
        return call("list " + url(p), false, () -> {
            List<ObjectInfo> out = new ArrayList<>();
            for (S3Object o : s3.listObjectsV2Paginator(
                            r -> r.bucket(config.bucket()).prefix(p))
                    .contents()) {
                out.add(new ObjectInfo(o.key(), o.size(), null, o.lastModified(), unquote(o.eTag())));
            }
            return out;
        });
    }

    @Override
    public void putSmall(String key, byte[] body, String contentType) {
        requireWritable("write", key);
        Map<String, String> metadata = Map.of(SHA256_METADATA, Sha256.hex(body));
        // manifests keep the default storage class: listing backups must never need a restore
        PutObjectRequest.Builder put = PutObjectRequest.builder()
                .bucket(config.bucket())
                .key(key)
                .contentType(contentType)
                .metadata(metadata);
        applyEncryption(put);
        applyRetention(put);
        call("write " + url(key), true, () -> s3.putObject(put.build(), RequestBody.fromBytes(body)));
    }

    @Override
    public byte[] getSmall(String key) {
        try (InputStream in = download(key)) {
            byte[] data = in.readNBytes((int) MAX_SMALL_OBJECT + 1);
            if (data.length > MAX_SMALL_OBJECT) {
                throw new StoreException(
                        StoreException.Reason.STORE_ERROR,
                        url(key) + " is larger than " + MAX_SMALL_OBJECT + " bytes; it is not a manifest",
                        null,
                        false);
            }
            return data;
        } catch (IOException e) {
            throw new StoreException(
                    StoreException.Reason.STORE_ERROR,
                    "cannot read " + url(key) + ": " + StoreErrors.sanitize(e.getMessage(), config),
                    e,
                    true);
        }
    }

    @Override
    public void close() {
        if (ownsClient) {
            s3.close();
        }
    }

    // ---- single PUT ----

    private UploadResult putSingle(String key, byte[] buf, int len, String sha256, byte[] md5, UploadOptions options) {
        PutObjectRequest.Builder put = PutObjectRequest.builder()
                .bucket(config.bucket())
                .key(key)
                .contentType(options.contentType())
                .contentLength((long) len)
                .contentMD5(Base64.getEncoder().encodeToString(md5))
                .metadata(withSha256(options.metadata(), sha256));
        if (config.storageClass() != null) {
            put.storageClass(config.storageClass());
        }
        applyEncryption(put);
        applyRetention(put);
        PutObjectRequest request = put.build();
        PutObjectResponse response = withRetries(
                "upload " + url(key),
                options.partRetries(),
                true,
                () -> s3.putObject(
                        request,
                        RequestBody.fromContentProvider(
                                () -> new ByteArrayInputStream(buf, 0, len), len, options.contentType())));
        String etag = unquote(response.eTag());
        String versionId = versionOf(response.versionId());
        UploadResult.Verification v = verify(key, versionId, len, Md5.singleEtag(md5), etag, false);
        reportFinal(options, len);
        return new UploadResult(key, len, sha256, etag, versionId, 1, v);
    }

    // ---- multipart ----

    /** State of one multipart upload; used once. */
    private final class StreamingUpload {
        private final String key;
        private final InputStream data;
        private final long expectedSize;
        private final UploadOptions options;
        private final BufferPool pool;
        private final int partSize;
        private final MessageDigest digest;
        private final AtomicReference<Throwable> partFailure = new AtomicReference<>();
        private final AtomicLong confirmed = new AtomicLong();
        private final Progress progress;
        private final ExecutorService workers;
        private final long started = System.nanoTime();
        private long bufferWaitNanos;

        StreamingUpload(
                String key,
                InputStream data,
                long expectedSize,
                UploadOptions options,
                BufferPool pool,
                int partSize,
                MessageDigest digest) {
            this.key = key;
            this.data = data;
            this.expectedSize = expectedSize;
            this.options = options;
            this.pool = pool;
            this.partSize = partSize;
            this.digest = digest;
            this.progress = new Progress(options.progress(), options.progressInterval());
            this.workers = Executors.newFixedThreadPool(options.parallelism(), r -> {
                Thread t = new Thread(r, "s3-upload-" + UPLOAD_THREADS.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
        }

        UploadResult run(byte[] first) throws IOException {
            // everything the object carries is fixed here; nothing is visible at key before completion
            CreateMultipartUploadRequest.Builder create = CreateMultipartUploadRequest.builder()
                    .bucket(config.bucket())
                    .key(key)
                    .contentType(options.contentType())
                    .metadata(options.metadata());
            if (config.storageClass() != null) {
                create.storageClass(config.storageClass());
            }
            applyEncryption(create);
            if (config.objectLock() != null) {
                create.objectLockMode(config.objectLock().mode().name());
                create.objectLockRetainUntilDate(retainUntil());
            }
            String uploadId;
            try {
                uploadId = call(
                                "start multipart upload of " + url(key),
                                true,
                                () -> s3.createMultipartUpload(create.build()))
                        .uploadId();
            } catch (RuntimeException e) {
                pool.release(first);
                workers.shutdownNow();
                throw e;
            }
            boolean completed = false;
            try {
                long total = first.length;
                List<Future<CompletedPart>> parts = new ArrayList<>();
                parts.add(submit(uploadId, 1, first, first.length));
                while (partFailure.get() == null) {
                    long w = System.nanoTime();
                    byte[] buf = acquire(pool);
                    bufferWaitNanos += System.nanoTime() - w;
                    if (partFailure.get() != null) {
                        pool.release(buf);
                        break;
                    }
                    int n;
                    try {
                        n = readFully(data, buf);
                    } catch (IOException e) {
                        pool.release(buf);
                        throw e;
                    }
                    if (n == 0) {
                        pool.release(buf);
                        break;
                    }
                    digest.update(buf, 0, n);
                    total += n;
                    if (parts.size() >= MAX_PARTS) {
                        pool.release(buf);
                        throw new StoreException(
                                StoreException.Reason.STORE_ERROR,
                                "the object is larger than " + MAX_PARTS + " parts of " + partSize
                                        + " bytes; pass its size or use a larger part size",
                                null,
                                false);
                    }
                    parts.add(submit(uploadId, parts.size() + 1, buf, n));
                    if (n < partSize) {
                        break;
                    }
                }
                // submitted in part-number order, so collected in it
                List<CompletedPart> completedParts = new ArrayList<>(parts.size());
                for (Future<CompletedPart> f : parts) {
                    completedParts.add(await(f));
                }
                rethrowPartFailure();
                checkLength(expectedSize, total);
                // null where the store's part ETags are not MD5s (SSE-KMS): then the size is checked
                String expectedEtag = Md5.multipartEtagOfParts(
                        completedParts.stream().map(p -> unquote(p.eTag())).toList());
                long tComplete = System.nanoTime();
                CompleteMultipartUploadResponse complete = call(
                        "complete multipart upload of " + url(key),
                        true,
                        () -> s3.completeMultipartUpload(r -> r.bucket(config.bucket())
                                .key(key)
                                .uploadId(uploadId)
                                .multipartUpload(m -> m.parts(completedParts))));
                completed = true;
                String etag = unquote(complete.eTag());
                String versionId = versionOf(complete.versionId());
                long tVerify = System.nanoTime();
                UploadResult.Verification v = verify(key, versionId, total, expectedEtag, etag, true);
                String sha256 = HexFormat.of().formatHex(digest.digest());
                if (log.isDebugEnabled()) {
                    long end = System.nanoTime();
                    log.debug(
                            "{}: timing {} parts of {} bytes: stream {} ms (reader waited for a free buffer {} ms), "
                                    + "complete {} ms, verify {} ms",
                            url(key),
                            completedParts.size(),
                            partSize,
                            (tComplete - started) / 1_000_000,
                            bufferWaitNanos / 1_000_000,
                            (tVerify - tComplete) / 1_000_000,
                            (end - tVerify) / 1_000_000);
                }
                progress.report(total, true);
                return new UploadResult(key, total, sha256, etag, versionId, completedParts.size(), v);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("upload of " + url(key) + " interrupted");
            } finally {
                stopWorkers();
                if (!completed) {
                    abortQuietly(key, uploadId);
                }
            }
        }

        private Future<CompletedPart> submit(String uploadId, int partNumber, byte[] buf, int len) {
            return workers.submit(() -> {
                try {
                    // the SDK signs the part with its SHA-256 (see signedPayloads), on this worker thread,
                    // so several parts are hashed in parallel; the store refuses a part that differs
                    String etag = withRetries(
                                    "upload part " + partNumber + " of " + url(key),
                                    options.partRetries(),
                                    true,
                                    () -> s3.uploadPart(
                                            r -> r.bucket(config.bucket())
                                                    .key(key)
                                                    .uploadId(uploadId)
                                                    .partNumber(partNumber)
                                                    .contentLength((long) len),
                                            RequestBody.fromContentProvider(
                                                    () -> new ByteArrayInputStream(buf, 0, len),
                                                    len,
                                                    UploadOptions.DEFAULT_CONTENT_TYPE)))
                            .eTag();
                    progress.report(confirmed.addAndGet(len), false);
                    return CompletedPart.builder()
                            .partNumber(partNumber)
                            .eTag(etag)
                            .build();
                } catch (Throwable t) {
                    partFailure.compareAndSet(null, t);
                    throw t;
                } finally {
                    // frees the reader, which may be waiting for a buffer, also after a failure
                    pool.release(buf);
                }
            });
        }

        private CompletedPart await(Future<CompletedPart> f) throws InterruptedException {
            try {
                return f.get();
            } catch (ExecutionException e) {
                partFailure.compareAndSet(null, e.getCause());
                rethrowPartFailure();
                throw new IllegalStateException("unreachable");
            }
        }

        private void rethrowPartFailure() {
            Throwable t = partFailure.get();
            if (t instanceof RuntimeException re) {
                throw re;
            }
            if (t instanceof Error err) {
                throw err;
            }
            if (t != null) {
                throw new StoreException(StoreException.Reason.STORE_ERROR, "part upload failed: " + t, t);
            }
        }

        private void stopWorkers() {
            workers.shutdownNow();
            try {
                // parts still on the wire after an abort could be stored again; wait for them first,
                // but not for long: the upload is never completed, so nothing becomes visible, and
                // abortStaleUploads removes what an abort missed when the export resumes
                if (!workers.awaitTermination(30, TimeUnit.SECONDS)) {
                    log.warn("part uploads of {} did not stop within 30 seconds", url(key));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void abortQuietly(String key, String uploadId) {
        try {
            s3.abortMultipartUpload(r -> r.bucket(config.bucket())
                    .key(key)
                    .uploadId(uploadId)
                    .overrideConfiguration(o -> o.apiCallTimeout(java.time.Duration.ofSeconds(30))));
        } catch (S3Exception e) {
            if (!isGone(e)) {
                log.warn(
                        "could not abort multipart upload of {}; abortStaleUploads removes it later: {}",
                        url(key),
                        StoreErrors.map(e, config, "abort", true).getMessage());
            }
        } catch (SdkException e) {
            log.warn(
                    "could not abort multipart upload of {}; abortStaleUploads removes it later: {}",
                    url(key),
                    StoreErrors.map(e, config, "abort", true).getMessage());
        }
    }

    // ---- helpers ----

    /**
     * Confirms, without reading the object back, that what the store holds now is what was sent:
     * its size, and its ETag (as returned by the write and by a HEAD) against {@code expectedEtag}
     * (the body's MD5 for a single PUT; for a multipart upload computed from the part ETags the
     * store acknowledged after checking each part's signed SHA-256; null when those are not MD5s).
     * A mismatch is removed again, so that nothing wrong stays at {@code key}.
     */
    private UploadResult.Verification verify(
            String key, String versionId, long size, String expectedEtag, String writeEtag, boolean multipart) {
        HeadObjectResponse h = call(
                "verify " + url(key),
                true,
                () -> s3.headObject(r -> r.bucket(config.bucket()).key(key).versionId(versionId)));
        String headEtag = unquote(h.eTag());
        String problem = null;
        UploadResult.Verification v = UploadResult.Verification.SIZE_ONLY;
        if (h.contentLength() == null || h.contentLength() != size) {
            problem = h.contentLength() + " bytes";
        } else if (expectedEtag != null
                && etagsCanBeMd5()
                && Md5.isMd5Form(writeEtag, multipart)
                && Md5.isMd5Form(headEtag, multipart)) {
            if (expectedEtag.equalsIgnoreCase(writeEtag) && expectedEtag.equalsIgnoreCase(headEtag)) {
                v = UploadResult.Verification.SIZE_AND_MD5_ETAG;
            } else {
                problem = "ETag " + writeEtag + " (HEAD: " + headEtag + ")";
            }
        } else {
            // SSE-KMS (or SSE-C) ETags are not an MD5 of the data, and a few S3-compatible stores use
            // other ETags: there only the size can be checked without reading the object back; the
            // parts' Content-MD5 was still checked by the store on arrival
            log.debug("{}: ETag {} is not MD5-based; verified the size only", url(key), headEtag);
        }
        if (problem == null) {
            return v;
        }
        try {
            s3.deleteObject(r -> r.bucket(config.bucket()).key(key).versionId(versionId));
        } catch (SdkException e) {
            log.warn(
                    "could not remove unverified object {}: {}",
                    url(key),
                    StoreErrors.map(e, config, "delete", true).getMessage());
        }
        throw new StoreException(
                StoreException.Reason.STORE_ERROR,
                "the store held " + problem + " at " + url(key) + " after uploading " + size + " bytes with ETag "
                        + expectedEtag + "; the object was removed",
                null,
                true);
    }

    /** False where the configuration makes the store's ETags something other than MD5s. */
    private boolean etagsCanBeMd5() {
        return config.encryption() == null || config.encryption().type() != StoreConfig.SseType.AWS_KMS;
    }

    private <T> T withRetries(String action, int retries, boolean onObject, Supplier<T> request) {
        for (int attempt = 0; ; attempt++) {
            try {
                return request.get();
            } catch (SdkException e) {
                if (attempt >= retries
                        || !StoreErrors.isTransient(e)
                        || Thread.currentThread().isInterrupted()) {
                    throw StoreErrors.map(e, config, action, onObject);
                }
                long base = retryBaseDelay.toMillis() << Math.min(attempt, 4);
                long pause = base + ThreadLocalRandom.current().nextLong(base / 2 + 1);
                log.warn(
                        "{} failed ({}), retry {} of {} in {} ms",
                        action,
                        StoreErrors.map(e, config, action, onObject).getMessage(),
                        attempt + 1,
                        retries,
                        pause);
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw StoreErrors.map(e, config, action, onObject);
                }
            }
        }
    }

    private <T> T call(String action, boolean onObject, Supplier<T> request) {
        try {
            return request.get();
        } catch (SdkException e) {
            throw StoreErrors.map(e, config, action, onObject);
        }
    }

    private void requireWritable(String action, String key) {
        if (config.readOnly()) {
            throw new StoreException(
                    StoreException.Reason.READ_ONLY_VIOLATION,
                    "cannot " + action + " " + url(key) + ": the store is read-only");
        }
    }

    private void applyEncryption(PutObjectRequest.Builder b) {
        if (config.encryption() != null) {
            b.serverSideEncryption(config.encryption().type().wireValue());
            b.ssekmsKeyId(config.encryption().kmsKeyId());
        }
    }

    private void applyEncryption(CreateMultipartUploadRequest.Builder b) {
        if (config.encryption() != null) {
            b.serverSideEncryption(config.encryption().type().wireValue());
            b.ssekmsKeyId(config.encryption().kmsKeyId());
        }
    }

    private void applyRetention(PutObjectRequest.Builder b) {
        if (config.objectLock() != null) {
            b.objectLockMode(config.objectLock().mode().name());
            b.objectLockRetainUntilDate(retainUntil());
            // S3 refuses a PUT with retention unless the body carries a checksum
            b.checksumAlgorithm(ChecksumAlgorithm.SHA256);
        }
    }

    private Instant retainUntil() {
        return Instant.now()
                .plus(config.objectLock().retainDays(), ChronoUnit.DAYS)
                .truncatedTo(ChronoUnit.SECONDS);
    }

    private String url(String key) {
        return "s3://" + config.bucket() + "/" + key;
    }

    private static void reportFinal(UploadOptions options, long bytes) {
        new Progress(options.progress(), options.progressInterval()).report(bytes, true);
    }

    private static Map<String, String> withSha256(Map<String, String> metadata, String sha256) {
        Map<String, String> m = new HashMap<>(metadata);
        m.put(SHA256_METADATA, sha256);
        return m;
    }

    private static ObjectInfo info(String key, HeadObjectResponse h) {
        return new ObjectInfo(
                key,
                h.contentLength() == null ? -1 : h.contentLength(),
                h.metadata().get(SHA256_METADATA),
                h.lastModified(),
                unquote(h.eTag()),
                lowerCaseKeys(h.metadata()));
    }

    private static Map<String, String> lowerCaseKeys(Map<String, String> metadata) {
        Map<String, String> m = new HashMap<>();
        metadata.forEach((k, v) -> m.put(k.toLowerCase(java.util.Locale.ROOT), v));
        return m;
    }

    /**
     * The version a write made, or null where there is none to name. S3 answers "null" for the
     * null version of a versioning-suspended bucket, and some implementations (moto) also for an
     * unversioned one: that is the object at the key without a version id, and is addressed
     * without one, since not every implementation accepts {@code versionId=null} (moto answers
     * 400).
     */
    static String versionOf(String versionId) {
        return versionId == null || versionId.isEmpty() || "null".equals(versionId) ? null : versionId;
    }

    private static String unquote(String etag) {
        if (etag != null && etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"")) {
            return etag.substring(1, etag.length() - 1);
        }
        return etag;
    }

    static int effectivePartSize(long requested, long expectedSize) {
        long size = requested;
        if (expectedSize > size * MAX_PARTS) {
            long mib = 1024 * 1024;
            size = ((expectedSize + MAX_PARTS - 1) / MAX_PARTS + mib - 1) / mib * mib;
        }
        if (size > UploadOptions.MAX_PART_SIZE) {
            throw new IllegalArgumentException("an object of " + expectedSize + " bytes needs parts of " + size
                    + " bytes, more than the maximum " + UploadOptions.MAX_PART_SIZE);
        }
        return (int) size;
    }

    private static void checkLength(long expectedSize, long actual) throws IOException {
        if (expectedSize >= 0 && actual != expectedSize) {
            throw new IOException("the source delivered " + actual + " bytes but " + expectedSize
                    + " were expected; it was truncated or changed while reading");
        }
    }

    private static byte[] acquire(BufferPool pool) throws InterruptedIOException {
        try {
            return pool.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for an upload buffer");
        }
    }

    /** Fills {@code buf}; returns fewer bytes only at end of stream. */
    private static int readFully(InputStream in, byte[] buf) throws IOException {
        int n = 0;
        while (n < buf.length) {
            int r = in.read(buf, n, buf.length - n);
            if (r < 0) {
                break;
            }
            n += r;
        }
        return n;
    }

    private static AwsCredentialsProvider credentialsProvider(StoreConfig config) {
        StoreConfig.Credentials c = config.credentials();
        if (c == null) {
            return DefaultCredentialsProvider.builder().build();
        }
        return StaticCredentialsProvider.create(
                c.sessionToken() == null
                        ? AwsBasicCredentials.create(c.accessKeyId(), c.secretAccessKey())
                        : AwsSessionCredentials.create(c.accessKeyId(), c.secretAccessKey(), c.sessionToken()));
    }

    /** The JVM's default trust anchors plus those in {@code pem}. */
    static TrustManager[] trustManagers(String pem) {
        try {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            TrustManagerFactory defaults = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            defaults.init((KeyStore) null);
            int i = 0;
            for (TrustManager tm : defaults.getTrustManagers()) {
                if (tm instanceof X509TrustManager x) {
                    for (X509Certificate c : x.getAcceptedIssuers()) {
                        ks.setCertificateEntry("default-" + i++, c);
                    }
                }
            }
            var certs = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
            if (certs.isEmpty()) {
                throw new IllegalArgumentException("the CA bundle contains no PEM certificate");
            }
            for (var c : certs) {
                ks.setCertificateEntry("bundle-" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            return tmf.getTrustManagers();
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("the CA bundle is not valid PEM: " + e.getMessage(), e);
        }
    }

    /** Rate-limits progress callbacks; a failing callback never fails the upload. */
    private static final class Progress {
        private final LongConsumer sink;
        private final long intervalNanos;
        private long last = System.nanoTime();
        private long lastBytes = -1;

        Progress(LongConsumer sink, Duration interval) {
            this.sink = sink;
            this.intervalNanos = interval.toNanos();
        }

        synchronized void report(long bytes, boolean force) {
            if (sink == null || bytes <= lastBytes) {
                return;
            }
            long now = System.nanoTime();
            if (!force && now - last < intervalNanos) {
                return;
            }
            last = now;
            lastBytes = bytes;
            try {
                sink.accept(bytes);
            } catch (RuntimeException e) {
                log.warn("upload progress callback failed", e);
            }
        }
    }
}
