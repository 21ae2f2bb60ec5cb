package org.pgwarden.adapter.kms;

import java.util.Set;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * The one place where KMS failures become pgwarden error codes. Whether to retry is then decided
 * by {@code Retrier} from the code alone: only {@link ErrorCode#KEY_UNAVAILABLE} is retried.
 */
final class KmsErrors {
    private static final Set<String> DENIED = Set.of("AccessDeniedException", "UnrecognizedClientException",
            "InvalidSignatureException", "IncompleteSignature", "MissingAuthenticationToken",
            "InvalidClientTokenId", "ExpiredTokenException", "KMSInvalidSignatureException");
    private static final Set<String> NOT_FOUND = Set.of("NotFoundException", "DisabledException",
            "KMSInvalidStateException", "InvalidKeyUsageException", "InvalidArnException");
    private static final Set<String> WRONG_KEY = Set.of("InvalidCiphertextException", "IncorrectKeyException");
    private static final Set<String> TRANSIENT = Set.of("ThrottlingException", "LimitExceededException",
            "KMSInternalException", "DependencyTimeoutException", "KeyUnavailableException",
            "RequestLimitExceeded", "ServiceUnavailable", "InternalFailure");

    private KmsErrors() {
    }

    /**
     * @param operation what was asked, e.g. {@code "generate a data key"}
     * @param keyId     the master key involved, named in every message
     */
    static PgwardenException translate(SdkException e, String operation, String keyId) {
        if (e instanceof AwsServiceException s) {
            String code = s.awsErrorDetails() == null ? null : s.awsErrorDetails().errorCode();
            int status = s.statusCode();
            String what = "unable to " + operation + " with KMS key '" + keyId + "': " + (code == null ? "HTTP " + status
                    : code) + detail(s);
            if (code != null && DENIED.contains(code)) {
                return new PgwardenException(ErrorCode.KEY_ACCESS_DENIED, what,
                        "grant the daemon's role kms:GenerateDataKey, kms:Decrypt and kms:ReEncrypt* on key '"
                                + keyId + "'", e);
            }
            if (code != null && NOT_FOUND.contains(code)) {
                return new PgwardenException(ErrorCode.KEY_NOT_FOUND, what,
                        "check encryption.kms.key-id and that the key is enabled in region of the client", e);
            }
            if (code != null && WRONG_KEY.contains(code)) {
                return new PgwardenException(ErrorCode.INTEGRITY_WRONG_KEY, what,
                        "the data key was wrapped by another KMS key or is damaged", e);
            }
            if ((code != null && TRANSIENT.contains(code)) || status == 429 || status >= 500) {
                return new PgwardenException(ErrorCode.KEY_UNAVAILABLE, what, e);
            }
            return new PgwardenException(ErrorCode.KEY_REQUEST_INVALID, what, e);
        }
        if (e instanceof SdkClientException) {
            // Connection refused, timeouts, DNS: the key service may come back.
            return new PgwardenException(ErrorCode.KEY_UNAVAILABLE, "unable to " + operation + " with KMS key '"
                    + keyId + "': " + e.getMessage(), e);
        }
        return new PgwardenException(ErrorCode.KEY_UNAVAILABLE, "unable to " + operation + " with KMS key '"
                + keyId + "': " + e.getMessage(), e);
    }

    private static String detail(AwsServiceException s) {
        String m = s.awsErrorDetails() == null ? null : s.awsErrorDetails().errorMessage();
        return m == null || m.isBlank() ? "" : " (" + m + ")";
    }
}
