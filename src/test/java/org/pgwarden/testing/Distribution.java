package org.pgwarden.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Runs the built distribution ({@code bin/pgwarden} over {@code target/pgwarden.jar}) as a real
 * process, as an operator or systemd would, and reads its output line by line.
 */
public final class Distribution implements AutoCloseable {
    private final Process process;
    private final Path output;
    private int consumed;

    private Distribution(Process process, Path output) {
        this.process = process;
        this.output = output;
    }

    public static Path launcher() {
        Path p = Path.of("bin", "pgwarden").toAbsolutePath();
        if (!Files.isExecutable(p) || !Files.exists(Path.of("target", "pgwarden.jar"))) {
            throw new AssertionError("the distribution is not built: run 'mvn package' (bin/pgwarden, target/pgwarden.jar)");
        }
        return p;
    }

    /**
     * Starts {@code bin/pgwarden args...} with stdout and stderr merged into a file (reading the
     * pipe directly races with the JDK closing it when the process exits, losing the last lines).
     */
    public static Distribution start(Map<String, String> env, List<String> args) throws IOException {
        return start(env, List.of(), args);
    }

    /**
     * As {@link #start(Map, List)} as the {@code postgres} OS user when the tests run as root, the
     * way systemd runs the daemon (a socket of mode 0600 only that user may use).
     */
    public static Distribution startAsPostgres(Map<String, String> env, List<String> args) throws IOException {
        boolean switchUser = org.pgwarden.adapter.process.ProcessRunner.forCurrentUser().switchesToPostgresUser();
        return start(env, switchUser ? List.of("runuser", "-u", "postgres", "--") : List.of(), args);
    }

    private static Distribution start(Map<String, String> env, List<String> prefix, List<String> args)
            throws IOException {
        List<String> command = new java.util.ArrayList<>(prefix);
        command.add(launcher().toString());
        command.addAll(args);
        Path output = Files.createTempFile("pgwarden-output-", ".log");
        output.toFile().deleteOnExit();
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(output.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
        pb.environment().putAll(env);
        if (!prefix.isEmpty()) {
            // The other user writes the transcript too.
            output.toFile().setWritable(true, false);
        }
        return new Distribution(pb.start(), output);
    }

    /** Waits for a line matching {@code wanted} after the last one returned; fails with the transcript otherwise. */
    public String awaitLine(Predicate<String> wanted, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            boolean alive = process.isAlive();
            List<String> lines = transcript().lines().toList();
            // The last line may still be half written unless the process has ended.
            int complete = alive && !transcript().endsWith("\n") ? lines.size() - 1 : lines.size();
            for (; consumed < complete; consumed++) {
                if (wanted.test(lines.get(consumed))) {
                    return lines.get(consumed++);
                }
            }
            if (!alive || System.nanoTime() > deadline) {
                throw new AssertionError("no matching line within " + timeout.toSeconds() + "s"
                        + (alive ? "" : " (process exited with " + process.exitValue() + ")") + "; output:\n"
                        + transcript());
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
    }

    /** Sends SIGTERM (what systemd sends) and waits for the exit code. */
    public int terminate(Duration timeout) throws InterruptedException {
        process.destroy();
        return waitFor(timeout);
    }

    public int waitFor(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("process did not exit within " + timeout.toSeconds() + "s; output:\n"
                    + transcript());
        }
        return process.exitValue();
    }

    public long pid() {
        return process.pid();
    }

    /** Everything the process printed so far. */
    public String transcript() {
        try {
            return Files.readString(output, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError("unable to read the process output: " + e, e);
        }
    }

    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            Files.deleteIfExists(output);
        } catch (IOException e) {
            // a leftover temp file is harmless; deleteOnExit retries
        }
    }
}
