package org.pgwarden.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Runs the built distribution ({@code bin/pgwarden} over {@code target/pgwarden.jar}) as a real
 * process, as an operator or systemd would, and reads its output line by line.
 */
public final class Distribution implements AutoCloseable {
    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final StringBuffer transcript = new StringBuffer();

    private Distribution(Process process) {
        this.process = process;
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    transcript.append(line).append('\n');
                    lines.add(line);
                }
            } catch (IOException e) {
                transcript.append("[output closed: ").append(e).append("]\n");
            }
        }, "distribution-output");
        reader.setDaemon(true);
        reader.start();
    }

    public static Path launcher() {
        Path p = Path.of("bin", "pgwarden").toAbsolutePath();
        if (!Files.isExecutable(p) || !Files.exists(Path.of("target", "pgwarden.jar"))) {
            throw new AssertionError("the distribution is not built: run 'mvn package' (bin/pgwarden, target/pgwarden.jar)");
        }
        return p;
    }

    /** Starts {@code bin/pgwarden args...} with stdout and stderr merged. */
    public static Distribution start(Map<String, String> env, List<String> args) throws IOException {
        List<String> command = new java.util.ArrayList<>();
        command.add(launcher().toString());
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        return new Distribution(pb.start());
    }

    /** Waits for a line matching {@code wanted}; fails with the transcript otherwise. */
    public String awaitLine(Predicate<String> wanted, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            String line = lines.poll(100, TimeUnit.MILLISECONDS);
            if (line != null && wanted.test(line)) {
                return line;
            }
            if (line == null && !process.isAlive() && lines.isEmpty()) {
                break;
            }
        }
        throw new AssertionError("no matching line within " + timeout.toSeconds() + "s; output so far:\n" + transcript);
    }

    /** Sends SIGTERM (what systemd sends) and waits for the exit code. */
    public int terminate(Duration timeout) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("process did not exit within " + timeout.toSeconds() + "s after SIGTERM; output:\n"
                    + transcript);
        }
        return process.exitValue();
    }

    public int waitFor(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("process did not exit within " + timeout.toSeconds() + "s; output:\n" + transcript);
        }
        Thread.sleep(100);
        return process.exitValue();
    }

    public long pid() {
        return process.pid();
    }

    public String transcript() {
        return transcript.toString();
    }

    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }
}
