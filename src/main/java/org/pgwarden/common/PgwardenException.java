package org.pgwarden.common;

import java.util.Objects;
import java.util.Optional;

/**
 * The root of every failure pgwarden reports. The message is a lowercase statement that quotes
 * the names involved; the optional hint tells the operator what to do next. Neither may contain a
 * secret: callers pass names and references, never resolved values.
 */
public class PgwardenException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode errorCode;
    private final String hint;

    public PgwardenException(ErrorCode errorCode, String message) {
        this(errorCode, message, null, null);
    }

    public PgwardenException(ErrorCode errorCode, String message, Throwable cause) {
        this(errorCode, message, null, cause);
    }

    public PgwardenException(ErrorCode errorCode, String message, String hint, Throwable cause) {
        super(Objects.requireNonNull(message, "message"), cause);
        this.errorCode = Objects.requireNonNull(errorCode, "errorCode");
        this.hint = hint;
    }

    public ErrorCode errorCode() {
        return errorCode;
    }

    public Optional<String> hint() {
        return Optional.ofNullable(hint);
    }

    /** Message plus hint line, as printed to an operator. */
    public String describe() {
        return hint == null ? getMessage() : getMessage() + System.lineSeparator() + "HINT: " + hint;
    }

    /** The pgwarden error behind {@code t}, or an {@link ErrorCode#INTERNAL} one wrapping it. */
    public static PgwardenException of(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof PgwardenException p) {
                return p;
            }
        }
        if (t instanceof InterruptedException) {
            return new PgwardenException(ErrorCode.CANCELLED, "interrupted", t);
        }
        String detail = t.getMessage() == null ? t.getClass().getSimpleName()
                : t.getClass().getSimpleName() + ": " + t.getMessage();
        return new PgwardenException(ErrorCode.INTERNAL, "unexpected error: " + detail, t);
    }
}
