package org.pgwarden.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgwarden.testing.Distribution;

/**
 * The launcher gives its short-lived heavy commands (restore, verify, wal-fetch, backup) their JIT
 * directives: the JVM accepts the shipped file, which keeps C2 for the JDK's crypto code and the
 * page checksum only. The daemon keeps C2 everywhere but, like them, reaches it sooner for the
 * JDK's AES-GCM code; other commands run with the JVM's defaults.
 */
class LauncherJitIT {
    @TempDir
    Path dir;

    @Test
    void heavyShortLivedCommandsStartWithTheDirectivesAndOtherCommandsWithout() throws Exception {
        for (String command : List.of("restore", "verify", "wal-fetch", "backup")) {
            String out = help(command, "-XX:+UnlockDiagnosticVMOptions -XX:+DisplayVMOutput -XX:+CompilerDirectivesPrint");
            assertThat(out).as(command).contains("matching: ", "com/sun/crypto/provider/*.*", "Exclude:true")
                    .contains("Usage: pgwarden " + command);
            assertThat(help(command, "")).as("the JVM's note on the directives stays out of the output")
                    .startsWith("Usage: pgwarden " + command).doesNotContain("WARN");
        }
        String info = help("info", "-XX:+UnlockDiagnosticVMOptions -XX:+CompilerDirectivesPrint -XX:+PrintCommandLineFlags");
        assertThat(info).doesNotContain("com/sun/crypto/provider").doesNotContain("com.sun.crypto.provider")
                .contains("Usage: pgwarden info");
        String daemon = help("daemon", "-XX:+UnlockDiagnosticVMOptions -XX:+CompilerDirectivesPrint -XX:+PrintCommandLineFlags");
        assertThat(daemon).as("the daemon: earlier C2 for AES-GCM, no directives")
                .contains("CompileThresholdScaling,com.sun.crypto.provider.*::*,0.05")
                .doesNotContain("Exclude:true").contains("Usage: pgwarden daemon");
    }

    /** {@code pgwarden COMMAND --help} through the launcher, with extra JVM options. */
    private String help(String command, String javaOptions) throws Exception {
        Path out = Files.createTempFile(dir, "out", ".txt");
        ProcessBuilder pb = new ProcessBuilder(Distribution.launcher().toString(), command, "--help")
                .redirectErrorStream(true).redirectOutput(out.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().put("PGWARDEN_CDS_DIR", dir.resolve("cache").toString());
        pb.environment().put("PGWARDEN_JAVA_OPTS", javaOptions);
        Process p = pb.start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String text = Files.readString(out);
        assertThat(p.exitValue()).as(text).isZero();
        return text;
    }
}
