package org.pgwarden.adapter.s3;

import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import org.pgwarden.storage.ObjectInfo;
import org.pgwarden.storage.ObjectKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Lists keys one page at a time as the caller consumes them; only the current page is in memory.
 * Each page request is retried on its own (the SDK paginator would retry nothing, since SDK
 * retries are off, and would hide the continuation token from us).
 */
final class S3Lister implements Iterator<ObjectInfo> {
    private static final Logger LOG = LoggerFactory.getLogger(S3Lister.class);

    private final S3Client s3;
    private final S3Location location;
    private final S3Calls calls;
    private final String prefix;
    private final int pageSize;
    private Iterator<S3Object> page = List.<S3Object>of().iterator();
    private String continuation;
    private boolean lastPage;
    private ObjectInfo next;

    S3Lister(S3Client s3, S3Location location, S3Calls calls, String prefix, int pageSize) {
        this.s3 = s3;
        this.location = location;
        this.calls = calls;
        this.prefix = prefix;
        this.pageSize = pageSize;
    }

    @Override
    public boolean hasNext() {
        while (next == null) {
            if (!page.hasNext()) {
                if (lastPage) {
                    return false;
                }
                fetch();
                continue;
            }
            S3Object o = page.next();
            Optional<ObjectKey> key = location.keyOf(o.key());
            if (key.isEmpty()) {
                LOG.warn("skipping object 's3://{}/{}': its name is not a repository key", location.bucket(), o.key());
                continue;
            }
            next = new ObjectInfo(key.get(), o.size(), o.lastModified(), Optional.empty());
        }
        return true;
    }

    @Override
    public ObjectInfo next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        ObjectInfo n = next;
        next = null;
        return n;
    }

    private void fetch() {
        ListObjectsV2Request.Builder b = ListObjectsV2Request.builder()
                .bucket(location.bucket()).prefix(location.s3Prefix(prefix)).maxKeys(pageSize);
        if (continuation != null) {
            b.continuationToken(continuation);
        }
        ListObjectsV2Request request = b.build();
        ListObjectsV2Response response = calls.run("list", location.uri(prefix), () -> s3.listObjectsV2(request));
        page = response.contents().iterator();
        continuation = response.nextContinuationToken();
        lastPage = !Boolean.TRUE.equals(response.isTruncated()) || continuation == null;
    }
}
