package org.pgwarden.app;

import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import picocli.CommandLine.Option;

/** The {@code --output text|json} option of the commands that print documents runbooks parse. */
final class OutputFormat {
    @Option(names = "--output", defaultValue = "text", paramLabel = "text|json", description = "Output format.")
    String output = "text";

    /** True for {@code json}; a usage error naming the value for anything but {@code text} or {@code json}. */
    boolean json() {
        if (!output.equals("text") && !output.equals("json")) {
            throw new PgwardenException(ErrorCode.USAGE, "--output '" + output + "' is not 'text' or 'json'");
        }
        return output.equals("json");
    }
}
