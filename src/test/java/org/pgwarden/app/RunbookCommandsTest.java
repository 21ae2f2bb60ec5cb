package org.pgwarden.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import org.junit.jupiter.api.Test;

/**
 * Every pgwarden command the restore runbook tells an operator to type exists with the options it
 * uses: each is parsed, not run, by the real command line. The runbook calls pgwarden through the
 * alias {@code pgw}.
 */
class RunbookCommandsTest {
    private static final Path RUNBOOK = Path.of("runbooks", "restore.md");
    /** {@code pgw ...} at the start of a line in a code block, or inside backticks in the text. */
    private static final Pattern COMMAND = Pattern.compile("(?m)(?:^\\s*|`)pgw ([^`#\\n]+)");

    @Test
    void everyPgwardenCommandInTheRestoreRunbookParses() throws Exception {
        String text = Files.readString(RUNBOOK);
        assertThat(text).contains("alias pgw='sudo -u postgres pgwarden --config /etc/pgwarden/pgwarden.yaml'");
        List<String> commands = new ArrayList<>();
        Matcher m = COMMAND.matcher(text);
        while (m.find()) {
            commands.add(m.group(1).strip());
        }
        assertThat(commands).as("commands found in %s", RUNBOOK).hasSizeGreaterThanOrEqualTo(6)
                .anyMatch(c -> c.startsWith("restore ") && c.contains("--safety-backup"))
                .anyMatch(c -> c.startsWith("restore ") && c.contains("--dry-run"));
        for (String command : commands) {
            List<String> args = new ArrayList<>(List.of("--config", "/etc/pgwarden/pgwarden.yaml"));
            args.addAll(words(command));
            PgwardenCli cli = new PgwardenCli(new CliContext(Map.of(), new PrintWriter(new StringWriter()),
                    new PrintWriter(new StringWriter()), Clock.systemUTC()));
            try {
                cli.commandLine().parseArgs(args.toArray(String[]::new));
            } catch (CommandLine.ParameterException e) {
                throw new AssertionError("'pgw " + command + "' in " + RUNBOOK + " does not parse: " + e.getMessage(), e);
            }
        }

        CommandLine.ParameterException typo = org.assertj.core.api.Assertions.catchThrowableOfType(
                () -> new PgwardenCli(new CliContext(Map.of(), new PrintWriter(new StringWriter()),
                        new PrintWriter(new StringWriter()), Clock.systemUTC())).commandLine()
                        .parseArgs("restore", "--pgdata", "/x", "--safety-copy"),
                CommandLine.ParameterException.class);
        assertThat(typo).as("an option that does not exist fails the check").isNotNull();
    }

    /** Splits a shell command line into words, honouring single and double quotes. */
    private static List<String> words(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (char c : line.toCharArray()) {
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    word.append(c);
                }
            } else if (c == '"' || c == '\'') {
                quote = c;
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    out.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
            } else {
                word.append(c);
                inWord = true;
            }
        }
        if (inWord) {
            out.add(word.toString());
        }
        return out;
    }
}
