package org.pgwarden.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.pgwarden.common.ByteSize;
import org.pgwarden.config.AuditRetentionConfig.Mode;
import org.pgwarden.config.AuditRetentionConfig.Table;

class AuditRetentionConfigTest {
    private final ConfigLoader loader = new ConfigLoader(expr -> expr.startsWith("bad")
            ? Optional.of("not a cron expression") : Optional.empty());

    private static final String MINIMAL = ConfigTexts.MINIMAL;

    @Test
    void noSectionMeansNoTables() {
        assertThat(loader.parse(MINIMAL, "t").config().auditRetention()).isEqualTo(AuditRetentionConfig.defaults());
    }

    @Test
    void defaultsArchiveInBatchesOnDemand() {
        Table t = loader.parse(MINIMAL + """
                audit-retention:
                  tables:
                    - database: app
                      table: public.audit_events
                      timestamp-column: created_at
                      keep: 90d
                """, "t").config().auditRetention().tables().get(0);
        assertThat(t).isEqualTo(new Table("app", "public.audit_events", "created_at", Duration.ofDays(90), Mode.BATCHES,
                true, List.of(), 1000, Duration.ofSeconds(1), Duration.ofHours(1), ByteSize.ofMiB(1024), false,
                Optional.empty(), Duration.ofSeconds(2), Duration.ofMinutes(5)));
        assertThat(t.schema()).isEqualTo("public");
        assertThat(t.name()).isEqualTo("audit_events");
    }

    @Test
    void bindsEveryField() {
        AuditRetentionConfig c = loader.parse(MINIMAL + """
                audit-retention:
                  tables:
                    - database: app-eu_1
                      table: audit.log
                      timestamp-column: logged_at
                      keep: 365d
                      mode: partitions
                      archive: false
                      key-columns: [id, logged_at]
                      batch-size: 500
                      pause-between-batches: 250ms
                      max-run-time: 30m
                      max-replication-lag: 64MiB
                      legal-hold: true
                      schedule: "0 0 4 1 * ?"
                      lock-timeout: 500ms
                      statement-timeout: 1m
                """, "t").config().auditRetention();
        assertThat(c.table("audit.log")).hasValue(new Table("app-eu_1", "audit.log", "logged_at", Duration.ofDays(365),
                Mode.PARTITIONS, false, List.of("id", "logged_at"), 500, Duration.ofMillis(250), Duration.ofMinutes(30),
                ByteSize.ofMiB(64), true, Optional.of("0 0 4 1 * ?"), Duration.ofMillis(500), Duration.ofMinutes(1)));
        assertThat(c.table("public.other")).isEmpty();
    }

    @Test
    void reportsEveryProblemNamingTheField() {
        assertThatThrownBy(() -> loader.parse(MINIMAL + """
                audit-retention:
                  tables:
                    - database: app
                      table: public.ok
                      timestamp-column: created_at
                      keep: 90d
                    - database: app
                      table: audit_events
                      timestamp-column: "created at"
                      keep: 90
                      mode: rows
                      archive: "no"
                      batch-size: 0
                      schedule: "0 3 * * *"
                      key-columns: ["id;drop"]
                      legal-hold: maybe
                      keep-dayz: 3
                    - table: public.ok
                      timestamp-column: created_at
                      schedule: bad cron
                    - database: "my app/x"
                      table: public.other
                      timestamp-column: t
                      keep: 1d
                """, "t"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("audit-retention.tables[1].table: expected a schema-qualified table name")
                .hasMessageContaining("audit-retention.tables[1].timestamp-column: expected a column name")
                .hasMessageContaining("audit-retention.tables[1].keep: expected a duration")
                .hasMessageContaining("audit-retention.tables[1].mode: expected one of 'batches', 'partitions'")
                .hasMessageContaining("audit-retention.tables[1].archive: expected true or false")
                .hasMessageContaining("audit-retention.tables[1].batch-size: expected a whole number between 1 and 100000")
                .hasMessageContaining("audit-retention.tables[1].schedule: '0 3 * * *' has 5 fields")
                .hasMessageContaining("audit-retention.tables[1].key-columns: expected column names")
                .hasMessageContaining("audit-retention.tables[1].legal-hold: expected true or false")
                .hasMessageContaining("audit-retention.tables[1].keep-dayz: unknown key")
                .hasMessageContaining("audit-retention.tables[2].database: must not be empty")
                .hasMessageContaining("audit-retention.tables[2].keep: must not be empty")
                .hasMessageContaining("audit-retention.tables[2].table: 'public.ok' is already configured at"
                        + " audit-retention.tables[0]")
                .hasMessageContaining("audit-retention.tables[2].schedule: invalid cron expression 'bad cron'")
                .hasMessageContaining("audit-retention.tables[3].database: expected a database name of letters");
    }

    @Test
    void refusesAKeepShorterThanAnHour() {
        assertThatThrownBy(() -> loader.parse(MINIMAL + """
                audit-retention:
                  tables:
                    - {database: app, table: public.a, timestamp-column: t, keep: 30m}
                """, "t")).hasMessageContaining("audit-retention.tables[0].keep: must be at least 1h, got 30m");
    }

    @Test
    void theReadmeExampleIsValid() throws Exception {
        String readme = java.nio.file.Files.readString(Path.of("README.md"));
        int section = readme.indexOf("## Audit retention");
        int start = readme.indexOf("```yaml\n", section) + "```yaml\n".length();
        String example = readme.substring(start, readme.indexOf("```", start));
        AuditRetentionConfig c = loader.parse(MINIMAL + example, "README.md").config().auditRetention();
        assertThat(c.tables()).extracting(Table::table).containsExactly("public.audit_events", "public.audit_log");
        assertThat(c.table("public.audit_log").orElseThrow().mode()).isEqualTo(Mode.PARTITIONS);
        assertThat(c.table("public.audit_events").orElseThrow().schedule()).hasValue("0 30 3 * * ?");
    }

    @Test
    void theExampleConfigurationConfiguresATable() {
        AuditRetentionConfig c = loader.load(Path.of("config/pgwarden.example.yaml")).config().auditRetention();
        assertThat(c.tables()).extracting(Table::table).containsExactly("public.audit_events");
        assertThat(c.tables().get(0).archive()).isTrue();
    }
}
