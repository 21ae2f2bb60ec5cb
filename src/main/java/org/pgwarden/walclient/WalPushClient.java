package org.pgwarden.walclient;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The archive_command entry point ({@code pgwarden wal-push %p}), kept to JDK classes so that a
 * call costs a JVM start and a socket round trip, not the loading of the AWS SDK, Jackson or
 * Logback. It hands the file to the daemon; when no daemon listens it runs the full command in
 * this same JVM with {@code --direct}, so archiving never depends on the daemon. Anything it does
 * not recognise (other commands, {@code --help}, a configuration it is unsure how to read) also
 * goes to the full command, which knows every case.
 */
public final class WalPushClient {

    private WalPushClient() {
    }

    /** {@code [--config FILE] wal-push PATH}, decoded; empty for any other shape. */
    record Invocation(Optional<String> config, String path) {
        static Optional<Invocation> parse(String[] args) {
            String config = null;
            int i = 0;
            if (i < args.length && args[i].equals("--config") && i + 1 < args.length) {
                config = args[i + 1];
                i += 2;
            } else if (i < args.length && args[i].startsWith("--config=")) {
                config = args[i].substring("--config=".length());
                i += 1;
            }
            if (args.length != i + 2 || !args[i].equals("wal-push") || args[i + 1].startsWith("-")) {
                return Optional.empty();
            }
            return Optional.of(new Invocation(Optional.ofNullable(config), args[i + 1]));
        }
    }

    public static void main(String[] args) {
        // Plain code, no lambdas or string concatenation on the path of a successful call: each
        // first use of those spins up method-handle machinery that costs milliseconds at start-up.
        Optional<Invocation> call = Invocation.parse(args);
        String configFile = call.isEmpty() ? null : call.get().config().orElse(System.getenv("PGWARDEN_CONFIG"));
        Optional<ClientSettings> settings = configFile == null || configFile.isEmpty() ? Optional.empty()
                : ClientSettings.read(Path.of(configFile));
        if (settings.isEmpty()) {
            FullCommandLine.run(args);
            return;
        }
        String path = Path.of(call.get().path()).toAbsolutePath().normalize().toString();
        WalProtocol.Answer answer;
        try {
            answer = DaemonConnection.push(settings.get().socket(), path, settings.get().timeout());
        } catch (DaemonConnection.NotRunning e) {
            System.err.println("pgwarden: " + e.getMessage() + "; pushing '" + call.get().path() + "' directly");
            FullCommandLine.run(direct(args));
            return;
        }
        if (!answer.ok()) {
            System.err.println("pgwarden: error: " + answer.text());
        }
        System.exit(answer.exitCode());
    }

    /** The same arguments with {@code --direct} after {@code wal-push}. */
    static String[] direct(String[] args) {
        List<String> out = new ArrayList<>(List.of(args));
        out.add(out.indexOf("wal-push") + 1, "--direct");
        return out.toArray(String[]::new);
    }
}
