package org.pgwarden.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.pgwarden.testing.CliRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {
    @TempDir
    Path dir;

    @Test
    void helpListsCommandsAndExitCodes() {
        CliRun r = CliRun.run("--help");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("Usage: pgwarden").contains("daemon").contains("check").contains("config")
                .contains("version").contains("demo").contains("Exit codes:")
                .contains("usage or configuration error").contains("unreachable");
    }

    @Test
    void everyCommandHasHelp() {
        for (String command : new String[]{"daemon", "check", "config", "stanza-create", "backup", "info", "wal-push", "wal-fetch", "rekey", "key", "version", "demo"}) {
            CliRun r = CliRun.run(command, "--help");
            assertThat(r.exitCode()).as(command).isZero();
            assertThat(r.out()).as(command).contains("Usage: pgwarden " + command);
        }
        assertThat(CliRun.run("config", "show", "--help").out()).contains("Print the effective configuration");
    }

    @Test
    void auditRetentionCommandsHaveHelpAndCheckTheirOptions() {
        assertThat(CliRun.run("retention", "--help").out()).contains("Usage: pgwarden retention")
                .contains("--dry-run").contains("--table").contains("pgwarden expire");
        assertThat(CliRun.run("retention", "restore", "--help").out()).contains("Usage: pgwarden retention restore")
                .contains("--from").contains("--to").contains("--into");
        assertThat(CliRun.run("retention", "restore", "--from", "2026-01-01T00:00:00Z").exitCode()).isEqualTo(2);
        CliRun badTime = CliRun.run("retention", "restore", "--table", "public.a", "--from", "yesterday", "--to",
                "2026-01-01T00:00:00Z");
        assertThat(badTime.exitCode()).isEqualTo(2);
        assertThat(badTime.err()).contains("[PGW010] --from 'yesterday' is not an ISO-8601 time");
        assertThat(CliRun.run("trigger", "audit-retention", "--help").out())
                .contains("Usage: pgwarden trigger audit-retention").contains("--table").contains("--wait");
    }

    @Test
    void aNamedCommandIsBuiltAloneAndEverythingElseGetsTheWholeTree() {
        PgwardenCli cli = new PgwardenCli(new CliContext(Map.of(), new java.io.PrintWriter(new java.io.StringWriter()),
                new java.io.PrintWriter(new java.io.StringWriter()), java.time.Clock.systemUTC()));
        java.util.Set<String> all = cli.commandLine().getSubcommands().keySet();
        assertThat(all).hasSize(22);
        for (String name : all) {
            assertThat(cli.commandLineFor("--config", "x.yaml", name, "--help").getSubcommands().keySet())
                    .as(name).containsExactly(name);
        }
        assertThat(cli.commandLineFor("--config=x.yaml", "trigger", "backup").getSubcommands().get("trigger")
                .getSubcommands()).containsKey("audit-retention");
        for (String[] args : new String[][]{{}, {"--help"}, {"--config", "x.yaml"}, {"no-such-command"}, {"@args"},
            {"-V", "restore"}}) {
            assertThat(cli.commandLineFor(args).getSubcommands().keySet()).as(String.join(" ", args))
                    .containsExactlyElementsOf(all);
        }
    }

    @Test
    void versionPrintsTheBuildVersion() {
        CliRun r = CliRun.run("version");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).startsWith("pgwarden ").contains("Java");
    }

    @Test
    void usageErrorsExit2() {
        assertThat(CliRun.run("no-such-command").exitCode()).isEqualTo(2);
        assertThat(CliRun.run("check", "--no-such-option").exitCode()).isEqualTo(2);
        CliRun noConfig = CliRun.run("check");
        assertThat(noConfig.exitCode()).isEqualTo(2);
        assertThat(noConfig.err()).contains("[PGW010] no configuration file given").contains("HINT: pass --config FILE");
    }

    @Test
    void threeMistakesAreAllReportedAndNothingStarts() throws Exception {
        Path config = dir.resolve("bad.yaml");
        Files.writeString(config, """
                stanza: Main Cluster
                postgres:
                  data-directory: /var/lib/postgresql/15/main
                  pool:
                    max-size: 0
                repository:
                  type: filesystem
                  filesystem:
                    path: /var/lib/pgwarden/repository
                encryption:
                  provider: local
                  local:
                    key-file: /etc/pgwarden/repository.key
                  key-cach-ttl: 5m
                """);
        CliRun r = CliRun.run("--config", config.toString(), "daemon");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("[PGW011] invalid configuration in '" + config + "' (3 problems)")
                .contains("stanza: expected lowercase letters")
                .contains("postgres.pool.max-size: expected a whole number between 1 and 64, got 0")
                .contains("encryption.key-cach-ttl: unknown key (did you mean 'key-cache-ttl'?)");
        assertThat(r.out()).doesNotContain("daemon running");
    }

    @Test
    void configComesFromTheEnvironmentToo() throws Exception {
        Path config = dir.resolve("ok.yaml");
        Files.copy(Path.of("config/pgwarden.example.yaml"), config);
        CliRun r = CliRun.run(Map.of("PGWARDEN_CONFIG", config.toString()), "config", "show");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("# effective configuration from " + config).contains("stanza: main")
                .contains("health-check: 0 * * * * ?");
    }

    @Test
    void configShowPrintsReferencesNeverSecretValues() throws Exception {
        Path config = dir.resolve("secret.yaml");
        Files.writeString(config, Files.readString(Path.of("config/pgwarden.example.yaml"))
                .replace("    # password: env:PGWARDEN_PG_PASSWORD", "    password: env:PGWARDEN_PG_PASSWORD"));
        CliRun r = CliRun.run(Map.of("PGWARDEN_PG_PASSWORD", "correct-horse-battery"), "--config", config.toString(),
                "config", "show");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("password: env:PGWARDEN_PG_PASSWORD").doesNotContain("correct-horse-battery");
    }
}
