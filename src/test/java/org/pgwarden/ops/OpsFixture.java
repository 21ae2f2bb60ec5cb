package org.pgwarden.ops;

import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Helpers shared by the operations tests: the repository root, external tools and running them.
 * A missing tool fails the test with a message saying how to install it; it never skips.
 */
final class OpsFixture {

    /** Upper bound for one external command (the launcher may build the jar first). */
    private static final long TIMEOUT_SECONDS = 300;

    private OpsFixture() {
    }

    /** The checkout the tests run in: the parent of Maven's build directory, else the working directory. */
    static Path repoRoot() {
        String distribution = System.getProperty("pgwarden.distribution");
        Path root = distribution != null && !distribution.isBlank()
                ? Path.of(distribution).toAbsolutePath().getParent()
                : Path.of("").toAbsolutePath();
        if (!Files.isRegularFile(root.resolve("pom.xml"))) {
            fail("cannot find the repository root (no pom.xml in '" + root + "')");
        }
        return root;
    }

    /** The absolute path of {@code tool} on PATH; fails the test when it is not installed. */
    static Path requireTool(String tool) {
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, tool);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return fail("'" + tool + "' is not installed (not found on PATH); run 'bin/install-deps test' first");
    }

    /** Runs a command in {@code dir}, stdout and stderr merged, and waits for it (bounded). */
    static Result run(Path dir, List<String> command) {
        return run(dir, command, Map.of());
    }

    static Result run(Path dir, List<String> command, Map<String, String> environment) {
        try {
            Path output = Files.createTempFile("pgwarden-ops-", ".out");
            try {
                ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(command))
                        .directory(dir.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(output.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
                builder.environment().putAll(environment);
                Process process = builder.start();
                if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(10, TimeUnit.SECONDS);
                    return fail("'" + String.join(" ", command) + "' did not finish within "
                            + TIMEOUT_SECONDS + "s; output so far:\n"
                            + Files.readString(output, StandardCharsets.UTF_8));
                }
                return new Result(command, process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(output);
            }
        } catch (IOException e) {
            return fail("unable to run '" + String.join(" ", command) + "': " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted while running '" + String.join(" ", command) + "'", e);
        }
    }

    /** What a finished command returned. */
    record Result(List<String> command, int exitCode, String output) {
        /** A description for assertion messages. */
        String describe() {
            return "'" + String.join(" ", command) + "' exited " + exitCode + " with output:\n" + output;
        }
    }
}
