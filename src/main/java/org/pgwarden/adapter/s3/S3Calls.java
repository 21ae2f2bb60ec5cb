package org.pgwarden.adapter.s3;

import java.io.UncheckedIOException;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.common.Retrier;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * Runs one S3 request under the repository's retry policy, translating SDK failures at the
 * edge so the {@link Retrier} sees pgwarden error codes. The SDK's own retries are off, so the
 * attempts counted here are all the attempts made.
 */
final class S3Calls {

    @FunctionalInterface
    interface Call<T> {
        T run();
    }

    private final Retrier retrier;

    S3Calls(Retrier retrier) {
        this.retrier = retrier;
    }

    <T> T run(String operation, String location, Call<T> call) {
        return run(operation, location, () -> false, call);
    }

    /** As {@link #run(String, String, Call)}, giving up before an attempt once {@code stop} says so. */
    <T> T run(String operation, String location, java.util.function.BooleanSupplier stop, Call<T> call) {
        return retrier.run(operation + " '" + location + "'", () -> {
            if (stop.getAsBoolean()) {
                throw new PgwardenException(ErrorCode.CANCELLED,
                        "abandoned " + operation + " '" + location + "': another part of the upload failed");
            }
            try {
                return call.run();
            } catch (SdkException | UncheckedIOException e) {
                throw S3Errors.translate(e, operation, location);
            }
        });
    }
}
