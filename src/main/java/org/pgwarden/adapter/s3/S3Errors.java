package org.pgwarden.adapter.s3;

import java.io.IOException;
import java.util.Set;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * The one place where S3 failures become pgwarden errors. Whether a failure is retried follows
 * from the error code chosen here ({@link ErrorCode#retriable()}); nothing else in the adapter
 * decides. Messages name the operation and the full {@code s3://} location and end with the
 * status and S3 error code, never with credentials.
 */
final class S3Errors {
    /** S3 error codes that mean "try again later", whatever the status they come with. */
    private static final Set<String> TRANSIENT_CODES = Set.of(
            "SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "InternalError",
            "ServiceUnavailable", "RequestLimitExceeded", "TooManyRequests", "BadDigest",
            "XAmzContentSHA256Mismatch", "OperationAborted", "ConditionalRequestConflict");

    private S3Errors() {
    }

    static PgwardenException translate(Throwable t, String operation, String location) {
        if (t instanceof PgwardenException p) {
            return p;
        }
        if (t instanceof AwsServiceException e) {
            return fromService(e, operation, location);
        }
        if (t instanceof SdkClientException || t instanceof SdkException || t instanceof IOException) {
            return fromClient(t, operation, location);
        }
        return PgwardenException.of(t);
    }

    private static PgwardenException fromService(AwsServiceException e, String operation, String location) {
        int status = e.statusCode();
        String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
        String suffix = " (" + status + (code == null || code.isBlank() ? "" : " " + code) + ")";
        ErrorCode ec;
        String reason;
        if (status == 412 || "PreconditionFailed".equals(code)) {
            ec = ErrorCode.REPO_OBJECT_EXISTS;
            reason = "an object already exists there";
        } else if (isTransient(status, code)) {
            ec = ErrorCode.REPO_UNREACHABLE;
            reason = "the service is unavailable or throttling requests";
        } else if (status == 403) {
            ec = ErrorCode.REPO_ACCESS_DENIED;
            reason = "access denied";
        } else if (status == 404) {
            ec = ErrorCode.REPO_OBJECT_MISSING;
            reason = "NoSuchBucket".equals(code) ? "no such bucket" : "no such object";
        } else {
            ec = ErrorCode.REPO_REQUEST_INVALID;
            reason = "the request was refused";
        }
        return new PgwardenException(ec, "unable to " + operation + " '" + location + "': " + reason + suffix, e);
    }

    static boolean isTransient(int status, String code) {
        return (status >= 500 && status != 501) || status == 429 || (code != null && TRANSIENT_CODES.contains(code));
    }

    /** The error code of one key in a DeleteObjects answer, which carries no HTTP status. */
    static ErrorCode forDeleteError(String code) {
        if ("AccessDenied".equals(code)) {
            return ErrorCode.REPO_ACCESS_DENIED;
        }
        return code != null && TRANSIENT_CODES.contains(code) ? ErrorCode.REPO_UNREACHABLE : ErrorCode.REPO_REQUEST_INVALID;
    }

    private static PgwardenException fromClient(Throwable e, String operation, String location) {
        String detail = rootDetail(e);
        if (e.getMessage() != null && e.getMessage().startsWith("Unable to load credentials")) {
            return new PgwardenException(ErrorCode.REPO_ACCESS_DENIED,
                    "unable to " + operation + " '" + location + "': no AWS credentials found",
                    "set repository.s3.credentials or provide credentials through the AWS default provider chain", e);
        }
        String reason = isTimeout(e) ? "the request timed out" : "the connection failed";
        // Resets, refused connections, timeouts and truncated or corrupted answers: all worth another attempt.
        return new PgwardenException(ErrorCode.REPO_UNREACHABLE,
                "unable to " + operation + " '" + location + "': " + reason + " (" + detail + ")", e);
    }

    private static boolean isTimeout(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof ApiCallTimeoutException || c instanceof ApiCallAttemptTimeoutException
                    || c instanceof java.net.SocketTimeoutException) {
                return true;
            }
        }
        return false;
    }

    private static String rootDetail(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName()
                : root.getClass().getSimpleName() + ": " + root.getMessage();
    }
}
