package org.pgwarden.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.pgwarden.common.ByteSize;
import org.pgwarden.config.MaintenanceConfig.Action;

class MaintenanceConfigTest {
    private final ConfigLoader loader = new ConfigLoader(expr -> expr.startsWith("bad")
            ? Optional.of("not a cron expression") : Optional.empty());

    private static final String MINIMAL = ConfigTexts.MINIMAL;

    @Test
    void noSectionMeansNoWindows() {
        assertThat(loader.parse(MINIMAL, "t").config().maintenance()).isEqualTo(MaintenanceConfig.defaults());
    }

    @Test
    void bindsAWindowWithDefaultsForWhatIsNotWritten() {
        MaintenanceConfig m = loader.parse(MINIMAL + """
                maintenance:
                  windows:
                    - name: nightly
                      start: "0 0 2 * * ?"
                      duration: 2h
                """, "t").config().maintenance();
        MaintenanceConfig.Window w = m.window("nightly").orElseThrow();
        assertThat(w.start()).isEqualTo("0 0 2 * * ?");
        assertThat(w.duration()).isEqualTo(Duration.ofHours(2));
        assertThat(w.databases()).isEmpty();
        assertThat(w.actions()).containsExactlyInAnyOrder(Action.VACUUM, Action.ANALYZE, Action.FREEZE);
        assertThat(w.thresholds()).isEqualTo(MaintenanceConfig.Thresholds.DEFAULTS);
        assertThat(w.guards()).isEqualTo(MaintenanceConfig.Guards.DEFAULTS);
        assertThat(w.lockTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(w.costDelay()).isEqualTo(Duration.ofMillis(2));
        assertThat(w.costLimit()).isEqualTo(200);
        assertThat(m.topTables()).isEqualTo(5);
        assertThat(m.window("other")).isEmpty();
    }

    @Test
    void bindsEveryKey() {
        MaintenanceConfig.Window w = loader.parse(MINIMAL + """
                maintenance:
                  top-tables: 3
                  windows:
                    - name: sunday-reindex
                      start: "0 0 3 ? * SUN"
                      duration: 1h30m
                      databases: [app, reporting]
                      actions: [vacuum, reindex]
                      include: ["public.*", "billing.invoice_?"]
                      exclude: ["public.audit_*"]
                      thresholds:
                        dead-tuple-percent: 20
                        min-table-size: 64MiB
                        stale-statistics-percent: 5
                        index-bloat-percent: 40
                        wraparound-age: 500000000
                      guards:
                        max-replication-lag: 256MiB
                        max-active-sessions: 50
                        skip-during-backup: false
                        recheck-interval: 1m
                      lock-timeout: 500ms
                      cost-delay: 10ms
                      cost-limit: 1000
                """, "t").config().maintenance().windows().get(0);
        assertThat(w.databases()).containsExactly("app", "reporting");
        assertThat(w.actions()).isEqualTo(Set.of(Action.VACUUM, Action.REINDEX));
        assertThat(w.include()).containsExactly("public.*", "billing.invoice_?");
        assertThat(w.exclude()).containsExactly("public.audit_*");
        assertThat(w.thresholds()).isEqualTo(new MaintenanceConfig.Thresholds(20, ByteSize.ofMiB(64), 5, 40,
                OptionalLong.of(500_000_000)));
        assertThat(w.guards()).isEqualTo(new MaintenanceConfig.Guards(Optional.of(ByteSize.ofMiB(256)),
                OptionalInt.of(50), false, Duration.ofMinutes(1)));
        assertThat(w.lockTimeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(w.costDelay()).isEqualTo(Duration.ofMillis(10));
        assertThat(w.costLimit()).isEqualTo(1000);
    }

    @Test
    void reportsEveryProblemTogetherNamingTheField() {
        assertThatThrownBy(() -> loader.parse(MINIMAL + """
                maintenance:
                  windows:
                    - name: Nightly
                      start: "bad cron"
                      duration: 2 hours
                      actions: [vacuum, defrag]
                      include: ["orders"]
                      thresholds:
                        dead-tuple-percent: 0
                        wraparound-age: 10
                      guards:
                        max-active-sessions: -1
                        skip-during-bakup: true
                      lock-timeout: 5m
                      cost-delay: 1s
                    - start: "0 0 2 * *"
                    - name: a
                      start: "0 0 2 * * ?"
                      duration: 1h
                    - name: a
                      start: "0 0 3 * * ?"
                      duration: 1h
                """, "t"))
                .hasMessageContaining("maintenance.windows[0].name: expected lowercase letters")
                .hasMessageContaining("maintenance.windows[0].start: invalid cron expression 'bad cron'")
                .hasMessageContaining("maintenance.windows[0].duration: expected a duration")
                .hasMessageContaining("maintenance.windows[0].actions: expected any of 'vacuum', 'analyze', 'freeze',"
                        + " 'reindex', got 'defrag'")
                .hasMessageContaining("maintenance.windows[0].include: expected 'schema.table'")
                .hasMessageContaining("maintenance.windows[0].thresholds.dead-tuple-percent: expected a whole number"
                        + " between 1 and 100, got 0")
                .hasMessageContaining("maintenance.windows[0].thresholds.wraparound-age: expected a whole number")
                .hasMessageContaining("maintenance.windows[0].guards.max-active-sessions: expected a whole number")
                .hasMessageContaining("maintenance.windows[0].guards.skip-during-bakup: unknown key (did you mean"
                        + " 'skip-during-backup'?)")
                .hasMessageContaining("maintenance.windows[0].lock-timeout: must be at most 1m")
                .hasMessageContaining("maintenance.windows[0].cost-delay: must be between 0ms and 100ms")
                .hasMessageContaining("maintenance.windows[1].name: must not be empty")
                .hasMessageContaining("maintenance.windows[1].start: '0 0 2 * *' has 5 fields")
                .hasMessageContaining("maintenance.windows[1].duration: must not be empty")
                .hasMessageContaining("maintenance.windows[3].name: window 'a' is defined twice");
    }

    @Test
    void aWindowMustDoSomething() {
        assertThatThrownBy(() -> loader.parse(MINIMAL + """
                maintenance:
                  windows:
                    - {name: w, start: "0 0 2 * * ?", duration: 1h, actions: []}
                """, "t"))
                .hasMessageContaining("maintenance.windows[0].actions: must name at least one of");
    }

    @Test
    void theReadmeExampleIsValid() throws Exception {
        String readme = java.nio.file.Files.readString(java.nio.file.Path.of("README.md"));
        int section = readme.indexOf("## Maintenance windows");
        int start = readme.indexOf("```yaml\n", section) + "```yaml\n".length();
        String example = readme.substring(start, readme.indexOf("```", start));
        MaintenanceConfig m = new ConfigLoader(new org.pgwarden.adapter.quartz.QuartzCronValidator())
                .parse(MINIMAL + example, "README.md").config().maintenance();
        MaintenanceConfig.Window w = m.window("nightly").orElseThrow();
        assertThat(w.actions()).isEqualTo(java.util.EnumSet.allOf(Action.class));
        assertThat(w.exclude()).containsExactly("public.audit_*");
        assertThat(w.guards().maxActiveSessions()).hasValue(100);
        assertThat(w.thresholds().wraparoundAge()).hasValue(100_000_000);
    }

    @Test
    void theExampleConfigurationHasAWindow() throws Exception {
        MaintenanceConfig m = new ConfigLoader(new org.pgwarden.adapter.quartz.QuartzCronValidator())
                .load(java.nio.file.Path.of("config/pgwarden.example.yaml")).config().maintenance();
        assertThat(m.window("nightly")).hasValueSatisfying(w -> assertThat(w.duration())
                .isEqualTo(Duration.ofHours(2)));
    }
}
