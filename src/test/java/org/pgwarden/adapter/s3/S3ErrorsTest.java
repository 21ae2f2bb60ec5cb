package org.pgwarden.adapter.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.SocketException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.model.S3Exception;

class S3ErrorsTest {
    private static final String WHERE = "s3://bucket/prefix/key";

    private static S3Exception answer(int status, String code) {
        return (S3Exception) S3Exception.builder().statusCode(status)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage("details").build()).build();
    }

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource({
            "500, InternalError, REPO_UNREACHABLE",
            "502, , REPO_UNREACHABLE",
            "503, SlowDown, REPO_UNREACHABLE",
            "504, , REPO_UNREACHABLE",
            "429, TooManyRequests, REPO_UNREACHABLE",
            "400, RequestTimeout, REPO_UNREACHABLE",
            "400, BadDigest, REPO_UNREACHABLE",
            "409, ConditionalRequestConflict, REPO_UNREACHABLE",
            "403, AccessDenied, REPO_ACCESS_DENIED",
            "404, NoSuchKey, REPO_OBJECT_MISSING",
            "404, NoSuchBucket, REPO_OBJECT_MISSING",
            "412, PreconditionFailed, REPO_OBJECT_EXISTS",
            "400, InvalidArgument, REPO_REQUEST_INVALID",
            "501, NotImplemented, REPO_REQUEST_INVALID",
    })
    void serviceAnswersMapToErrorCodes(int status, String code, ErrorCode expected) {
        PgwardenException e = S3Errors.translate(answer(status, code), "put", WHERE);

        assertThat(e.errorCode()).isEqualTo(expected);
        assertThat(e.getMessage()).startsWith("unable to put '" + WHERE + "': ")
                .endsWith("(" + status + (code == null ? "" : " " + code) + ")");
    }

    @Test
    void accessDeniedReadsAsAStatement() {
        assertThat(S3Errors.translate(answer(403, "AccessDenied"), "get", WHERE).getMessage())
                .isEqualTo("unable to get 's3://bucket/prefix/key': access denied (403 AccessDenied)");
    }

    @Test
    void connectionFailuresAreRetriable() {
        SdkClientException reset = SdkClientException.create("Unable to execute HTTP request",
                new SocketException("Connection reset"));

        PgwardenException e = S3Errors.translate(reset, "upload part 2 of", WHERE);

        assertThat(e.errorCode()).isEqualTo(ErrorCode.REPO_UNREACHABLE);
        assertThat(e.errorCode().retriable()).isTrue();
        assertThat(e.getMessage()).contains("the connection failed").contains("Connection reset");
    }

    @Test
    void missingCredentialsArePermanentWithAHint() {
        PgwardenException e = S3Errors.translate(
                SdkClientException.create("Unable to load credentials from any of the providers in the chain"), "list", WHERE);

        assertThat(e.errorCode()).isEqualTo(ErrorCode.REPO_ACCESS_DENIED);
        assertThat(e.hint()).isPresent();
    }
}
