package org.pgwarden.testing;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import org.pgwarden.app.CliContext;
import org.pgwarden.app.PgwardenCli;

/** Runs the CLI in-process and keeps what it printed. */
public record CliRun(int exitCode, String out, String err) {

    public static CliRun run(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = new PgwardenCli(new CliContext(new HashMap<>(env), new PrintWriter(out), new PrintWriter(err),
                Clock.systemUTC())).execute(args);
        return new CliRun(code, out.toString(), err.toString());
    }

    public static CliRun run(String... args) {
        return run(Map.of(), args);
    }

    public String all() {
        return out + err;
    }
}
