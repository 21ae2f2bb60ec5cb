package org.pgwarden;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import org.pgwarden.app.CliContext;
import org.pgwarden.app.PgwardenCli;

/** Arguments in, exit code out; everything else happens in {@code app}. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        CliContext context = new CliContext(System.getenv(),
                new PrintWriter(System.out, true, StandardCharsets.UTF_8),
                new PrintWriter(System.err, true, StandardCharsets.UTF_8),
                Clock.systemUTC());
        System.exit(new PgwardenCli(context).execute(args));
    }
}
