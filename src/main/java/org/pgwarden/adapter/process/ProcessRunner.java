package org.pgwarden.adapter.process;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs PostgreSQL's programs with a timeout and a bounded capture of their output. When the JVM
 * runs as root the program runs as the {@code postgres} OS user through {@code runuser}, because
 * the server and its tools refuse to run as root.
 */
public final class ProcessRunner {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessRunner.class);
    /** The OS user PostgreSQL's Debian packages create. */
    public static final String POSTGRES_USER = "postgres";
    /** Lines of output kept; older ones are dropped so a chatty program cannot fill the heap. */
    private static final int KEPT_LINES = 200;
    /** Lines quoted in an error message. */
    private static final int QUOTED_LINES = 15;
    /** Characters kept of one line. */
    private static final int MAX_LINE = 1000;

    /** What a finished program left behind. */
    public record Result(int exitCode, List<String> lastLines) {
        public String output() {
            return String.join("\n", lastLines);
        }
    }

    private final boolean switchUser;

    private ProcessRunner(boolean switchUser) {
        this.switchUser = switchUser;
    }

    /** Runs as {@code postgres} when this JVM runs as root, as the current user otherwise. */
    public static ProcessRunner forCurrentUser() {
        return new ProcessRunner(runningAsRoot());
    }

    /** Whether programs are started through {@code runuser -u postgres}. */
    public boolean switchesToPostgresUser() {
        return switchUser;
    }

    /** The effective uid is 0; read from the owner of {@code /proc/self}, with the user name as fallback. */
    static boolean runningAsRoot() {
        try {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            return Integer.valueOf(0).equals(uid);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    /**
     * Runs {@code command} and fails unless it exits with 0.
     *
     * @throws PgwardenException {@code PG_PROCESS_FAILED} with the exit code and the last lines of output
     */
    public Result run(List<String> command, Path workingDirectory, Duration timeout) {
        Result r = runAllowingFailure(command, workingDirectory, timeout);
        if (r.exitCode() != 0) {
            throw new PgwardenException(ErrorCode.PG_PROCESS_FAILED,
                    "'" + programName(command) + "' exited with code " + r.exitCode() + "; last output:\n"
                            + tail(r.lastLines()), "command: " + String.join(" ", command), null);
        }
        return r;
    }

    /** Runs {@code command} and returns its exit code and output; fails only when it cannot run or times out. */
    public Result runAllowingFailure(List<String> command, Path workingDirectory, Duration timeout) {
        List<String> full = new ArrayList<>();
        if (switchUser) {
            full.addAll(List.of("runuser", "-u", POSTGRES_USER, "--"));
        }
        full.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(full)
                .directory(workingDirectory.toFile())
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        // messages are parsed by people, not code, but keep them in one language
        Map<String, String> env = pb.environment();
        env.put("LC_MESSAGES", "C");
        LOG.debug("running {}", full);
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.PG_PROCESS_FAILED,
                    "unable to start '" + full.get(0) + "': " + e.getMessage(), e);
        }
        OutputTail tail = new OutputTail(process.getInputStream());
        Thread reader = new Thread(tail, "output-" + programName(command));
        reader.setDaemon(true);
        reader.start();
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
                reader.join(1000);
                throw new PgwardenException(ErrorCode.PG_PROCESS_FAILED,
                        "'" + programName(command) + "' did not finish within " + timeout.toSeconds()
                                + "s and was killed; last output:\n" + tail(tail.lines()),
                        "command: " + String.join(" ", command), null);
            }
            // a program that leaves a child holding its output open must not hang us
            reader.join(2000);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new PgwardenException(ErrorCode.CANCELLED,
                    "interrupted while waiting for '" + programName(command) + "'", e);
        }
        return new Result(process.exitValue(), tail.lines());
    }

    private static String programName(List<String> command) {
        return Path.of(command.get(0)).getFileName().toString();
    }

    private static String tail(List<String> lines) {
        List<String> last = lines.subList(Math.max(0, lines.size() - QUOTED_LINES), lines.size());
        return last.isEmpty() ? "  (no output)" : "  " + String.join("\n  ", last);
    }

    /** Drains a stream, keeping only the last lines. */
    private static final class OutputTail implements Runnable {
        private final InputStream in;
        private final Deque<String> lines = new ArrayDeque<>();

        OutputTail(InputStream in) {
            this.in = in;
        }

        @Override
        public void run() {
            try (var reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                // read by character so one endless line cannot grow without bound either
                StringBuilder line = new StringBuilder();
                int ch;
                while ((ch = reader.read()) != -1) {
                    if (ch == '\n') {
                        keep(line.toString());
                        line.setLength(0);
                    } else if (line.length() < MAX_LINE) {
                        line.append((char) ch);
                    }
                }
                if (line.length() > 0) {
                    keep(line.toString());
                }
            } catch (IOException e) {
                // the stream closes when the process is killed; what was read is still reported
                keep("(output ended: " + e.getMessage() + ")");
            }
        }

        private void keep(String line) {
            synchronized (lines) {
                if (lines.size() == KEPT_LINES) {
                    lines.removeFirst();
                }
                lines.addLast(line);
            }
        }

        List<String> lines() {
            synchronized (lines) {
                return List.copyOf(lines);
            }
        }
    }
}
