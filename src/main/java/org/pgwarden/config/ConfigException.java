package org.pgwarden.config;

import java.util.List;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;

/** The configuration is invalid; carries every problem found, each with its path. */
public final class ConfigException extends PgwardenException {
    private static final long serialVersionUID = 1L;
    private final List<String> problems;

    public ConfigException(String source, List<String> problems) {
        super(ErrorCode.CONFIG_INVALID, "invalid configuration in '" + source + "' (" + problems.size()
                + (problems.size() == 1 ? " problem" : " problems") + "):" + System.lineSeparator() + "  "
                + String.join(System.lineSeparator() + "  ", problems), "fix every line above; nothing was started", null);
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
