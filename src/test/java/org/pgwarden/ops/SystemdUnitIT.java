package org.pgwarden.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code systemd/pgwarden.service} passes {@code systemd-analyze verify}, carries the directives
 * the daemon relies on, and keeps its hardening.
 *
 * <p>{@code systemd-analyze verify} requires ExecStart to name an existing executable, and the
 * launcher is only installed as {@code /usr/bin/pgwarden} by packaging; the test verifies a copy
 * whose ExecStart points at the checkout's {@code bin/pgwarden}.
 */
class SystemdUnitIT {

    private static final String UNIT = "systemd/pgwarden.service";
    private static final String INSTALLED_LAUNCHER = "/usr/bin/pgwarden";
    /** The daemon's default daemon.shutdown-grace; stopping must fit below TimeoutStopSec with room. */
    private static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(30);
    /** Regression guard for the hardening: `systemd-analyze security` gives 1.5 today (0 best, 10 worst). */
    private static final double MAX_EXPOSURE = 2.5;

    private static Path root;
    private static Path systemdAnalyze;
    private static String unitText;
    private static Map<String, List<String>> directives;

    @TempDir
    Path temp;

    @BeforeAll
    static void givenUnit() throws IOException {
        root = OpsFixture.repoRoot();
        systemdAnalyze = OpsFixture.requireTool("systemd-analyze");
        unitText = Files.readString(root.resolve(UNIT));
        directives = parse(unitText);
    }

    @Test
    void unitPassesSystemdAnalyzeVerify() throws IOException {
        Path unit = givenVerifiableCopy(unitText);

        OpsFixture.Result result = verify(unit);

        assertThat(result.exitCode()).as(result.describe()).isZero();
        assertThat(result.output()).as(result.describe())
                .doesNotContainIgnoringCase("unknown")
                .doesNotContainIgnoringCase("ignoring")
                .doesNotContainIgnoringCase("failed to parse");
    }

    @Test
    void verifyReportsUnknownDirectives() throws IOException {
        // Guards the assertion above: a misspelt directive is reported, not silently accepted.
        Path unit = givenVerifiableCopy(unitText.replace("[Service]\n", "[Service]\nProtectSytem=strict\n"));

        OpsFixture.Result result = verify(unit);

        assertThat(result.output()).as(result.describe()).containsIgnoringCase("unknown");
    }

    @Test
    void unitRunsTheDaemonAsPostgresAndReportsReadiness() {
        assertThat(directives.get("Type")).containsExactly("notify");
        assertThat(directives.get("User")).containsExactly("postgres");
        assertThat(directives.get("Group")).containsExactly("postgres");
        assertThat(directives.get("ExecStart")).containsExactly(
                INSTALLED_LAUNCHER + " --config /etc/pgwarden/pgwarden.yaml daemon");
        assertThat(directives.get("Restart")).containsExactly("on-failure");
        assertThat(directives.get("KillMode")).containsExactly("mixed");
        assertThat(directives).doesNotContainKey("NotifyAccess");
    }

    @Test
    void stopTimeoutLeavesRoomForTheShutdownGrace() {
        assertThat(directives.get("TimeoutStopSec")).hasSize(1);
        Duration timeout = parseTimespan(directives.get("TimeoutStopSec").get(0));
        assertThat(timeout).isGreaterThanOrEqualTo(Duration.ofSeconds(60));
        assertThat(timeout).isGreaterThan(DEFAULT_SHUTDOWN_GRACE.multipliedBy(2));
    }

    @Test
    void unitIsHardened() {
        assertThat(directives.get("NoNewPrivileges")).containsExactly("yes");
        assertThat(directives.get("ProtectSystem")).containsExactly("strict");
        assertThat(directives.get("PrivateTmp")).containsExactly("yes");
        assertThat(directives.get("ProtectHome")).containsExactly("yes");
        assertThat(directives.get("CapabilityBoundingSet")).containsExactly("");
        assertThat(directives.get("UMask")).containsExactly("0077");
        assertThat(directives.get("LoadCredential")).containsExactly("repository.key:/etc/pgwarden/repository.key");
        // The JVM's JIT compiler needs writable and executable memory.
        assertThat(directives).doesNotContainKey("MemoryDenyWriteExecute");
    }

    @Test
    void runtimeDirectoryHoldsTheDefaultWalSocket() {
        assertThat(directives.get("RuntimeDirectory")).containsExactly("pgwarden");
        assertThat(directives.get("RuntimeDirectoryMode")).containsExactly("0700");
        assertThat(org.pgwarden.config.WalConfig.DEFAULT_SOCKET.getParent())
                .isEqualTo(java.nio.file.Path.of("/run/pgwarden"));
    }

    @Test
    void securityExposureStaysLow() throws IOException {
        Path unit = givenVerifiableCopy(unitText);

        OpsFixture.Result result = OpsFixture.run(root,
                List.of(systemdAnalyze.toString(), "security", "--offline=true", "--no-pager", unit.toString()));

        Matcher level = Pattern.compile("Overall exposure level for \\S+: ([0-9.]+)").matcher(result.output());
        assertThat(level.find()).as(result.describe()).isTrue();
        assertThat(Double.parseDouble(level.group(1))).as(result.describe()).isLessThanOrEqualTo(MAX_EXPOSURE);
    }

    private Path givenVerifiableCopy(String text) throws IOException {
        Path launcher = root.resolve("bin/pgwarden");
        assertThat(launcher).isExecutable();
        String rewritten = text.replace("ExecStart=" + INSTALLED_LAUNCHER + " ", "ExecStart=" + launcher + " ");
        assertThat(rewritten).as("ExecStart rewritten to the checkout's launcher").isNotEqualTo(text);
        Path unit = temp.resolve("pgwarden.service");
        Files.writeString(unit, rewritten);
        return unit;
    }

    private OpsFixture.Result verify(Path unit) {
        return OpsFixture.run(root, List.of(systemdAnalyze.toString(), "verify", "--man=no", unit.toString()));
    }

    /** Key to values (in order) of every directive; comments and section headers dropped. */
    private static Map<String, List<String>> parse(String text) {
        Map<String, List<String>> result = new LinkedHashMap<>();
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith(";") || line.startsWith("[")) {
                continue;
            }
            int eq = line.indexOf('=');
            assertThat(eq).as("directive line '%s'", line).isPositive();
            result.computeIfAbsent(line.substring(0, eq).strip(), k -> new ArrayList<>())
                    .add(line.substring(eq + 1).strip());
        }
        return result;
    }

    /** A systemd time span such as "90s", "1min 30s" or "90" (seconds). */
    private static Duration parseTimespan(String value) {
        Matcher part = Pattern.compile("(\\d+)\\s*(ms|s|sec|min|m|h)?").matcher(value);
        Duration total = Duration.ZERO;
        while (part.find()) {
            long n = Long.parseLong(part.group(1));
            String unit = part.group(2) == null ? "s" : part.group(2);
            total = total.plus(switch (unit) {
                case "ms" -> Duration.ofMillis(n);
                case "min", "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofSeconds(n);
            });
        }
        return total;
    }
}
