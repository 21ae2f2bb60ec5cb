package org.pgwarden.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgwarden.metrics.MeterNames;

/**
 * {@code docs/grafana/pgwarden.json} imports into Grafana: a dashboard with a data source and a
 * stanza variable, panels laid out on the 24-column grid, each with queries. Every query is valid
 * PromQL (promtool checks them as recording rules) and names only metrics pgwarden exports.
 */
class GrafanaDashboardIT {
    private static final String DASHBOARD = "docs/grafana/pgwarden.json";
    private static final Set<String> PANEL_TYPES = Set.of("row", "timeseries", "stat", "gauge", "table", "text");
    /** Series Prometheus derives from histograms and summaries. */
    private static final Pattern DERIVED = Pattern.compile("(.+)_(bucket|sum|count)");
    private static final Pattern METRIC = Pattern.compile("\\bpgwarden_[a-z0-9_]+");

    private static Path root;
    private static JsonNode dashboard;
    private static List<JsonNode> panels;

    @TempDir
    Path dir;

    @BeforeAll
    static void givenTheDashboard() throws IOException {
        root = OpsFixture.repoRoot();
        dashboard = new ObjectMapper().readTree(root.resolve(DASHBOARD).toFile());
        panels = new ArrayList<>();
        dashboard.path("panels").forEach(panels::add);
    }

    @Test
    void isADashboardWithADataSourceAndAStanzaVariable() {
        assertThat(dashboard.path("title").asText()).isEqualTo("pgwarden");
        assertThat(dashboard.path("uid").asText()).matches("[a-z0-9-]{1,40}");
        assertThat(dashboard.path("schemaVersion").asInt()).isGreaterThanOrEqualTo(30);
        List<String> variables = new ArrayList<>();
        dashboard.path("templating").path("list").forEach(v -> variables.add(v.path("name").asText()));
        assertThat(variables).containsExactly("datasource", "stanza");
        assertThat(dashboard.path("templating").path("list").get(0).path("query").asText()).isEqualTo("prometheus");
        assertThat(panels).hasSizeGreaterThan(10);
    }

    @Test
    void panelsHaveUniqueIdsAGridPlaceAndQueries() {
        Set<Integer> ids = new HashSet<>();
        for (JsonNode p : panels) {
            String title = p.path("title").asText();
            assertThat(title).as("panel title").isNotBlank();
            assertThat(ids.add(p.path("id").asInt())).as("unique id of '%s'", title).isTrue();
            assertThat(p.path("type").asText()).as("type of '%s'", title).isIn(PANEL_TYPES);
            JsonNode grid = p.path("gridPos");
            for (String f : List.of("h", "w", "x", "y")) {
                assertThat(grid.path(f).isInt()).as("gridPos.%s of '%s'", f, title).isTrue();
            }
            assertThat(grid.path("x").asInt() + grid.path("w").asInt()).as("'%s' fits 24 columns", title)
                    .isLessThanOrEqualTo(24);
            if (p.path("type").asText().equals("row")) {
                continue;
            }
            assertThat(p.path("datasource").path("uid").asText()).as("data source of '%s'", title)
                    .isEqualTo("${datasource}");
            assertThat(p.path("targets").size()).as("queries of '%s'", title).isPositive();
            Set<String> refIds = new HashSet<>();
            for (JsonNode t : p.path("targets")) {
                assertThat(refIds.add(t.path("refId").asText())).as("unique refId in '%s'", title).isTrue();
                assertThat(t.path("expr").asText()).as("query of '%s'", title).isNotBlank()
                        .contains("$stanza");
            }
        }
    }

    @Test
    void queriesNameOnlyExportedMetrics() throws IllegalAccessException {
        Set<String> exported = exportedMetrics();
        Set<String> used = new TreeSet<>();
        for (String expr : expressions()) {
            Matcher m = METRIC.matcher(expr);
            while (m.find()) {
                String name = m.group();
                Matcher derived = DERIVED.matcher(name);
                if (!exported.contains(name) && derived.matches()) {
                    name = derived.group(1);
                }
                assertThat(exported).as("metric '%s' in query '%s' is one MeterNames declares", name, expr)
                        .contains(name);
                used.add(name);
            }
        }
        assertThat(used).as("backup, WAL and job metrics are shown")
                .contains(MeterNames.BACKUP_LAST_SUCCESS, MeterNames.BACKUP_STORED_BYTES, MeterNames.BACKUP_LAST_DURATION,
                        MeterNames.WAL_ARCHIVE_LAG, MeterNames.WAL_PUSHES, MeterNames.WAL_PUSH_FAILURES,
                        MeterNames.JOB_RUNS);
    }

    @Test
    void queriesAreValidPromql() throws IOException {
        StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        int n = 0;
        for (String expr : expressions()) {
            // Grafana's variables, as Grafana substitutes them.
            String promql = expr.replace("$stanza", ".*").replace("$__rate_interval", "5m");
            rules.append("      - record: dashboard:query_").append(n++).append('\n')
                    .append("        expr: '").append(promql.replace("'", "''")).append("'\n");
        }
        Path file = dir.resolve("dashboard.rules.yml");
        Files.writeString(file, rules);
        OpsFixture.Result result = OpsFixture.run(root, List.of(OpsFixture.requireTool("promtool").toString(),
                "check", "rules", file.toString()));
        assertThat(result.exitCode()).as(result.describe()).isZero();
        assertThat(result.output()).contains("SUCCESS: " + n + " rules found");
    }

    private static List<String> expressions() {
        List<String> out = new ArrayList<>();
        for (JsonNode p : panels) {
            p.path("targets").forEach(t -> out.add(t.path("expr").asText()));
        }
        return out;
    }

    static Set<String> exportedMetrics() throws IllegalAccessException {
        Set<String> names = new HashSet<>();
        for (Field f : MeterNames.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
                names.add((String) f.get(null));
            }
        }
        return names;
    }
}
