package org.pgwarden.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Prometheus rules in {@code alerts/} are valid, their unit tests pass, and every alert is
 * complete: a severity, a summary and a description naming the stanza, a runbook that exists,
 * and unit-test cases where it fires and where it does not.
 */
class AlertRulesIT {

    private static final String RULES = "alerts/pgwarden.rules.yml";
    /** promtool unit tests; the backup-age cases span days and evaluate every 10 minutes. */
    private static final List<String> RULE_TESTS = List.of("alerts/pgwarden.rules.test.yml",
            "alerts/pgwarden.rules.backup-age.test.yml");
    private static final String RUNBOOK_BASE = "https://github.com/pgwarden/pgwarden/blob/main/runbooks/";
    private static final Set<String> SEVERITIES = Set.of("critical", "warning");

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private static Path root;
    private static Path promtool;
    private static List<JsonNode> alerts;

    @BeforeAll
    static void givenRulesAndPromtool() throws IOException {
        root = OpsFixture.repoRoot();
        promtool = OpsFixture.requireTool("promtool");
        alerts = new ArrayList<>();
        for (JsonNode group : YAML.readTree(root.resolve(RULES).toFile()).path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                if (rule.has("alert")) {
                    alerts.add(rule);
                }
            }
        }
        assertThat(alerts).as("alerting rules in %s", RULES).isNotEmpty();
    }

    @Test
    void rulesPassPromtoolCheck() {
        OpsFixture.Result result = OpsFixture.run(root, List.of(promtool.toString(), "check", "rules", RULES));
        assertThat(result.exitCode()).as(result.describe()).isZero();
    }

    @Test
    void rulesPassTheirUnitTests() throws IOException {
        try (var files = Files.list(root.resolve("alerts"))) {
            assertThat(files.map(f -> "alerts/" + f.getFileName()).filter(f -> f.endsWith(".test.yml")))
                    .as("every promtool test file in alerts/ is run").containsExactlyInAnyOrderElementsOf(RULE_TESTS);
        }
        List<String> command = new ArrayList<>(List.of(promtool.toString(), "test", "rules"));
        command.addAll(RULE_TESTS);
        OpsFixture.Result result = OpsFixture.run(root, command);
        assertThat(result.exitCode()).as(result.describe()).isZero();
        assertThat(result.output()).contains("SUCCESS");
    }

    @Test
    void everyAlertHasSeveritySummaryDescriptionAndRunbook() {
        for (JsonNode rule : alerts) {
            String name = rule.path("alert").asText();
            assertThat(name).as("alert name").matches("Pgwarden[A-Z][A-Za-z]+");
            assertThat(rule.path("labels").path("severity").asText())
                    .as("severity of %s", name).isIn(SEVERITIES);

            JsonNode annotations = rule.path("annotations");
            assertThat(annotations.path("summary").asText())
                    .as("summary of %s", name).contains("$labels.stanza");
            assertThat(annotations.path("description").asText())
                    .as("description of %s", name).contains("$labels.stanza");

            String runbookUrl = annotations.path("runbook_url").asText();
            assertThat(runbookUrl).as("runbook_url of %s", name).isEqualTo(RUNBOOK_BASE + name + ".md");
            Path runbook = root.resolve("runbooks").resolve(name + ".md");
            assertThat(runbook).as("runbook of %s", name).isRegularFile();
            assertThat(content(runbook)).as("runbook of %s", name).startsWith("# " + name + "\n");
            assertThat(content(root.resolve("runbooks/README.md")))
                    .as("runbooks/README.md index").contains("(" + name + ".md)");
        }
    }

    @Test
    void runbooksStateTheSeverityOfTheirAlertAndEveryAlertRunbookHasItsAlert() throws IOException {
        Set<String> names = new HashSet<>();
        String index = content(root.resolve("runbooks/README.md"));
        for (JsonNode rule : alerts) {
            String name = rule.path("alert").asText();
            String severity = rule.path("labels").path("severity").asText();
            names.add(name);
            assertThat(content(root.resolve("runbooks").resolve(name + ".md")))
                    .as("runbook of %s states its severity", name).contains("**Severity:** " + severity + "\n");
            assertThat(index).as("runbooks/README.md row of %s", name)
                    .contains("| `" + name + "` | " + severity + " | [" + name + ".md](" + name + ".md) |");
        }
        try (var files = Files.list(root.resolve("runbooks"))) {
            files.map(p -> p.getFileName().toString()).filter(f -> f.startsWith("Pgwarden"))
                    .forEach(f -> assertThat(names).as("alert for runbook %s", f).contains(f.replace(".md", "")));
        }
    }

    @Test
    void rulesNameOnlyExportedMetrics() throws IllegalAccessException {
        Set<String> exported = GrafanaDashboardIT.exportedMetrics();
        Pattern metric = Pattern.compile("\\bpgwarden_[a-z0-9_]+");
        for (JsonNode rule : alerts) {
            Matcher m = metric.matcher(rule.path("expr").asText());
            while (m.find()) {
                assertThat(exported).as("metric '%s' in %s is one MeterNames declares", m.group(),
                        rule.path("alert").asText()).contains(m.group());
            }
        }
    }

    @Test
    void everyLinkBetweenRunbooksAndReadmeResolves() throws IOException {
        List<Path> documents = new ArrayList<>();
        try (var files = Files.list(root.resolve("runbooks"))) {
            files.filter(p -> p.toString().endsWith(".md")).forEach(documents::add);
        }
        documents.add(root.resolve("README.md"));
        Pattern link = Pattern.compile("\\]\\(([^)#\\s]+\\.md)(#[^)]*)?\\)");
        int checked = 0;
        for (Path document : documents) {
            Matcher m = link.matcher(content(document));
            while (m.find()) {
                String target = m.group(1);
                if (target.startsWith("http")) {
                    continue;
                }
                assertThat(document.resolveSibling(target).normalize()).as("link '%s' in %s", target,
                        root.relativize(document)).isRegularFile();
                checked++;
            }
        }
        assertThat(checked).as("links checked").isGreaterThan(20);
    }

    @Test
    void everyAlertIsTestedFiringAndNotFiring() throws IOException {
        Set<String> firing = new HashSet<>();
        Set<String> silent = new HashSet<>();
        for (String file : RULE_TESTS) {
            JsonNode tests = YAML.readTree(root.resolve(file).toFile());
            assertThat(tests.path("rule_files").get(0).asText()).as("rules tested by %s", file)
                    .isEqualTo("pgwarden.rules.yml");
            for (JsonNode test : tests.path("tests")) {
                for (JsonNode check : test.path("alert_rule_test")) {
                    String name = check.path("alertname").asText();
                    JsonNode expected = check.path("exp_alerts");
                    (expected.isArray() && expected.size() > 0 ? firing : silent).add(name);
                }
            }
        }
        for (JsonNode rule : alerts) {
            String name = rule.path("alert").asText();
            assertThat(firing).as("alerts with a case where they fire in %s", RULE_TESTS).contains(name);
            assertThat(silent).as("alerts with a case where they do not fire in %s", RULE_TESTS).contains(name);
        }
    }

    private static String content(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new AssertionError("unable to read '" + file + "'", e);
        }
    }
}
