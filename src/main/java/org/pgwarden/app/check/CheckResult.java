package org.pgwarden.app.check;

import java.util.Optional;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;

/**
 * The result of one check: what was checked, how it went, and what to do about it.
 *
 * @param dependency the dependency it is about ({@code config}, {@code postgres}, {@code repository},
 *                   {@code key}), used as the metric label
 */
public record CheckResult(String dependency, String name, Status status, String detail, Optional<String> hint,
        Optional<ErrorCode> errorCode) {

    public enum Status {
        OK("✔"), WARN("!"), FAIL("✘");

        private final String symbol;

        Status(String symbol) {
            this.symbol = symbol;
        }

        public String symbol() {
            return symbol;
        }
    }

    public static CheckResult ok(String dependency, String name, String detail) {
        return new CheckResult(dependency, name, Status.OK, detail, Optional.empty(), Optional.empty());
    }

    public static CheckResult warn(String dependency, String name, String detail, String hint) {
        return new CheckResult(dependency, name, Status.WARN, detail, Optional.ofNullable(hint), Optional.empty());
    }

    public static CheckResult fail(String dependency, String name, ErrorCode code, String detail, String hint) {
        return new CheckResult(dependency, name, Status.FAIL, detail, Optional.ofNullable(hint), Optional.of(code));
    }

    public static CheckResult fail(String dependency, String name, PgwardenException e) {
        return new CheckResult(dependency, name, Status.FAIL, e.getMessage(), e.hint(), Optional.of(e.errorCode()));
    }

    public boolean failed() {
        return status == Status.FAIL;
    }
}
