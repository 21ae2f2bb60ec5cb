package org.pgwarden.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {
    /** Accepts 6/7-field expressions; the Quartz-backed validator is tested with the adapter. */
    private final ConfigLoader loader = new ConfigLoader(expr -> expr.contains("bad")
            ? Optional.of("bad field") : Optional.empty());

    private static final String MINIMAL = ConfigTexts.MINIMAL;

    @Test
    void shippedExampleIsValid() {
        ConfigLoader.Loaded loaded = loader.load(Path.of("config/pgwarden.example.yaml"));
        PgwardenConfig c = loaded.config();
        assertThat(c.stanza()).isEqualTo("main");
        assertThat(c.repository()).isInstanceOf(RepositoryConfig.Filesystem.class);
        assertThat(c.encryption()).isInstanceOf(EncryptionConfig.Local.class);
        assertThat(c.postgres().connection().socket()).contains(Path.of("/var/run/postgresql"));
        assertThat(c.daemon().shutdownGrace()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void minimalConfigGetsDocumentedDefaults() {
        PgwardenConfig c = loader.parse(MINIMAL, "t").config();
        assertThat(c.postgres().connection().port()).isEqualTo(5432);
        assertThat(c.postgres().pool().maxSize()).isEqualTo(4);
        assertThat(c.postgres().retry().maxAttempts()).isEqualTo(5);
        assertThat(c.admin().listen().getPort()).isEqualTo(9816);
        assertThat(c.compression().algorithm()).isEqualTo(CompressionConfig.Algorithm.ZSTD);
        assertThat(c.schedules().healthCheck()).contains("0 * * * * ?");
        assertThat(c.logging().format()).isEqualTo(LoggingConfig.Format.TEXT);
    }

    @Test
    void everyProblemIsReportedTogetherWithItsPath() {
        String yaml = """
                stanza: main
                postgres:
                  data-directory: relative/dir
                  conection:
                    port: 5432
                repository:
                  type: s3
                  s3:
                    bucket: ""
                    part-size: 16MB
                encryption:
                  provider: local
                  local:
                    key-file: /etc/pgwarden/repository.key
                """;
        assertThatThrownBy(() -> loader.parse(yaml, "bad.yaml"))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.problems()).containsExactlyInAnyOrder(
                            "postgres.data-directory: expected an absolute path, got 'relative/dir'",
                            "postgres.conection: unknown key (did you mean 'connection'?)",
                            "repository.s3.bucket: must not be empty",
                            "repository.s3.part-size: expected a size such as '16MiB' (units B, KiB, MiB, GiB, TiB),"
                                    + " got '16MB' (binary units only: KiB, MiB, GiB, TiB)");
                    assertThat(e.getMessage()).contains("bad.yaml").contains("4 problems");
                    assertThat(e.errorCode().exitCode()).isEqualTo(2);
                });
    }

    @Test
    void fiveFieldCrontabIsRefusedWithItsQuartzForm() {
        String yaml = MINIMAL + "schedules:\n  health-check: \"0 2 * * *\"\n";
        assertThatThrownBy(() -> loader.parse(yaml, "t")).isInstanceOfSatisfying(ConfigException.class,
                e -> assertThat(e.problems()).singleElement().asString()
                        .startsWith("schedules.health-check: '0 2 * * *' has 5 fields")
                        .contains("write '0 0 2 * * ?'"));
    }

    @Test
    void invalidCronNamesTheValidatorsReason() {
        String yaml = MINIMAL + "schedules:\n  health-check: \"0 bad * * * ?\"\n";
        assertThatThrownBy(() -> loader.parse(yaml, "t")).isInstanceOfSatisfying(ConfigException.class,
                e -> assertThat(e.problems()).containsExactly(
                        "schedules.health-check: invalid cron expression '0 bad * * * ?': bad field"));
    }

    @Test
    void secretsAreReferencesAndNeverEchoed() {
        String yaml = MINIMAL.replace("  data-directory: /var/lib/postgresql/15/main",
                "  data-directory: /var/lib/postgresql/15/main\n  connection:\n    password: hunter2-pasted");
        assertThatThrownBy(() -> loader.parse(yaml, "t")).isInstanceOfSatisfying(ConfigException.class, e -> {
            assertThat(e.problems()).singleElement().asString().startsWith("postgres.connection.password: expected a secret reference");
            assertThat(e.getMessage()).doesNotContain("hunter2");
        });
        String ok = MINIMAL.replace("  data-directory: /var/lib/postgresql/15/main",
                "  data-directory: /var/lib/postgresql/15/main\n  connection:\n    password: env:PGWARDEN_PG_PASSWORD");
        ConfigLoader.Loaded loaded = loader.parse(ok, "t");
        assertThat(loaded.effectiveYaml()).contains("password: env:PGWARDEN_PG_PASSWORD");
    }

    @Test
    void unknownTopLevelSectionSuggestsTheNearest() {
        assertThatThrownBy(() -> loader.parse(MINIMAL + "schedule:\n  timezone: UTC\n", "t"))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                        .containsExactly("schedule: unknown key (did you mean 'schedules'?)"));
    }

    @Test
    void typeSpecificSectionsMustMatchTheType() {
        String yaml = MINIMAL.replace("    path: /var/lib/pgwarden/repository",
                "    path: /var/lib/pgwarden/repository\n  s3:\n    bucket: b");
        assertThatThrownBy(() -> loader.parse(yaml, "t")).isInstanceOfSatisfying(ConfigException.class,
                e -> assertThat(e.problems()).containsExactly(
                        "repository.s3: not used when repository.type is 'filesystem'; remove it"));
    }

    @Test
    void encryptionCannotBeTurnedOff() {
        String yaml = MINIMAL.replace("  provider: local", "  provider: none");
        assertThatThrownBy(() -> loader.parse(yaml, "t")).isInstanceOfSatisfying(ConfigException.class,
                e -> assertThat(e.problems()).contains("encryption.provider: expected one of 'local', 'kms', got 'none'"));
    }

    @Test
    void nonLoopbackAdminListenerNeedsExplicitConsent() {
        String yaml = MINIMAL + "admin:\n  listen: 0.0.0.0:9816\n";
        assertThatThrownBy(() -> loader.parse(yaml, "t")).isInstanceOfSatisfying(ConfigException.class,
                e -> assertThat(e.problems()).singleElement().asString().startsWith("admin.listen: '0.0.0.0' is not a loopback"));
        assertThat(loader.parse(yaml + "  allow-remote: true\n", "t").config().admin().allowRemote()).isTrue();
    }

    @Test
    void adminTokenFileAndControlDatabaseAreOptional() {
        PgwardenConfig none = loader.parse(MINIMAL, "t").config();
        assertThat(none.admin().tokenFile()).isEmpty();
        assertThat(none.admin().triggerLockWait()).isEqualTo(Duration.ofHours(6));
        assertThat(none.controlDatabase()).isEmpty();

        PgwardenConfig c = loader.parse(MINIMAL + """
                admin:
                  token-file: /etc/pgwarden/admin.token
                  trigger-lock-wait: 30m
                control-database:
                  url: jdbc:postgresql://db.example:5432/pgwarden
                  user: warden
                  password: env:PGWARDEN_CONTROL_PASSWORD
                """, "t").config();
        assertThat(c.admin().tokenFile()).contains(Path.of("/etc/pgwarden/admin.token"));
        assertThat(c.admin().triggerLockWait()).isEqualTo(Duration.ofMinutes(30));
        ControlDatabaseConfig db = c.controlDatabase().orElseThrow();
        assertThat(db.url()).isEqualTo("jdbc:postgresql://db.example:5432/pgwarden");
        assertThat(db.user()).isEqualTo("warden");
        assertThat(db.password()).map(Object::toString).contains("env:PGWARDEN_CONTROL_PASSWORD");
        assertThat(db.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void controlDatabaseUrlMustBePostgresAndCarryNoCredentials() {
        assertThatThrownBy(() -> loader.parse(MINIMAL + """
                admin:
                  token-file: relative/admin.token
                control-database:
                  url: jdbc:postgresql://db.example/pgwarden?user=a&password=hunter2hunter2
                """, "t")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("admin.token-file: expected an absolute path")
                .hasMessageContaining("control-database.url: must not carry credentials")
                .hasMessageNotContaining("hunter2hunter2");
        assertThatThrownBy(() -> loader.parse(MINIMAL + "control-database:\n  url: mysql://x/y\n", "t"))
                .hasMessageContaining("control-database.url: expected a PostgreSQL JDBC URL");
        assertThatThrownBy(() -> loader.parse(MINIMAL + "control-database:\n  user: x\n", "t"))
                .hasMessageContaining("control-database.url: must not be empty");
    }

    @Test
    void badYamlAndEmptyFilesAreClearErrors() {
        assertThatThrownBy(() -> loader.parse("stanza: [unclosed", "t")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("not valid YAML at line");
        assertThatThrownBy(() -> loader.parse("", "t")).hasMessageContaining("the file is empty");
        assertThatThrownBy(() -> loader.load(Path.of("/nonexistent/pgwarden.yaml")))
                .hasMessageContaining("'/nonexistent/pgwarden.yaml' does not exist");
    }

    @Test
    void effectiveConfigShowsDefaults() {
        String shown = loader.parse(MINIMAL, "t").effectiveYaml();
        assertThat(shown).contains("shutdown-grace: 30s").contains("max-size: 4").contains("listen: 127.0.0.1:9816")
                .contains("key-file: /etc/pgwarden/repository.key");
    }

    @Test
    void schedulesAreBareCronsOrMappingsWithAnOverlapPolicy() {
        String yaml = MINIMAL + """
                schedules:
                  full: "0 0 2 ? * SUN"
                  incr:
                    cron: "0 0 * * * ?"
                    on-overlap: wait
                    max-wait: 20m
                  verify:
                    cron: "0 30 4 * * ?"
                    on-overlap: skip
                daemon:
                  stop-file: /run/pgwarden/paused
                """;
        PgwardenConfig c = loader.parse(yaml, "t").config();
        SchedulesConfig s = c.schedules();
        assertThat(s.catchUp()).isEqualTo(SchedulesConfig.CatchUpPolicy.ONCE);
        assertThat(s.jobs().keySet()).containsExactly(SchedulesConfig.Task.FULL, SchedulesConfig.Task.INCR,
                SchedulesConfig.Task.VERIFY);
        assertThat(s.job(SchedulesConfig.Task.FULL)).hasValueSatisfying(f -> {
            assertThat(f.cron()).isEqualTo("0 0 2 ? * SUN");
            assertThat(f.onOverlap()).isEqualTo(SchedulesConfig.OnOverlap.SKIP);
            assertThat(f.lockWait()).isZero();
        });
        assertThat(s.job(SchedulesConfig.Task.INCR)).hasValueSatisfying(f -> {
            assertThat(f.onOverlap()).isEqualTo(SchedulesConfig.OnOverlap.WAIT);
            assertThat(f.lockWait()).isEqualTo(Duration.ofMinutes(20));
        });
        assertThat(s.job(SchedulesConfig.Task.DIFF)).isEmpty();
        assertThat(c.daemon().stopFile()).isEqualTo(Path.of("/run/pgwarden/paused"));
        assertThat(loader.parse(MINIMAL, "t").config().daemon().stopFile())
                .isEqualTo(Path.of("/var/lib/pgwarden/pgwarden.stop"));
        assertThat(loader.parse(MINIMAL, "t").config().schedules().jobs()).isEmpty();
    }

    @Test
    void scheduleProblemsNameTheJobAndWhatIsExpected() {
        String yaml = MINIMAL + """
                schedules:
                  catch-up: always
                  full: "0 2 * * 0"
                  diff:
                    on-overlap: queue
                  incr:
                    cron: "0 0 * * * ?"
                    max-wait: 5m
                  verify:
                    cron: "0 0 4 * * ?"
                    on-overlap: wait
                    max-wait: 2d
                  expire:
                    crn: "0 0 5 * * ?"
                """;
        assertThatThrownBy(() -> loader.parse(yaml, "t")).isInstanceOfSatisfying(ConfigException.class,
                e -> assertThat(e.problems()).containsExactlyInAnyOrder(
                        "schedules.catch-up: expected one of 'once', 'none', got 'always'",
                        "schedules.full: '0 2 * * 0' has 5 fields like a crontab line, but schedules use Quartz cron"
                                + " with a leading seconds field (sec min hour day-of-month month day-of-week): write"
                                + " '0 0 2 ? * 0'",
                        "schedules.diff.cron: must not be empty (a Quartz cron expression such as '0 0 2 * * ?')",
                        "schedules.diff.on-overlap: expected one of 'wait', 'skip', got 'queue'",
                        "schedules.incr.max-wait: applies only with 'on-overlap: wait'; remove it or set on-overlap"
                                + " to wait",
                        "schedules.verify.max-wait: must be at most 24h so that due runs cannot pile up, got 2d",
                        "schedules.expire.cron: must not be empty (a Quartz cron expression such as '0 0 2 * * ?')",
                        "schedules.expire.crn: unknown key (did you mean 'cron'?)"));
    }

    @Test
    void theReadmeSchedulesExampleIsValid() throws Exception {
        String readme = java.nio.file.Files.readString(Path.of("README.md"));
        int section = readme.indexOf("## Schedules");
        int start = readme.indexOf("```yaml\n", section) + "```yaml\n".length();
        String example = readme.substring(start, readme.indexOf("```", start));
        PgwardenConfig c = new ConfigLoader(new org.pgwarden.adapter.quartz.QuartzCronValidator())
                .parse(MINIMAL + example, "README.md").config();
        assertThat(c.schedules().jobs().keySet()).containsExactly(SchedulesConfig.Task.FULL,
                SchedulesConfig.Task.INCR, SchedulesConfig.Task.DIFF, SchedulesConfig.Task.VERIFY);
        assertThat(c.schedules().job(SchedulesConfig.Task.INCR).orElseThrow().lockWait())
                .isEqualTo(Duration.ofMinutes(20));
    }

    @Test
    void theReadmeDrillExampleIsValid() throws Exception {
        String readme = java.nio.file.Files.readString(Path.of("README.md"));
        int section = readme.indexOf("## Drills");
        int start = readme.indexOf("```yaml\n", section) + "```yaml\n".length();
        String example = readme.substring(start, readme.indexOf("```", start));
        DrillConfig d = loader.parse(MINIMAL + example, "README.md").config().drill();
        assertThat(d.scratchDirectory()).isEqualTo(Path.of("/var/tmp"));
        assertThat(d.timeout()).isEqualTo(Duration.ofHours(2));
        assertThat(d.databases()).containsExactly("app");
        assertThat(d.rowCountFloors()).containsExactly(new DrillConfig.RowCountFloor("app", "public.orders", 1_000_000));
        assertThat(d.sqlChecks()).containsExactly(new DrillConfig.SqlCheck("schema-version", "app",
                "SELECT max(version) FROM schema_migrations", "42"));
        assertThat(d.rtoObjective()).contains(Duration.ofHours(1));
        assertThat(d.rpoObjective()).contains(Duration.ofMinutes(15));
        assertThat(loader.parse(MINIMAL, "t").config().drill().rtoObjective()).isEmpty();
    }

    @Test
    void drillProblemsNameTheFieldAndWhatIsExpected() {
        String yaml = MINIMAL + """
                drill:
                  scratch-directory: tmp
                  timeout: 1s
                  row-count-floors:
                    - {table: "orders; DROP TABLE x", min-rows: -1}
                  sql-checks:
                    - {name: "has space", sql: "SELECT 1"}
                """;
        assertThatThrownBy(() -> loader.parse(yaml, "t")).isInstanceOfSatisfying(ConfigException.class,
                e -> assertThat(e.problems()).contains(
                        "drill.scratch-directory: expected an absolute path, got 'tmp'",
                        "drill.timeout: must be at least 10s, got 1s",
                        "drill.row-count-floors[0].table: expected a table name, optionally schema-qualified"
                                + " (schema.table), got 'orders; DROP TABLE x'",
                        "drill.sql-checks[0].name: expected 1 to 64 letters, digits, '.', '-' or '_', got 'has space'"));
    }
}
