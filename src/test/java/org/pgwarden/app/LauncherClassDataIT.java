package org.pgwarden.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgwarden.crypto.LocalKeyFileWrapper;
import org.pgwarden.testing.Distribution;

/**
 * The launcher's class-data archive per CLI command: the first run of a command writes it at exit
 * under a temporary name, the next run puts it in place and uses it, the output never changes, and
 * the java process is exec'd (a kill aimed at the launcher's pid reaches the JVM).
 */
class LauncherClassDataIT {
    @TempDir
    Path dir;

    @Test
    void aCommandWritesItsArchiveOnceAndLaterRunsUseItWithTheSameOutput() throws Exception {
        Path key = dir.resolve("key");
        LocalKeyFileWrapper.generateKeyFile(key);
        Path config = dir.resolve("pgwarden.yaml");
        Files.writeString(config, """
                stanza: cds
                postgres:
                  data-directory: %s
                repository:
                  type: filesystem
                  filesystem:
                    path: %s
                encryption:
                  provider: local
                  local:
                    key-file: %s
                """.formatted(dir.resolve("data"), Files.createDirectories(dir.resolve("repo")), key));
        Path cache = dir.resolve("cache");
        List<String> command = List.of(Distribution.launcher().toString(), "--config", config.toString(), "info",
                "--output", "json");

        Run first = run(command, cache, true);
        assertThat(first.exit).as(first.err).isZero();
        assertThat(new ObjectMapper().readTree(first.out).path("stanza").asText()).isEqualTo("cds");
        assertThat(first.exe).as("the launcher execs java, so its pid is the JVM's").endsWith("/java");
        assertThat(files(cache)).singleElement().asString().matches("cli-info-.*\\.jsa\\.\\d+\\.\\d+\\.tmp");

        Run second = run(command, cache, false);
        assertThat(second.exit).as(second.err).isZero();
        assertThat(second.out).isEqualTo(first.out);
        assertThat(second.err).isEqualTo(first.err);
        assertThat(files(cache)).singleElement().asString().matches("cli-info-.*\\.jsa");

        Run third = run(command, cache, false);
        assertThat(third.out).isEqualTo(first.out);
        assertThat(files(cache)).singleElement().asString().matches("cli-info-.*\\.jsa");
    }

    private record Run(int exit, String out, String err, String exe) {
    }

    private Run run(List<String> command, Path cache, boolean watchExe) throws Exception {
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().put("PGWARDEN_CDS_DIR", cache.toString());
        pb.environment().remove("PGWARDEN_CONFIG");
        pb.environment().remove("PGWARDEN_JAVA_OPTS");
        Process p = pb.start();
        String exe = "";
        if (watchExe) {
            // bash first, java once the launcher has exec'd it, under the same pid
            Path proc = Path.of("/proc", Long.toString(p.pid()), "exe");
            while (p.isAlive() && !exe.endsWith("/java")) {
                try {
                    exe = Files.readSymbolicLink(proc).toString();
                } catch (java.io.IOException e) {
                    break;
                }
                Thread.sleep(5);
            }
        }
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err), exe);
    }

    private static List<String> files(Path d) throws Exception {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(f -> f.getFileName().toString()).filter(n -> n.startsWith("cli-")).sorted().toList();
        }
    }
}
