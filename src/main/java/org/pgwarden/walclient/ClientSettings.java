package org.pgwarden.walclient;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The two settings the fast client needs ({@code wal.socket}, {@code wal.client-timeout}), read
 * from the YAML file with a deliberately small line reader so that no YAML library is loaded on
 * the archive_command path. It understands only plain block style: a top-level {@code wal:} line
 * and indented {@code key: value} lines under it. Anything it is unsure about (flow style, anchors,
 * tags, multi-line values, escapes, tabs, quoted keys, white space other than spaces) makes it
 * answer empty, and the caller takes the full path, whose loader reads YAML properly and validates
 * everything. The native client ({@code src/main/c/wal-push.c}) follows the same rules; change both.
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
        Path socket = DEFAULT_SOCKET;
        Duration timeout = DEFAULT_TIMEOUT;
        boolean inWal = false;
        boolean seenWal = false;
        int childIndent = -1;
        for (String raw : lines) {
            if (!plainText(raw) || raw.startsWith("%") || raw.startsWith("---") && seenWal) {
                return Optional.empty();
            }
            String line = stripComment(raw);
            if (line == null) {
                return Optional.empty();
            }
            if (line.isBlank() || line.equals("---")) {
                continue;
            }
            int indent = line.length() - line.stripLeading().length();
            String text = line.strip();
            if (indent == 0) {
                inWal = false;
                if (text.startsWith("\"wal\"") || text.startsWith("'wal'")
                        || text.startsWith("wal") && (text.length() == 3 || !keyChar(text.charAt(3)))) {
                    if (seenWal || !text.equals("wal:")) {
                        return Optional.empty(); // a repeated key, an inline/flow value or an unusual spelling
                    }
                    inWal = seenWal = true;
                    childIndent = -1;
                }
                continue;
            }
            if (!inWal) {
                continue;
            }
            if (childIndent < 0) {
                childIndent = indent;
            }
            if (indent != childIndent) {
                return Optional.empty(); // nested values under wal: are not ours to guess
            }
            int colon = text.indexOf(": ");
            String key = colon < 0 ? (text.endsWith(":") ? text.substring(0, text.length() - 1) : text)
                    : text.substring(0, colon);
            if (key.isEmpty() || !key.chars().allMatch(ClientSettings::keyChar)) {
                return Optional.empty(); // a quoted or unusual key the full loader may read as one of ours
            }
            String value = colon < 0 ? "" : text.substring(colon + 2).strip();
            Optional<String> plain = plainScalar(value);
            if (plain.isEmpty()) {
                return Optional.empty();
            }
            switch (key) {
                case "socket" -> {
                    if (!plain.get().startsWith("/")) {
                        return Optional.empty();
                    }
                    socket = Path.of(plain.get());
                }
                case "client-timeout" -> {
                    Optional<Duration> d = duration(plain.get());
                    if (d.isEmpty()) {
                        return Optional.empty();
                    }
                    timeout = d.get();
                }
                default -> {
                    // other wal settings concern the daemon only
                }
            }
        }
        return Optional.of(new ClientSettings(socket, timeout));
    }

    /**
     * True when space is the only white space in the line and it holds no control character or
     * byte-order mark: then "white space" means the same here, in {@link String#strip()} and in YAML.
     */
    private static boolean plainText(String line) {
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c != ' ' && (Character.isWhitespace(c) || Character.isISOControl(c) || c == '\uFEFF')) {
                return false;
            }
        }
        return true;
    }

    private static boolean keyChar(int c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_';
    }

    /** The line without a trailing comment; null when a quote makes that ambiguous. */
    private static String stripComment(String line) {
        int hash = line.indexOf(" #");
        if (line.stripLeading().startsWith("#")) {
            return "";
        }
        String s = hash < 0 ? line : line.substring(0, hash);
        return s.stripTrailing();
    }

    /** A value written without quotes or YAML syntax; empty for anything fancier. */
    private static Optional<String> plainScalar(String v) {
        if (v.isEmpty()) {
            return Optional.empty();
        }
        if (v.length() >= 2 && v.charAt(0) == '\'' && v.endsWith("'") && v.indexOf('\'', 1) == v.length() - 1) {
            return Optional.of(v.substring(1, v.length() - 1));
        }
        if (v.length() >= 2 && v.charAt(0) == '"' && v.endsWith("\"") && v.indexOf('"', 1) == v.length() - 1
                && v.indexOf('\\') < 0) {
            return Optional.of(v.substring(1, v.length() - 1));
        }
        char c = v.charAt(0);
        if ("&*!|>{[\"'@`%".indexOf(c) >= 0 || v.contains(": ")) {
            return Optional.empty();
        }
        return Optional.of(v);
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
