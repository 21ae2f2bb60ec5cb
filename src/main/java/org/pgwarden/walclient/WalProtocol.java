package org.pgwarden.walclient;

import java.util.Optional;

/**
 * The one-line protocol between {@code wal-push} and the daemon, both ways UTF-8 and ending in
 * {@code \n}:
 * <pre>
 *   request:  PUSH /abs/path/to/pg_wal/000000010000000000000003
 *   answer:   OK archived|already-archived|pushed-ahead
 *             ERR &lt;exit code&gt; &lt;one-line message&gt;
 * </pre>
 * One request per connection. {@code OK} is sent only once the file is durably in the repository;
 * the exit code in {@code ERR} is the one the client exits with, so PostgreSQL's log shows the
 * same code a direct push would give.
 */
public final class WalProtocol {
    /** Longest line either side accepts; a WAL path is far shorter (PATH_MAX is 4096). */
    public static final int MAX_LINE = 8192;
    private static final String PUSH = "PUSH ";
    private static final String OK = "OK";
    private static final String ERR = "ERR ";

    private WalProtocol() {
    }

    /** The request line for {@code absolutePath}, without the newline. */
    public static String request(String absolutePath) {
        if (absolutePath.indexOf('\n') >= 0 || absolutePath.indexOf('\r') >= 0 || !absolutePath.startsWith("/")) {
            throw new IllegalArgumentException("a WAL path must be absolute and on one line: '" + absolutePath + "'");
        }
        return PUSH.concat(absolutePath);
    }

    /** The path a request line names, or empty when the line is not a request. */
    public static Optional<String> parseRequest(String line) {
        if (line == null || !line.startsWith(PUSH) || line.length() == PUSH.length()) {
            return Optional.empty();
        }
        String path = line.substring(PUSH.length());
        return path.startsWith("/") && path.indexOf('\r') < 0 ? Optional.of(path) : Optional.empty();
    }

    public static String ok(String detail) {
        return OK + " " + oneLine(detail);
    }

    public static String error(int exitCode, String message) {
        if (exitCode <= 0 || exitCode > 255) {
            throw new IllegalArgumentException("exit code out of range: " + exitCode);
        }
        return ERR + exitCode + " " + oneLine(message);
    }

    /** A decoded answer: {@code exitCode} 0 with a detail, or non-zero with a message. */
    public record Answer(int exitCode, String text) {
        public boolean ok() {
            return exitCode == 0;
        }
    }

    /** Decodes an answer line; a garbled one is an error answer (exit code 1) that says so. */
    public static Answer parseAnswer(String line) {
        if (line == null) {
            return new Answer(1, "the daemon closed the connection without answering");
        }
        if (line.equals(OK) || line.startsWith(OK + " ")) {
            return new Answer(0, line.length() > OK.length() ? line.substring(OK.length() + 1) : "");
        }
        if (line.startsWith(ERR)) {
            int space = line.indexOf(' ', ERR.length());
            if (space > 0) {
                try {
                    int code = Integer.parseInt(line.substring(ERR.length(), space));
                    if (code > 0 && code <= 255) {
                        return new Answer(code, line.substring(space + 1));
                    }
                } catch (NumberFormatException e) {
                    // falls through to the garbled answer below
                }
            }
        }
        return new Answer(1, "unexpected answer from the daemon: '" + oneLine(line) + "'");
    }

    private static String oneLine(String s) {
        return s.replace('\r', ' ').replace('\n', ' ');
    }
}
