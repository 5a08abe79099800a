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
import java.util.Comparator;
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
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.CopyObjectResponse;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsResponse;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@link ObjectStore} on the AWS SDK v2 synchronous client, for AWS S3 and S3-compatible
 * servers (MinIO, Ceph RGW, s3proxy, ...).
 *
 * <p>Uploads of unknown length go through a multipart upload to a staging key
 * ({@code <key>.uploading}) and are then copied server-side to {@code key}: S3 fixes an object's
 * metadata when the upload starts, but the SHA-256 that goes into {@code x-amz-meta-sha256} is
 * only known after the last byte. The copy also means {@code key} appears at once, complete and
 * with its checksum, or not at all. Inputs smaller than one part are a single PUT.
 *
 * <p>The copy is server-side (no bytes pass through the operator) but costs the store a second
 * write; on a bucket whose default Object Lock retention also locks the staging version, that
 * version stays until its retention ends.
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
  // bigger objects are copied from staging in ranges: one CopyObject of several GiB can outlast
  // proxies' idle timeouts, and ranges copy in parallel
  private volatile long copyPartSize = 512L * 1024 * 1024;
  private volatile Duration retryBaseDelay = Duration.ofSeconds(1);

  private S3ObjectStore(StoreConfig config, S3Client s3, boolean ownsClient) {
    this.config = Objects.requireNonNull(config, "config");
    this.s3 = Objects.requireNonNull(s3, "s3");
    this.ownsClient = ownsClient;
  }

  /** A store with its own S3 client, closed by {@link #close()}. */
  public static S3ObjectStore open(StoreConfig config) {
    return new S3ObjectStore(config, buildClient(config, o -> {}), true);
  }

  /** A store on a client built with {@link #buildClient}; the store closes it. */
  public static S3ObjectStore open(StoreConfig config, S3Client client) {
    return new S3ObjectStore(config, client, true);
  }

  /**
   * The S3 client this store uses for {@code config}: path-style when asked, checksums only
   * where S3 requires them (S3-compatible servers reject the newer default trailers), bounded
   * timeouts and the SDK's standard retries.
   *
   * @param overrides extra client configuration, e.g. execution interceptors
   */
  public static S3Client buildClient(StoreConfig config, Consumer<ClientOverrideConfiguration.Builder> overrides) {
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
        .httpClientBuilder(http)
        .overrideConfiguration(o -> {
          o.retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder()
              .maxAttempts(SDK_MAX_ATTEMPTS).build());
          overrides.accept(o);
        });
    if (config.endpoint() != null) {
      b.endpointOverride(config.endpoint());
    }
    return b.build();
  }

  @Override
  public StoreConfig config() {
    return config;
  }

  @Override
  public void validate() {
    String prefix = config.prefix();
    call("list s3://" + config.bucket() + "/" + prefix, false,
        () -> s3.listObjectsV2(r -> r.bucket(config.bucket()).prefix(prefix).maxKeys(1)));
    if (config.readOnly()) {
      return;
    }
    String probe = prefix + ObjectKeys.PROBE_NAME_PREFIX + UUID.randomUUID();
    byte[] body = "lxd-backup-operator write probe\n".getBytes(StandardCharsets.UTF_8);
    // no retention on the probe: a locked probe could not be deleted again
    PutObjectRequest.Builder put = PutObjectRequest.builder().bucket(config.bucket()).key(probe)
        .contentType("text/plain");
    applyEncryption(put);
    call("write a probe object to s3://" + config.bucket() + "/" + prefix, false,
        () -> s3.putObject(put.build(), RequestBody.fromBytes(body)));
    call("delete the probe object s3://" + config.bucket() + "/" + probe, false,
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
        return putSingle(key, first, n, HexFormat.of().formatHex(digest.digest()), options);
      } finally {
        pool.release(first);
      }
    }
    return new StreamingUpload(key, data, expectedSize, options, pool, partSize, digest).run(first);
  }

  @Override
  public int abortStaleUploads(String key) {
    requireWritable("abort uploads for", key);
    String staging = ObjectKeys.uploadingKey(key);
    int aborted = 0;
    String keyMarker = null;
    String uploadIdMarker = null;
    do {
      String km = keyMarker;
      String um = uploadIdMarker;
      ListMultipartUploadsResponse page = call("list multipart uploads for " + url(key), false,
          () -> s3.listMultipartUploads(r -> r.bucket(config.bucket()).prefix(key)
              .keyMarker(km).uploadIdMarker(um)));
      for (MultipartUpload u : page.uploads()) {
        // the prefix also matches longer keys (web1.tar.gz vs web1.tar.gz2): only ours go
        if (u.key().equals(key) || u.key().equals(staging)) {
          call("abort multipart upload of " + url(u.key()), true,
              () -> s3.abortMultipartUpload(r -> r.bucket(config.bucket()).key(u.key()).uploadId(u.uploadId())));
          aborted++;
        }
      }
      keyMarker = Boolean.TRUE.equals(page.isTruncated()) ? page.nextKeyMarker() : null;
      uploadIdMarker = Boolean.TRUE.equals(page.isTruncated()) ? page.nextUploadIdMarker() : null;
    } while (keyMarker != null);
    if (head(staging).isPresent()) {
      delete(staging);
    }
    return aborted;
  }

  @Override
  public InputStream download(String key) {
    return call("download " + url(key), true,
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
    call("delete " + url(key), true, () -> s3.deleteObject(r -> r.bucket(config.bucket()).key(key)));
  }

  @Override
  public List<ObjectInfo> list(String prefix) {
    String p = prefix == null ? "" : prefix;
    return call("list " + url(p), false, () -> {
      List<ObjectInfo> out = new ArrayList<>();
      for (S3Object o : s3.listObjectsV2Paginator(r -> r.bucket(config.bucket()).prefix(p)).contents()) {
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
    PutObjectRequest.Builder put = PutObjectRequest.builder().bucket(config.bucket()).key(key)
        .contentType(contentType).metadata(metadata);
    applyEncryption(put);
    applyRetention(put);
    call("write " + url(key), true, () -> s3.putObject(put.build(), RequestBody.fromBytes(body)));
  }

  @Override
  public byte[] getSmall(String key) {
    try (InputStream in = download(key)) {
      byte[] data = in.readNBytes((int) MAX_SMALL_OBJECT + 1);
      if (data.length > MAX_SMALL_OBJECT) {
        throw new StoreException(StoreException.Reason.STORE_ERROR, url(key) + " is larger than "
            + MAX_SMALL_OBJECT + " bytes; it is not a manifest", null, false);
      }
      return data;
    } catch (IOException e) {
      throw new StoreException(StoreException.Reason.STORE_ERROR, "cannot read " + url(key) + ": "
          + StoreErrors.sanitize(e.getMessage(), config), e, true);
    }
  }

  @Override
  public void close() {
    if (ownsClient) {
      s3.close();
    }
  }

  /** Test hook: objects above this size are copied from staging in ranges of this size. */
  void setCopyPartSize(long copyPartSize) {
    if (copyPartSize < UploadOptions.MIN_PART_SIZE) {
      throw new IllegalArgumentException("copy parts must be at least 5 MiB");
    }
    this.copyPartSize = copyPartSize;
  }

  /** Test hook: first pause of the per-part retry backoff. */
  void setRetryBaseDelay(Duration retryBaseDelay) {
    this.retryBaseDelay = retryBaseDelay;
  }

  // ---- single PUT ----

  private UploadResult putSingle(String key, byte[] buf, int len, String sha256, UploadOptions options) {
    PutObjectRequest.Builder put = PutObjectRequest.builder().bucket(config.bucket()).key(key)
        .contentType(options.contentType()).contentLength((long) len)
        .metadata(withSha256(options.metadata(), sha256));
    if (config.storageClass() != null) {
      put.storageClass(config.storageClass());
    }
    applyEncryption(put);
    applyRetention(put);
    PutObjectRequest request = put.build();
    PutObjectResponse response = withRetries("upload " + url(key), options.partRetries(), true,
        () -> s3.putObject(request, RequestBody.fromContentProvider(
            () -> new ByteArrayInputStream(buf, 0, len), len, options.contentType())));
    verify(key, response.versionId(), len, sha256);
    reportFinal(options, len);
    return new UploadResult(key, len, sha256, unquote(response.eTag()), response.versionId(), 1);
  }

  // ---- multipart ----

  /** State of one multipart upload; used once. */
  private final class StreamingUpload {
    private final String key;
    private final String staging;
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

    StreamingUpload(String key, InputStream data, long expectedSize, UploadOptions options,
        BufferPool pool, int partSize, MessageDigest digest) {
      this.key = key;
      this.staging = ObjectKeys.uploadingKey(key);
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
      CreateMultipartUploadRequest.Builder create = CreateMultipartUploadRequest.builder()
          .bucket(config.bucket()).key(staging).contentType(options.contentType());
      // storage class and retention go on the final copy only: a staging object in an archive
      // class could not be copied, and a locked one could not be deleted
      applyEncryption(create);
      String uploadId;
      try {
        uploadId = call("start multipart upload of " + url(staging), true,
            () -> s3.createMultipartUpload(create.build())).uploadId();
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
          byte[] buf = acquire(pool);
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
            throw new StoreException(StoreException.Reason.STORE_ERROR, "the object is larger than "
                + MAX_PARTS + " parts of " + partSize + " bytes; pass its size or use a larger part size",
                null, false);
          }
          parts.add(submit(uploadId, parts.size() + 1, buf, n));
          if (n < partSize) {
            break;
          }
        }
        List<CompletedPart> done = new ArrayList<>(parts.size());
        for (Future<CompletedPart> f : parts) {
          done.add(await(f));
        }
        rethrowPartFailure();
        checkLength(expectedSize, total);
        done.sort(Comparator.comparingInt(CompletedPart::partNumber));
        CompleteMultipartUploadResponse complete = call("complete multipart upload of " + url(staging), true,
            () -> s3.completeMultipartUpload(r -> r.bucket(config.bucket()).key(staging)
                .uploadId(uploadId).multipartUpload(m -> m.parts(done))));
        completed = true;
        String sha256 = HexFormat.of().formatHex(digest.digest());
        UploadResult result = publish(complete.versionId(), total, sha256, done.size());
        progress.report(total, true);
        return result;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("upload of " + url(key) + " interrupted");
      } finally {
        stopWorkers();
        if (!completed) {
          abort(uploadId);
        }
      }
    }

    private Future<CompletedPart> submit(String uploadId, int partNumber, byte[] buf, int len) {
      return workers.submit(() -> {
        try {
          String etag = withRetries("upload part " + partNumber + " of " + url(staging),
              options.partRetries(), true,
              () -> s3.uploadPart(r -> r.bucket(config.bucket()).key(staging).uploadId(uploadId)
                      .partNumber(partNumber).contentLength((long) len),
                  RequestBody.fromContentProvider(() -> new ByteArrayInputStream(buf, 0, len), len,
                      UploadOptions.DEFAULT_CONTENT_TYPE))).eTag();
          progress.report(confirmed.addAndGet(len), false);
          return CompletedPart.builder().partNumber(partNumber).eTag(etag).build();
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

    /** Copies staging to the real key with its checksum, verifies, and removes staging. */
    private UploadResult publish(String stagingVersion, long size, String sha256, int partCount) {
      Map<String, String> metadata = withSha256(options.metadata(), sha256);
      String etag;
      String versionId;
      try {
        if (size <= copyPartSize) {
          CopyObjectRequest.Builder copy = CopyObjectRequest.builder()
              .sourceBucket(config.bucket()).sourceKey(staging).sourceVersionId(stagingVersion)
              .destinationBucket(config.bucket()).destinationKey(key)
              .metadataDirective(MetadataDirective.REPLACE).metadata(metadata)
              .contentType(options.contentType());
          if (config.storageClass() != null) {
            copy.storageClass(config.storageClass());
          }
          if (config.encryption() != null) {
            copy.serverSideEncryption(config.encryption().type().wireValue());
            copy.ssekmsKeyId(config.encryption().kmsKeyId());
          }
          if (config.objectLock() != null) {
            copy.objectLockMode(config.objectLock().mode().name());
            copy.objectLockRetainUntilDate(retainUntil());
          }
          CopyObjectResponse r = call("copy " + url(staging) + " to " + url(key), true,
              () -> s3.copyObject(copy.build()));
          etag = unquote(r.copyObjectResult().eTag());
          versionId = r.versionId();
        } else {
          String[] ev = copyInRanges(stagingVersion, size, metadata);
          etag = ev[0];
          versionId = ev[1];
        }
        verify(key, versionId, size, sha256);
      } finally {
        deleteStaging(stagingVersion);
      }
      return new UploadResult(key, size, sha256, etag, versionId, partCount);
    }

    private String[] copyInRanges(String stagingVersion, long size, Map<String, String> metadata) {
      CreateMultipartUploadRequest.Builder create = CreateMultipartUploadRequest.builder()
          .bucket(config.bucket()).key(key).contentType(options.contentType()).metadata(metadata);
      if (config.storageClass() != null) {
        create.storageClass(config.storageClass());
      }
      applyEncryption(create);
      if (config.objectLock() != null) {
        create.objectLockMode(config.objectLock().mode().name());
        create.objectLockRetainUntilDate(retainUntil());
      }
      String uploadId = call("start multipart copy to " + url(key), true,
          () -> s3.createMultipartUpload(create.build())).uploadId();
      boolean done = false;
      try {
        long range = copyPartSize;
        int count = (int) ((size + range - 1) / range);
        List<Future<CompletedPart>> parts = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
          int partNumber = i + 1;
          long from = i * range;
          long to = Math.min(size, from + range) - 1;
          parts.add(workers.submit(() -> {
            String etag = withRetries("copy part " + partNumber + " to " + url(key),
                options.partRetries(), true,
                () -> s3.uploadPartCopy(r -> r.sourceBucket(config.bucket()).sourceKey(staging)
                    .sourceVersionId(stagingVersion).copySourceRange("bytes=" + from + "-" + to)
                    .destinationBucket(config.bucket()).destinationKey(key)
                    .uploadId(uploadId).partNumber(partNumber))).copyPartResult().eTag();
            return CompletedPart.builder().partNumber(partNumber).eTag(etag).build();
          }));
        }
        List<CompletedPart> completed = new ArrayList<>(count);
        for (Future<CompletedPart> f : parts) {
          completed.add(await(f));
        }
        CompleteMultipartUploadResponse r = call("complete multipart copy to " + url(key), true,
            () -> s3.completeMultipartUpload(c -> c.bucket(config.bucket()).key(key).uploadId(uploadId)
                .multipartUpload(m -> m.parts(completed))));
        done = true;
        return new String[] {unquote(r.eTag()), r.versionId()};
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StoreException(StoreException.Reason.STORE_ERROR, "copy to " + url(key) + " interrupted",
            e, true);
      } finally {
        if (!done) {
          abortQuietly(key, uploadId);
        }
      }
    }

    private void deleteStaging(String stagingVersion) {
      try {
        // by version where there are versions, so no noncurrent copy of the data stays behind
        s3.deleteObject(r -> r.bucket(config.bucket()).key(staging).versionId(stagingVersion));
        return;
      } catch (SdkException e) {
        if (stagingVersion == null) {
          log.warn("could not delete staging object {}; abortStaleUploads({}) removes it: {}",
              url(staging), key, StoreErrors.map(e, config, "delete", true).getMessage());
          return;
        }
        // no s3:DeleteObjectVersion, or the version is locked by a bucket default retention
        log.warn("could not delete version {} of staging object {} ({}); it stays as a noncurrent version",
            stagingVersion, url(staging), StoreErrors.map(e, config, "delete", true).getMessage());
      }
      try {
        s3.deleteObject(r -> r.bucket(config.bucket()).key(staging));
      } catch (SdkException e) {
        log.warn("could not delete staging object {}: {}", url(staging),
            StoreErrors.map(e, config, "delete", true).getMessage());
      }
    }

    private void stopWorkers() {
      workers.shutdownNow();
      try {
        // parts still on the wire after an abort could be stored again; wait for them first
        if (!workers.awaitTermination(2, TimeUnit.MINUTES)) {
          log.warn("part uploads of {} did not stop within 2 minutes", url(staging));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    private void abort(String uploadId) {
      abortQuietly(staging, uploadId);
    }
  }

  private void abortQuietly(String key, String uploadId) {
    try {
      s3.abortMultipartUpload(r -> r.bucket(config.bucket()).key(key).uploadId(uploadId));
    } catch (SdkException e) {
      log.warn("could not abort multipart upload of {}; abortStaleUploads removes it later: {}",
          url(key), StoreErrors.map(e, config, "abort", true).getMessage());
    }
  }

  // ---- helpers ----

  /**
   * Confirms what the store holds now is what was read from the source; a mismatch is removed
   * again, so that nothing wrong stays at {@code key}.
   */
  private void verify(String key, String versionId, long size, String sha256) {
    HeadObjectResponse h = call("verify " + url(key), true,
        () -> s3.headObject(r -> r.bucket(config.bucket()).key(key).versionId(versionId)));
    String stored = h.metadata().get(SHA256_METADATA);
    if (h.contentLength() != null && h.contentLength() == size && sha256.equals(stored)) {
      return;
    }
    try {
      s3.deleteObject(r -> r.bucket(config.bucket()).key(key).versionId(versionId));
    } catch (SdkException e) {
      log.warn("could not remove unverified object {}: {}", url(key),
          StoreErrors.map(e, config, "delete", true).getMessage());
    }
    throw new StoreException(StoreException.Reason.STORE_ERROR, "the store held " + h.contentLength()
        + " bytes with sha256 " + stored + " at " + url(key) + " after uploading " + size
        + " bytes with sha256 " + sha256 + "; the object was removed", null, true);
  }

  private <T> T withRetries(String action, int retries, boolean onObject, Supplier<T> request) {
    for (int attempt = 0; ; attempt++) {
      try {
        return request.get();
      } catch (SdkException e) {
        if (attempt >= retries || !StoreErrors.isTransient(e) || Thread.currentThread().isInterrupted()) {
          throw StoreErrors.map(e, config, action, onObject);
        }
        long base = retryBaseDelay.toMillis() << Math.min(attempt, 4);
        long pause = base + ThreadLocalRandom.current().nextLong(base / 2 + 1);
        log.warn("{} failed ({}), retry {} of {} in {} ms", action,
            StoreErrors.map(e, config, action, onObject).getMessage(), attempt + 1, retries, pause);
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
      throw new StoreException(StoreException.Reason.READ_ONLY_VIOLATION, "cannot " + action + " "
          + url(key) + ": the store is read-only");
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
    return Instant.now().plus(config.objectLock().retainDays(), ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
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
    return new ObjectInfo(key, h.contentLength() == null ? -1 : h.contentLength(),
        h.metadata().get(SHA256_METADATA), h.lastModified(), unquote(h.eTag()));
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
      throw new IllegalArgumentException("an object of " + expectedSize + " bytes needs parts of "
          + size + " bytes, more than the maximum " + UploadOptions.MAX_PART_SIZE);
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
    return StaticCredentialsProvider.create(c.sessionToken() == null
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
