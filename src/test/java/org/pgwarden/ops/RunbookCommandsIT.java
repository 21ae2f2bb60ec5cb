package org.pgwarden.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgwarden.testing.BackupSetup;
import org.pgwarden.testing.CliRun;

/**
 * The {@code pgwarden} commands operators copy from the runbooks and the README are real: every
 * command in a fenced block parses with the CLI, and the read-only ones ({@code info}, {@code check}, {@code verify},
 * {@code config show}, {@code drill}) run against a cluster with a backup and exit 0.
 *
 * <p>A command is a line in a fenced block that starts with {@code pgwarden --config FILE}, after an
 * optional {@code sudo -u postgres}; anything from a {@code |} on is the shell's business.
 */
class RunbookCommandsIT {
    private static final String SHIPPED_CONFIG = "/etc/pgwarden/pgwarden.yaml";
    /** The label the runbooks use in examples; replaced by the test's own full backup. */
    private static final String EXAMPLE_LABEL = "20261124-020000F";
    /** Commands that leave the cluster as it was (a drill only adds its report to the repository). */
    private static final Set<String> READ_ONLY = Set.of("info", "check", "verify", "config", "drill");

    @TempDir
    static Path dir;

    private static BackupSetup setup;
    private static String fullLabel;
    private static Map<String, List<String>> commands;

    @BeforeAll
    static void givenAClusterWithABackupAndTheDocumentedCommands() throws IOException {
        commands = documentedCommands(OpsFixture.repoRoot());
        setup = BackupSetup.start(dir, Map.of(), "");
        assertThat(setup.cli("stanza-create").exitCode()).isZero();
        CliRun backup = setup.cli("backup", "--type", "full");
        assertThat(backup.exitCode()).as(backup.all()).isZero();
        CliRun info = setup.cli("info", "--output", "json");
        fullLabel = new ObjectMapper().readTree(info.out()).path("backups").get(0).path("label").asText();
    }

    @AfterAll
    static void stop() {
        if (setup != null) {
            setup.close();
        }
    }

    @Test
    void theDocumentationHoldsTheCommandsOperatorsNeed() {
        List<String> subcommands = commands.values().stream().map(RunbookCommandsIT::subcommand).toList();
        assertThat(subcommands).contains("info", "check", "verify", "backup", "restore", "wal-push");
        assertThat(commands.keySet()).anySatisfy(c -> assertThat(c).startsWith("runbooks/disaster-recovery.md:"))
                .anySatisfy(c -> assertThat(c).startsWith("runbooks/stuck-archive-command.md:"));
    }

    @Test
    void everyDocumentedCommandParses() {
        // The check itself catches a wrong option or value: otherwise this test could pass on anything.
        assertThat(parses(List.of("--config", SHIPPED_CONFIG, "info", "--outptu", "json"))).isFalse();
        assertThat(parses(List.of("--config", SHIPPED_CONFIG, "restore", "--pgdata", "/x", "--parallelism", "many")))
                .isFalse();
        assertThat(parses(List.of("--config", SHIPPED_CONFIG, "info", "--output", "json"))).isTrue();

        commands.forEach((where, args) -> assertThat(parses(args))
                .as("%s: pgwarden %s parses", where, String.join(" ", args)).isTrue());
    }

    @Test
    void readOnlyCommandsRunAgainstARealSetup() {
        int ran = 0;
        Set<List<String>> done = new java.util.HashSet<>();
        for (Map.Entry<String, List<String>> c : commands.entrySet()) {
            // The same command in several runbooks runs once (check archives a WAL segment each time).
            if (!READ_ONLY.contains(subcommand(c.getValue())) || !done.add(c.getValue())) {
                continue;
            }
            String[] args = c.getValue().stream()
                    .map(a -> a.equals(SHIPPED_CONFIG) ? setup.config().toString() : a.equals(EXAMPLE_LABEL) ? fullLabel : a)
                    .toArray(String[]::new);
            CliRun r = CliRun.run(args);
            assertThat(r.exitCode()).as("%s: pgwarden %s\n%s", c.getKey(), String.join(" ", args), r.all()).isZero();
            ran++;
        }
        assertThat(ran).as("read-only commands run").isGreaterThanOrEqualTo(4);
    }

    /**
     * Runs the command with its configuration file replaced by one that does not exist. Picocli
     * parses and validates the whole command line first (unknown options, values of the wrong
     * type, missing required options end there with usage); a command that parses goes on to
     * load its configuration and stops with PGW011, before it touches anything.
     */
    private static boolean parses(List<String> args) {
        String absent = dir.resolve("absent.yaml").toString();
        CliRun r = CliRun.run(args.stream().map(a -> a.equals(SHIPPED_CONFIG) ? absent : a).toArray(String[]::new));
        return r.exitCode() == 2 && r.err().contains("[PGW011] configuration file '" + absent + "' does not exist");
    }

    private static String subcommand(List<String> args) {
        return args.get(2); // pgwarden --config FILE <subcommand>
    }

    /** {@code file:line} → arguments after {@code pgwarden}, for every documented command. */
    static Map<String, List<String>> documentedCommands(Path root) throws IOException {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.list(root.resolve("runbooks"))) {
            s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
        }
        files.add(root.resolve("README.md"));
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (Path file : files) {
            List<String> lines = Files.readAllLines(file);
            boolean fenced = false;
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i).strip();
                if (line.startsWith("```")) {
                    fenced = !fenced;
                    continue;
                }
                if (!fenced) {
                    continue;
                }
                if (line.startsWith("sudo -u postgres ")) {
                    line = line.substring("sudo -u postgres ".length());
                }
                if (!line.startsWith("pgwarden --config ")) {
                    continue;
                }
                int pipe = line.indexOf(" | ");
                List<String> words = words(pipe < 0 ? line : line.substring(0, pipe));
                out.put(root.relativize(file) + ":" + (i + 1), words.subList(1, words.size()));
            }
            assertThat(fenced).as("%s closes every fenced block", file).isFalse();
        }
        return out;
    }

    /** Splits a shell command into words: blanks separate, single and double quotes group. */
    static List<String> words(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (char ch : line.toCharArray()) {
            if (quote != 0) {
                if (ch == quote) {
                    quote = 0;
                } else {
                    word.append(ch);
                }
            } else if (ch == '\'' || ch == '"') {
                quote = ch;
                inWord = true;
            } else if (Character.isWhitespace(ch)) {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
            } else {
                word.append(ch);
                inWord = true;
            }
        }
        assertThat(quote).as("unbalanced quote in: %s", line).isEqualTo((char) 0);
        if (inWord) {
            words.add(word.toString());
        }
        return words;
    }
}
