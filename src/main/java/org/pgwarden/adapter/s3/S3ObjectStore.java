package org.pgwarden.adapter.s3;

import java.io.InputStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.common.Retrier;
import org.pgwarden.config.RepositoryConfig;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.storage.Capabilities;
import org.pgwarden.storage.ObjectInfo;
import org.pgwarden.storage.ObjectKey;
import org.pgwarden.storage.ObjectStore;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumMode;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeleteObjectsRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Error;

/**
 * The repository in an S3 bucket (or an S3-compatible store). Every request runs under the
 * section's retry policy with the SDK's own retries off; failures are translated by
 * {@link S3Errors}. Writes stream through {@link S3Writer}; lists page through {@link S3Lister}.
 */
public final class S3ObjectStore implements ObjectStore {

    /**
     * Request sizes S3 fixes at 1000; smaller values let tests cross page and batch boundaries
     * without writing thousands of objects.
     */
    public record Tuning(int listPageSize, int deleteBatchSize) {
        public static final Tuning DEFAULT = new Tuning(1000, 1000);

        public Tuning {
            if (listPageSize < 1 || listPageSize > 1000 || deleteBatchSize < 1 || deleteBatchSize > 1000) {
                throw new IllegalArgumentException("page and batch sizes must be between 1 and 1000");
            }
        }
    }

    private final S3Client s3;
    private final S3Location location;
    private final S3Calls calls;
    private final S3Writer writer;
    private final ExecutorService partUploads;
    private final Capabilities capabilities;
    private final Tuning tuning;

    private S3ObjectStore(RepositoryConfig.S3 config, S3Client s3, Metrics metrics, Tuning tuning, Clock clock) {
        this.s3 = s3;
        this.tuning = tuning;
        this.location = new S3Location(config.bucket(), config.prefix());
        this.calls = new S3Calls(new Retrier(config.retry(), new AttemptReporter(metrics, config.retry().maxAttempts())));
        this.partUploads = Executors.newCachedThreadPool(daemonThreads("pgwarden-s3-part-"));
        this.capabilities = new Capabilities(config.conditionalCreate(), config.objectLock().isPresent(), true);
        this.writer = new S3Writer(s3, location, calls, new WriteOptions(config, clock), partUploads,
                Math.toIntExact(config.partSize().bytes()), config.maxConcurrency(), config.conditionalCreate(),
                key -> stat(key).isPresent(), clock);
    }

    /**
     * Opens the store described by {@code config}; credential references are resolved from
     * {@code environment} now, so a missing secret fails at start.
     */
    public static S3ObjectStore open(RepositoryConfig.S3 config, Map<String, String> environment, Metrics metrics) {
        return open(config, environment, metrics, Tuning.DEFAULT);
    }

    public static S3ObjectStore open(RepositoryConfig.S3 config, Map<String, String> environment, Metrics metrics,
                                     Tuning tuning) {
        if (config.partSize().bytes() > Integer.MAX_VALUE - 8) {
            throw new PgwardenException(ErrorCode.CONFIG_INVALID,
                    "repository.s3.part-size " + config.partSize() + " is larger than one in-memory buffer can hold (2GiB)");
        }
        return new S3ObjectStore(config, S3ClientFactory.create(config, environment), metrics, tuning,
                Clock.systemUTC());
    }

    @Override
    public String describe() {
        return location.describe();
    }

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    @Override
    public ObjectInfo put(ObjectKey key, InputStream data) {
        return writer.write("put", key, data, false);
    }

    @Override
    public ObjectInfo create(ObjectKey key, InputStream data) {
        return writer.write("create", key, data, true);
    }

    @Override
    public InputStream get(ObjectKey key) {
        GetObjectRequest request = GetObjectRequest.builder().bucket(location.bucket()).key(location.s3Key(key))
                .checksumMode(ChecksumMode.ENABLED).build();
        // The SDK checks the full-object SHA-256 as the stream is read (single-PUT objects).
        return new TranslatingInputStream(calls.run("get", location.uri(key), () -> s3.getObject(request)),
                location.uri(key));
    }

    @Override
    public InputStream get(ObjectKey key, long offset, long length) {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("offset and length must not be negative");
        }
        if (length == 0) {
            return InputStream.nullInputStream();
        }
        long last = length > Long.MAX_VALUE - offset ? Long.MAX_VALUE - 1 : offset + length - 1;
        GetObjectRequest request = GetObjectRequest.builder().bucket(location.bucket()).key(location.s3Key(key))
                .range("bytes=" + offset + "-" + last).build();
        return calls.run("get", location.uri(key), () -> {
            try {
                return new TranslatingInputStream(s3.getObject(request), location.uri(key));
            } catch (AwsServiceException e) {
                if (e.statusCode() == 416) {
                    // The range starts at or after the end: "fewer bytes at the end" means none.
                    return InputStream.nullInputStream();
                }
                throw e;
            }
        });
    }

    @Override
    public Optional<ObjectInfo> stat(ObjectKey key) {
        HeadObjectRequest request = HeadObjectRequest.builder().bucket(location.bucket()).key(location.s3Key(key))
                .checksumMode(ChecksumMode.ENABLED).build();
        return calls.run("stat", location.uri(key), () -> {
            HeadObjectResponse r;
            try {
                r = s3.headObject(request);
            } catch (AwsServiceException e) {
                if (e.statusCode() == 404) {
                    return Optional.empty();
                }
                throw e;
            }
            return Optional.of(new ObjectInfo(key, r.contentLength(), r.lastModified(),
                    Sha256.hexOfFullObject(r.checksumSHA256())));
        });
    }

    @Override
    public Stream<ObjectInfo> list(String prefix) {
        S3Lister lister = new S3Lister(s3, location, calls, prefix, tuning.listPageSize());
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(lister,
                Spliterator.ORDERED | Spliterator.DISTINCT | Spliterator.NONNULL), false);
    }

    /** Aborts multipart uploads a killed process left open under the prefix (S3 bills their parts). */
    @Override
    public long discardIncomplete(String prefix) {
        String s3Prefix = location.s3Prefix(prefix);
        var uploads = calls.run("list unfinished uploads", location.uri(prefix), () ->
                s3.listMultipartUploadsPaginator(b -> b.bucket(location.bucket()).prefix(s3Prefix)).uploads()
                        .stream().toList());
        for (var u : uploads) {
            calls.run("abort unfinished upload", "s3://" + location.bucket() + "/" + u.key(), () ->
                    s3.abortMultipartUpload(b -> b.bucket(location.bucket()).key(u.key()).uploadId(u.uploadId())));
        }
        return uploads.size();
    }

    @Override
    public void delete(Collection<ObjectKey> keys) {
        List<ObjectKey> batch = new ArrayList<>(Math.min(keys.size(), tuning.deleteBatchSize()));
        for (ObjectKey key : keys) {
            batch.add(key);
            if (batch.size() == tuning.deleteBatchSize()) {
                deleteBatch(batch);
                batch.clear();
            }
        }
        if (!batch.isEmpty()) {
            deleteBatch(batch);
        }
    }

    private void deleteBatch(List<ObjectKey> batch) {
        List<ObjectIdentifier> ids = batch.stream()
                .map(k -> ObjectIdentifier.builder().key(location.s3Key(k)).build()).toList();
        DeleteObjectsRequest request = DeleteObjectsRequest.builder().bucket(location.bucket())
                .delete(Delete.builder().objects(ids).quiet(true).build()).build();
        String what = batch.size() == 1 ? location.uri(batch.get(0))
                : location.uri(batch.get(0)) + "' and " + (batch.size() - 1) + " more keys in '" + describe();
        calls.run("delete", what, () -> {
            DeleteObjectsResponse r = s3.deleteObjects(request);
            if (r.hasErrors() && !r.errors().isEmpty()) {
                // Per-key failures come back in a 200 answer; raise them so the Retrier sees them.
                S3Error first = r.errors().get(0);
                throw new PgwardenException(S3Errors.forDeleteError(first.code()), "unable to delete 's3://"
                        + location.bucket() + "/" + first.key() + "': " + first.code()
                        + (r.errors().size() > 1 ? " (and " + (r.errors().size() - 1) + " more keys failed)" : ""));
            }
            return r;
        });
    }

    @Override
    public void close() {
        partUploads.shutdown();
        try {
            if (!partUploads.awaitTermination(30, TimeUnit.SECONDS)) {
                partUploads.shutdownNow();
            }
        } catch (InterruptedException e) {
            partUploads.shutdownNow();
            Thread.currentThread().interrupt();
        } finally {
            s3.close();
        }
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
