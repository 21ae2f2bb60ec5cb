package org.pgwarden.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Dockerfile builds from what the checkout and the Maven build provide, and the image
 * keeps the launcher's layout. No Docker engine is needed: the Dockerfile is parsed, and the
 * launcher it uses as ENTRYPOINT is run from the built checkout.
 */
class DockerfileIT {

    /** Where the image puts the distribution; below it, the layout of a built checkout. */
    private static final String INSTALL_ROOT = "/opt/pgwarden/";

    private static Path root;
    private static List<Stage> stages;

    @BeforeAll
    static void givenDockerfile() throws IOException {
        root = OpsFixture.repoRoot();
        stages = parse(Files.readString(root.resolve("Dockerfile")));
        assertThat(stages).as("stages of the Dockerfile").hasSizeGreaterThanOrEqualTo(2);
    }

    @Test
    void buildStageRunsMavenPackage() {
        Stage build = stages.get(0);
        assertThat(build.image()).startsWith("maven:3.9-eclipse-temurin-17");
        assertThat(build.all("RUN")).anyMatch(run -> run.contains("mvn -B -DskipTests package")
                // the image must not fall back to the JVM wal-push client silently
                && run.contains("-Dpgwarden.native.required=true"));
        for (String copy : build.all("COPY")) {
            for (String source : Copy.of(copy).sources()) {
                assertThat(root.resolve(source)).as("build stage COPY source '%s'", source).exists();
                assertThat(ignoredByDockerignore(source)).as(".dockerignore excludes '%s'", source).isFalse();
            }
        }
    }

    @Test
    void everyFinalStageCopySourceExistsAfterTheBuild() {
        Stage last = stages.get(stages.size() - 1);
        List<String> copies = last.all("COPY");
        assertThat(copies).isNotEmpty();
        List<String> copied = new ArrayList<>();
        for (String instruction : copies) {
            Copy copy = Copy.of(instruction);
            for (String source : copy.sources()) {
                String repoPath = copy.from() == null ? source : repoPathOfStageFile(copy.from(), source);
                assertThat(root.resolve(repoPath))
                        .as("COPY source '%s' (checkout path '%s') must exist after 'mvn package'", source, repoPath)
                        .exists();
                if (copy.from() == null) {
                    assertThat(ignoredByDockerignore(repoPath)).as(".dockerignore excludes '%s'", repoPath)
                            .isFalse();
                }
                // The launcher finds the jar relative to itself: the image must keep the checkout layout.
                assertThat(stripSlash(copy.destination()))
                        .as("destination of '%s'", source)
                        .isEqualTo(stripSlash(INSTALL_ROOT + repoPath));
                copied.add(stripSlash(repoPath));
            }
        }
        assertThat(copied).contains("target/pgwarden.jar", "target/lib", "target/pgwarden-wal-push", "bin/pgwarden",
                "bin/jit-short-lived.json",
                "config");
    }

    @Test
    void finalStageRunsAsNonRootWithHealthCheckAndLauncher() {
        Stage last = stages.get(stages.size() - 1);
        assertThat(last.image()).startsWith("eclipse-temurin:17-jre");

        List<String> users = last.all("USER");
        assertThat(users).as("USER in the final stage").isNotEmpty();
        String user = users.get(users.size() - 1).split(":")[0];
        assertThat(user).isNotIn("root", "0");

        assertThat(last.all("HEALTHCHECK")).singleElement().asString()
                .contains("curl -fsS http://127.0.0.1:9816/health/live");

        assertThat(jsonArray(last.single("ENTRYPOINT"))).containsExactly(INSTALL_ROOT + "bin/pgwarden");
        assertThat(jsonArray(last.single("CMD")))
                .containsExactly("--config", "/etc/pgwarden/pgwarden.yaml", "daemon");
    }

    /** Needs the application's command line: the ENTRYPOINT's launcher run from the built checkout. */
    @Test
    void launcherFromTheBuiltDistributionPrintsUsage() {
        assertThat(root.resolve("target/pgwarden.jar")).as("built jar; run 'mvn package' first").isRegularFile();

        OpsFixture.Result result = OpsFixture.run(root, List.of(root.resolve("bin/pgwarden").toString(), "--help"));

        assertThat(result.exitCode()).as(result.describe()).isZero();
        assertThat(result.output()).as(result.describe()).contains("Usage:");
    }

    /** Maps a path inside an earlier stage to the checkout path it was built at. */
    private static String repoPathOfStageFile(String stageName, String path) {
        Stage stage = stages.stream().filter(s -> stageName.equals(s.name())).findFirst()
                .orElseThrow(() -> new AssertionError("COPY --from='" + stageName + "' names no stage"));
        String workdir = stage.all("WORKDIR").stream().reduce((a, b) -> b)
                .orElseThrow(() -> new AssertionError("stage '" + stageName + "' has no WORKDIR"));
        String prefix = workdir.endsWith("/") ? workdir : workdir + "/";
        assertThat(path).as("path copied from stage '%s'", stageName).startsWith(prefix);
        return path.substring(prefix.length());
    }

    private static boolean ignoredByDockerignore(String repoPath) {
        Path ignore = root.resolve(".dockerignore");
        if (!Files.exists(ignore)) {
            return false;
        }
        String top = stripSlash(repoPath).split("/")[0];
        try {
            return Files.readAllLines(ignore).stream()
                    .map(String::strip)
                    .filter(line -> !line.isEmpty() && !line.startsWith("#") && !line.startsWith("!"))
                    .map(DockerfileIT::stripSlash)
                    .anyMatch(pattern -> pattern.equals(top) || pattern.equals(stripSlash(repoPath)));
        } catch (IOException e) {
            throw new AssertionError("unable to read .dockerignore", e);
        }
    }

    private static List<String> jsonArray(String value) {
        try {
            return new ObjectMapper().readValue(value, new TypeReference<List<String>>() { });
        } catch (IOException e) {
            throw new AssertionError("expected the exec (JSON array) form, got '" + value + "'", e);
        }
    }

    private static String stripSlash(String path) {
        String p = path.startsWith("./") ? path.substring(2) : path;
        return p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }

    /** Instructions of the Dockerfile grouped by stage; continuation lines joined, comments dropped. */
    private static List<Stage> parse(String text) {
        List<Stage> result = new ArrayList<>();
        StringBuilder pending = new StringBuilder();
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            if (line.startsWith("#") || (line.isEmpty() && pending.length() == 0)) {
                continue;
            }
            if (line.endsWith("\\")) {
                pending.append(line, 0, line.length() - 1).append(' ');
                continue;
            }
            pending.append(line);
            String instruction = pending.toString().strip();
            pending.setLength(0);
            if (instruction.isEmpty()) {
                continue;
            }
            String[] parts = instruction.split("\\s+", 2);
            String keyword = parts[0].toUpperCase(Locale.ROOT);
            String args = parts.length > 1 ? parts[1].strip() : "";
            if (keyword.equals("FROM")) {
                String[] from = args.split("\\s+");
                String name = from.length >= 3 && from[1].equalsIgnoreCase("AS") ? from[2] : null;
                result.add(new Stage(from[0], name, new ArrayList<>()));
            } else {
                assertThat(result).as("'%s' before the first FROM", keyword).isNotEmpty();
                result.get(result.size() - 1).instructions().add(new Instruction(keyword, args));
            }
        }
        return result;
    }

    private record Instruction(String keyword, String args) {
    }

    private record Stage(String image, String name, List<Instruction> instructions) {
        List<String> all(String keyword) {
            return instructions.stream().filter(i -> i.keyword().equals(keyword)).map(Instruction::args).toList();
        }

        String single(String keyword) {
            List<String> found = all(keyword);
            assertThat(found).as("%s in stage '%s'", keyword, image).hasSize(1);
            return found.get(0);
        }
    }

    /** A COPY instruction: its --from stage (or null for the build context), sources and destination. */
    private record Copy(String from, List<String> sources, String destination) {
        static Copy of(String args) {
            List<String> words = new ArrayList<>(Arrays.asList(args.split("\\s+")));
            String from = null;
            while (!words.isEmpty() && words.get(0).startsWith("--")) {
                String flag = words.remove(0);
                if (flag.startsWith("--from=")) {
                    from = flag.substring("--from=".length());
                }
            }
            if (!words.isEmpty() && words.get(0).startsWith("[")) {
                words = jsonArray(String.join(" ", words));
            }
            assertThat(words).as("COPY %s", args).hasSizeGreaterThanOrEqualTo(2);
            return new Copy(from, List.copyOf(words.subList(0, words.size() - 1)), words.get(words.size() - 1));
        }
    }
}
