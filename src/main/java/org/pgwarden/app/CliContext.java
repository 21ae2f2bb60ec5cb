package org.pgwarden.app;

import java.io.PrintWriter;
import java.time.Clock;
import java.util.Map;

/** What commands receive from the outside world; tests pass their own. */
public record CliContext(Map<String, String> environment, PrintWriter out, PrintWriter err, Clock clock) {
}
