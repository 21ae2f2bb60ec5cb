package org.pgwarden.walclient;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The two settings the fast client needs ({@code wal.socket}, {@code wal.client-timeout}), read
 * with {@link PlainYamlSection} so that no YAML library is loaded on the archive_command path; empty
 * whenever that reader is unsure, or a value is not in the simple form read here, and the caller
 * takes the full path, whose loader reads YAML properly and validates everything.
 */
public record ClientSettings(Path socket, Duration timeout) {
    static final Path DEFAULT_SOCKET = Path.of("/run/pgwarden/wal.sock");
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    /** Reads {@code file}; empty when the file cannot be read or the reader is unsure. */
    public static Optional<ClientSettings> read(Path file) {
        try {
            return parse(Files.readAllLines(file, StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    static Optional<ClientSettings> parse(List<String> lines) {
        Optional<Map<String, String>> wal = PlainYamlSection.read(lines, "wal");
        if (wal.isEmpty()) {
            return Optional.empty();
        }
        Path socket = DEFAULT_SOCKET;
        Duration timeout = DEFAULT_TIMEOUT;
        String s = wal.get().get("socket");
        if (s != null) {
            if (!s.startsWith("/")) {
                return Optional.empty();
            }
            socket = Path.of(s);
        }
        String t = wal.get().get("client-timeout");
        if (t != null) {
            Optional<Duration> d = duration(t);
            if (d.isEmpty()) {
                return Optional.empty();
            }
            timeout = d.get();
        }
        // other wal settings concern the daemon only
        return Optional.of(new ClientSettings(socket, timeout));
    }

    /** The simple forms {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}; empty for the rest. */
    static Optional<Duration> duration(String v) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("([0-9]{1,9})(ms|s|m|h)").matcher(v);
        if (!m.matches()) {
            return Optional.empty();
        }
        long n = Long.parseLong(m.group(1));
        Duration d = switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
        return d.isZero() ? Optional.empty() : Optional.of(d);
    }
}
