package org.pgwarden.handover;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.pgwarden.walclient.FullCommandLine;
import org.pgwarden.walclient.PlainYamlSection;

/**
 * The entry point of {@code pgwarden backup} and {@code pgwarden restore}, kept to JDK classes: when
 * the daemon of the configuration answers, it sends the command line as typed to
 * {@code POST /api/v1/commands} (the daemon parses and checks it with the command's own code and
 * starts the run), and only then loads the full command line to follow the run. A fresh JVM spends
 * about a quarter of a second on the option parser, the configuration loader and logging; here
 * that time overlaps the run instead of delaying it.
 *
 * <p>Everything it is not sure of goes to the full command line in this same JVM, which knows every
 * case and says what is wrong: options that keep the run here ({@code --in-process},
 * {@code --dry-run}, {@code --safety-backup}), help, a configuration its small reader is unsure
 * of, no admin API, an unreadable token, no daemon answering, and any refusal, bad options
 * included (the full command line then reports them as it always does).
 */
public final class HandOverClient {
    private static final String FOLLOWER = "org.pgwarden.app.HandOverFollower";
    private static final String DEFAULT_LISTEN = "127.0.0.1:9816";
    private static final int CONNECT_TIMEOUT_MILLIS = 5_000;
    private static final int READ_TIMEOUT_MILLIS = 30_000;
    /** As the admin API requires: shorter or odd tokens go to the full path, which explains them. */
    private static final int MIN_TOKEN_LENGTH = 16;

    private HandOverClient() {
    }

    /** {@code [--config FILE] (backup|restore) ARGS...}, when nothing in ARGS keeps the run here. */
    record Invocation(Optional<String> config, String command, List<String> args) {
        static Optional<Invocation> parse(String[] argv) {
            String config = null;
            int i = 0;
            if (i + 1 < argv.length && argv[i].equals("--config")) {
                config = argv[i + 1];
                i += 2;
            } else if (i < argv.length && argv[i].startsWith("--config=")) {
                config = argv[i].substring("--config=".length());
                i += 1;
            }
            if (i >= argv.length || !argv[i].equals("backup") && !argv[i].equals("restore")) {
                return Optional.empty();
            }
            List<String> args = List.of(argv).subList(i + 1, argv.length);
            for (String a : args) {
                // short options (-h, -V) and @files (read relative to the daemon's directory) stay here
                if (a.startsWith("-") && !a.startsWith("--") || a.startsWith("@") || a.equals("--config")
                        || a.startsWith("--config=") || keepsTheRunHere(a)) {
                    return Optional.empty();
                }
            }
            return Optional.of(new Invocation(Optional.ofNullable(config), argv[i], args));
        }

        private static boolean keepsTheRunHere(String arg) {
            for (String option : new String[]{"--in-process", "--dry-run", "--safety-backup", "--help", "--version"}) {
                if (arg.startsWith(option) && (arg.length() == option.length() || arg.charAt(option.length()) == '=')) {
                    return true;
                }
            }
            return false;
        }
    }

    /** Where the admin API is and its token, from {@code admin.listen} and {@code admin.token-file}. */
    record Daemon(String base, Path tokenFile) {
        /** Empty when the file has no admin API or the small reader is unsure of it. */
        static Optional<Daemon> of(List<String> configLines) {
            Optional<Map<String, String>> admin = PlainYamlSection.read(configLines, "admin");
            if (admin.isEmpty() || admin.get().get("token-file") == null
                    || !admin.get().get("token-file").startsWith("/")) {
                return Optional.empty();
            }
            String listen = admin.get().getOrDefault("listen", DEFAULT_LISTEN);
            int colon = listen.lastIndexOf(':');
            if (colon <= 0 || !listen.substring(colon + 1).matches("[1-9][0-9]{0,4}")
                    || Integer.parseInt(listen.substring(colon + 1)) > 65535) {
                return Optional.empty();
            }
            String host = listen.substring(0, colon);
            if (host.equals("0.0.0.0") || host.equals("[::]")) {
                host = "127.0.0.1";
            } else if (!host.matches("[0-9.]+|localhost|\\[[0-9a-fA-F:.]+\\]")) {
                return Optional.empty();
            }
            String base = new StringBuilder("http://").append(host).append(':').append(listen, colon + 1,
                    listen.length()).toString();
            return Optional.of(new Daemon(base, Path.of(admin.get().get("token-file"))));
        }
    }

    /** The daemon may have the run but did not say so: starting it here as well could run it twice. */
    public static final class NoAnswer extends RuntimeException {
        NoAnswer(String message) {
            super(message);
        }
    }

    public static void main(String[] argv) {
        // Plain code, no lambdas or string concatenation on the path of a hand-over: each first use
        // of those spins up method-handle machinery that costs milliseconds at start-up.
        Optional<Integer> code;
        try {
            code = handOver(argv, System.getenv("PGWARDEN_CONFIG"), Path.of("").toAbsolutePath());
        } catch (NoAnswer e) {
            System.err.println("pgwarden: error: " + e.getMessage());
            System.exit(3);
            return;
        }
        if (code.isPresent()) {
            System.exit(code.get());
        }
        FullCommandLine.run(argv);
    }

    /**
     * The exit code of the run the daemon took, or empty when the full command line must decide.
     *
     * @throws NoAnswer when the daemon may have the run but its answer was lost
     */
    public static Optional<Integer> handOver(String[] argv, String configFromEnvironment, Path workingDirectory) {
        Optional<Invocation> call = Invocation.parse(argv);
        if (call.isEmpty()) {
            return Optional.empty();
        }
        String configFile = call.get().config().orElse(configFromEnvironment);
        if (configFile == null || configFile.isEmpty()) {
            return Optional.empty();
        }
        Optional<Daemon> daemon;
        String token;
        try {
            daemon = Daemon.of(Files.readAllLines(workingDirectory.resolve(configFile), StandardCharsets.UTF_8));
            if (daemon.isEmpty()) {
                return Optional.empty();
            }
            token = Files.readString(daemon.get().tokenFile(), StandardCharsets.UTF_8).strip();
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // the full command line names the file and what is wrong with it
        }
        if (!usable(token)) {
            return Optional.empty();
        }
        String request = new StringBuilder("{\"command\":").append(json(call.get().command()))
                .append(",\"args\":").append(json(call.get().args()))
                .append(",\"cwd\":").append(json(workingDirectory.toString())).append('}').toString();
        Optional<String> accepted = post(daemon.get().base().concat("/api/v1/commands"), token, request);
        if (accepted.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(follow(call.get().command(), daemon.get(), accepted.get()));
    }

    /**
     * The body of a 202; empty for no answer or any other status (nothing was started). Throws only
     * when the request may have reached the daemon but its answer did not come back: going on
     * alone then could run the same backup or restore twice.
     */
    private static Optional<String> post(String url, String token, String json) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        HttpURLConnection c;
        try {
            // The admin API listens on this host: no proxy, whatever the environment configures.
            c = (HttpURLConnection) URI.create(url).toURL().openConnection(Proxy.NO_PROXY);
            c.setConnectTimeout(CONNECT_TIMEOUT_MILLIS);
            c.setReadTimeout(READ_TIMEOUT_MILLIS);
            c.setRequestMethod("POST");
            c.setRequestProperty("Authorization", "Bearer ".concat(token));
            c.setRequestProperty("Content-Type", "application/json");
            c.setDoOutput(true);
            c.setFixedLengthStreamingMode(body.length);
            c.connect();
        } catch (IOException e) {
            return Optional.empty();
        }
        try {
            try (OutputStream out = c.getOutputStream()) {
                out.write(body);
            }
            int status = c.getResponseCode();
            try (InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
                String text = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
                return status == 202 ? Optional.of(text) : Optional.empty();
            }
        } catch (ConnectException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new NoAnswer("the daemon on " + url + " did not answer the hand-over ("
                    + e.getClass().getSimpleName() + "); see 'pgwarden jobs' for whether the run started");
        }
    }

    /** Follows the accepted run with the full command line's code, loaded only now. */
    private static int follow(String command, Daemon daemon, String accepted) {
        try {
            return (Integer) Class.forName(FOLLOWER)
                    .getMethod("follow", String.class, String.class, String.class, String.class)
                    .invoke(null, command, daemon.base(), daemon.tokenFile().toString(), accepted);
        } catch (InvocationTargetException e) {
            System.err.println("pgwarden: error: " + e.getCause());
            return 1;
        } catch (ReflectiveOperationException e) {
            System.err.println("pgwarden: error: unable to load the command line (" + e
                    + "); HINT: the class path must hold target/pgwarden.jar and target/lib");
            return 2;
        }
    }

    /** As the admin API accepts a token: printable, no spaces, long enough. */
    private static boolean usable(String token) {
        if (token.length() < MIN_TOKEN_LENGTH) {
            return false;
        }
        for (int i = 0; i < token.length(); i++) {
            if (token.charAt(i) <= ' ' || token.charAt(i) > '~') {
                return false;
            }
        }
        return true;
    }

    static String json(List<String> values) {
        StringBuilder b = new StringBuilder("[");
        for (String v : values) {
            b.append(b.length() > 1 ? "," : "").append(json(v));
        }
        return b.append(']').toString();
    }

    static String json(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
