package org.pgwarden.adapter.s3;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.storage.ObjectInfo;
import org.pgwarden.storage.ObjectKey;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * Streams one object of unknown length into S3. An object that fits in one part is a single PUT;
 * a larger one is a multipart upload with at most {@code maxConcurrency} parts in flight, each
 * part retried on its own. Every request carries the SHA-256 of its body, which S3 checks; the
 * answer's checksum is compared with ours. On any failure the upload is aborted, so a failed
 * write never leaves a visible object.
 */
final class S3Writer {
    /** S3 refuses more parts than this in one upload. */
    private static final int MAX_PARTS = 10_000;
    private static final String CONTENT_TYPE = "application/octet-stream";

    interface ExistenceCheck {
        boolean exists(ObjectKey key);
    }

    private final S3Client s3;
    private final S3Location location;
    private final S3Calls calls;
    private final WriteOptions options;
    private final ExecutorService partUploads;
    private final int partSize;
    private final int maxConcurrency;
    private final boolean conditionalWrites;
    private final ExistenceCheck existence;
    private final Clock clock;

    S3Writer(S3Client s3, S3Location location, S3Calls calls, WriteOptions options, ExecutorService partUploads,
             int partSize, int maxConcurrency, boolean conditionalWrites, ExistenceCheck existence, Clock clock) {
        this.s3 = s3;
        this.location = location;
        this.calls = calls;
        this.options = options;
        this.partUploads = partUploads;
        this.partSize = partSize;
        this.maxConcurrency = maxConcurrency;
        this.conditionalWrites = conditionalWrites;
        this.existence = existence;
        this.clock = clock;
    }

    ObjectInfo write(String operation, ObjectKey key, InputStream data, boolean exclusive) {
        String uri = location.uri(key);
        PartSource source = new PartSource(data, partSize, operation, uri);
        PartSource.Part first = source.first();
        if (first.last()) {
            putSingle(operation, key, uri, first, exclusive);
        } else {
            putMultipart(operation, key, uri, source, first, exclusive);
        }
        return new ObjectInfo(key, source.size(), clock.instant(), Optional.of(source.sha256Hex()));
    }

    private void putSingle(String operation, ObjectKey key, String uri, PartSource.Part part, boolean exclusive) {
        String checksum = Sha256.base64(Sha256.of(part.buffer(), 0, part.length()));
        PutObjectRequest.Builder b = options.apply(PutObjectRequest.builder())
                .bucket(location.bucket()).key(location.s3Key(key))
                .contentLength((long) part.length()).checksumSHA256(checksum);
        if (exclusive) {
            if (conditionalWrites) {
                b.ifNoneMatch("*");
            } else {
                guardExclusive(operation, key, uri);
            }
        }
        PutObjectRequest request = b.build();
        PutObjectResponse response = calls.run(operation, uri, () -> s3.putObject(request, body(part)));
        verify(operation, uri, checksum, response.checksumSHA256());
    }

    private void putMultipart(String operation, ObjectKey key, String uri, PartSource source,
                              PartSource.Part first, boolean exclusive) {
        if (exclusive) {
            // Fail before uploading gigabytes; the conditional complete below is what makes it atomic.
            guardExclusive(operation, key, uri);
        }
        CreateMultipartUploadRequest create = options.apply(CreateMultipartUploadRequest.builder())
                .bucket(location.bucket()).key(location.s3Key(key))
                .contentType(CONTENT_TYPE).checksumAlgorithm(ChecksumAlgorithm.SHA256).build();
        String uploadId = calls.run("start upload of", uri, () -> s3.createMultipartUpload(create)).uploadId();
        Upload upload = new Upload(key, uri, uploadId);
        try {
            upload.sendAll(source, first);
            List<CompletedPart> parts = upload.awaitParts();
            complete(operation, key, uri, uploadId, parts, exclusive);
        } catch (RuntimeException | Error e) {
            upload.failed.set(true);
            upload.awaitQuietly(e);
            abort(uri, key, uploadId, e);
            throw e;
        }
    }

    /** One multipart upload in progress: its parts in flight and whether one of them failed. */
    private final class Upload {
        final ObjectKey key;
        final String uri;
        final String uploadId;
        final AtomicBoolean failed = new AtomicBoolean();
        final List<Future<CompletedPart>> parts = new ArrayList<>();
        final BufferPool buffers = new BufferPool(partSize, maxConcurrency);

        Upload(ObjectKey key, String uri, String uploadId) {
            this.key = key;
            this.uri = uri;
            this.uploadId = uploadId;
        }

        void sendAll(PartSource source, PartSource.Part first) {
            buffers.adopt();
            PartSource.Part part = first;
            for (int number = 1; ; number++) {
                int n = number;
                PartSource.Part p = part;
                parts.add(partUploads.submit(() -> send(n, p)));
                if (part.last() || failed.get()) {
                    return;
                }
                if (number == MAX_PARTS) {
                    throw new PgwardenException(ErrorCode.REPO_REQUEST_INVALID, "unable to put '" + uri
                            + "': the object is larger than " + MAX_PARTS + " parts of " + partSize
                            + " bytes; raise repository.s3.part-size");
                }
                byte[] buf;
                try {
                    buf = buffers.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new PgwardenException(ErrorCode.CANCELLED, "cancelled upload of '" + uri + "'", e);
                }
                if (failed.get()) {
                    return;
                }
                part = source.next(buf);
            }
        }

        private CompletedPart send(int number, PartSource.Part part) {
            try {
                String checksum = Sha256.base64(Sha256.of(part.buffer(), 0, part.length()));
                UploadPartRequest request = UploadPartRequest.builder()
                        .bucket(location.bucket()).key(location.s3Key(key)).uploadId(uploadId)
                        .partNumber(number).contentLength((long) part.length()).checksumSHA256(checksum).build();
                UploadPartResponse response = calls.run("upload part " + number + " of", uri, failed::get,
                        () -> s3.uploadPart(request, body(part)));
                verify("upload part " + number + " of", uri, checksum, response.checksumSHA256());
                return CompletedPart.builder().partNumber(number).eTag(response.eTag()).checksumSHA256(checksum).build();
            } catch (RuntimeException | Error e) {
                failed.set(true);
                throw e;
            } finally {
                buffers.give(part.buffer());
            }
        }

        List<CompletedPart> awaitParts() {
            List<CompletedPart> done = new ArrayList<>();
            for (Future<CompletedPart> f : parts) {
                try {
                    done.add(f.get());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new PgwardenException(ErrorCode.CANCELLED, "cancelled upload of '" + uri + "'", e);
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof RuntimeException r ? r : PgwardenException.of(e.getCause());
                }
            }
            return done;
        }

        /** Waits until no part is in flight, so none can land after the abort. */
        void awaitQuietly(Throwable primary) {
            for (Future<CompletedPart> f : parts) {
                try {
                    f.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    primary.addSuppressed(e);
                    return;
                } catch (ExecutionException e) {
                    if (e.getCause() != primary && !(e.getCause() instanceof PgwardenException p
                            && p.errorCode() == ErrorCode.CANCELLED)) {
                        primary.addSuppressed(e.getCause());
                    }
                }
            }
        }
    }

    private void complete(String operation, ObjectKey key, String uri, String uploadId, List<CompletedPart> parts,
                          boolean exclusive) {
        CompleteMultipartUploadRequest.Builder b = CompleteMultipartUploadRequest.builder()
                .bucket(location.bucket()).key(location.s3Key(key)).uploadId(uploadId)
                .multipartUpload(CompletedMultipartUpload.builder().parts(parts).build());
        if (exclusive) {
            if (conditionalWrites) {
                b.ifNoneMatch("*");
            } else {
                guardExclusive(operation, key, uri);
            }
        }
        CompleteMultipartUploadRequest request = b.build();
        CompleteMultipartUploadResponse response = calls.run(operation, uri, () -> s3.completeMultipartUpload(request));
        verify(operation, uri, compositeChecksum(parts), response.checksumSHA256());
    }

    /** S3's checksum of a multipart object: the SHA-256 of the parts' binary SHA-256s. */
    private static String compositeChecksum(List<CompletedPart> parts) {
        var d = Sha256.newDigest();
        for (CompletedPart p : parts) {
            d.update(java.util.Base64.getDecoder().decode(p.checksumSHA256()));
        }
        return Sha256.base64(d.digest());
    }

    private void abort(String uri, ObjectKey key, String uploadId, Throwable primary) {
        AbortMultipartUploadRequest request = AbortMultipartUploadRequest.builder()
                .bucket(location.bucket()).key(location.s3Key(key)).uploadId(uploadId).build();
        try {
            calls.run("abort upload of", uri, () -> s3.abortMultipartUpload(request));
        } catch (RuntimeException e) {
            // The object is still invisible; a bucket lifecycle rule removes the stray parts.
            primary.addSuppressed(e);
        }
    }

    /** Without conditional writes, create checks first: two writers can still both pass (documented). */
    private void guardExclusive(String operation, ObjectKey key, String uri) {
        if (existence.exists(key)) {
            throw new PgwardenException(ErrorCode.REPO_OBJECT_EXISTS,
                    "unable to " + operation + " '" + uri + "': an object already exists there");
        }
    }

    private static void verify(String operation, String uri, String sent, String answered) {
        if (answered == null || answered.isEmpty()) {
            return; // S3-compatible stores that return no checksum still verified the header we sent.
        }
        String value = answered.contains("-") ? answered.substring(0, answered.indexOf('-')) : answered;
        if (!value.equals(sent)) {
            throw new PgwardenException(ErrorCode.INTEGRITY_CHECKSUM, "unable to " + operation + " '" + uri
                    + "': the store answered SHA-256 '" + answered + "' for data sent with '" + sent + "'");
        }
    }

    private static RequestBody body(PartSource.Part part) {
        // A fresh stream over the same bytes for every attempt and for the signer: no copy of the part.
        return RequestBody.fromContentProvider(() -> new ByteArrayInputStream(part.buffer(), 0, part.length()),
                part.length(), CONTENT_TYPE);
    }
}
