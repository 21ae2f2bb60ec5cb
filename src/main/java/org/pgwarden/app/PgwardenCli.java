package org.pgwarden.app;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.pgwarden.adapter.quartz.QuartzCronValidator;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.ExitCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.ConfigLoader;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code pgwarden} command line: parses arguments, runs one command and maps its outcome to
 * an exit code from the {@link ErrorCode} catalog. Errors print as {@code error: [PGW020] ...}
 * with a {@code HINT:} line when there is one.
 */
@Command(name = "pgwarden", mixinStandardHelpOptions = true, versionProvider = PgwardenCli.Version.class,
        description = "PostgreSQL backup and maintenance daemon.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            " 0:ok",
            " 1:a job or command failed",
            " 2:usage or configuration error",
            " 3:a dependency (PostgreSQL, repository, key service) is unreachable or refuses access",
            " 4:integrity error (checksum or authentication mismatch)",
            " 5:conflict (lock held, repository owned by another cluster)",
            "130:cancelled"})
public final class PgwardenCli {

    @Option(names = "--config", paramLabel = "FILE",
            description = "Configuration file (default: $PGWARDEN_CONFIG).")
    Path config;

    private final CliContext context;

    public PgwardenCli(CliContext context) {
        this.context = context;
    }

    public CliContext context() {
        return context;
    }

    /** Runs {@code args}; never throws; returns the process exit code. */
    public int execute(String... args) {
        CommandLine cli = commandLineFor(args);
        int code;
        try {
            code = cli.execute(args);
        } finally {
            context.out().flush();
            context.err().flush();
        }
        return code;
    }

    /** Every command and option, wired to this context; tests parse documented command lines with it. */
    CommandLine commandLine() {
        return wire(subcommands().keySet());
    }

    /**
     * The command line {@code args} need: only the command they name when they name one. Picocli
     * reads every command's annotations when it is added, about a tenth of a second for the whole
     * tree, paid by every short command (and by {@code restore} before it hands over to the daemon).
     * Anything else (no command, an unknown one, root options such as {@code --help}, an
     * {@code @file}) gets the whole tree, so usage and suggestions stay complete.
     */
    CommandLine commandLineFor(String... args) {
        Optional<String> named = commandName(args);
        return named.isPresent() && subcommands().containsKey(named.get())
                ? wire(Set.of(named.get())) : commandLine();
    }

    /** The first argument that is not {@code --config FILE}, when it can be a command's name. */
    static Optional<String> commandName(String... args) {
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--config")) {
                i++;
            } else if (!arg.startsWith("--config=")) {
                return arg.startsWith("-") || arg.startsWith("@") ? Optional.empty() : Optional.of(arg);
            }
        }
        return Optional.empty();
    }

    /** Each command by its name, built when asked for; the order is the order of the usage text. */
    private Map<String, Supplier<Object>> subcommands() {
        Map<String, Supplier<Object>> all = new LinkedHashMap<>();
        all.put("daemon", () -> new DaemonCommand(this));
        all.put("check", () -> new CheckCommand(this));
        all.put("config", () -> new CommandLine(new ConfigCommand()).addSubcommand(new ConfigCommand.Show(this)));
        all.put("stanza-create", () -> new StanzaCreateCommand(this));
        all.put("backup", () -> new BackupCommand(this));
        all.put("info", () -> new InfoCommand(this));
        all.put("restore", () -> new RestoreCommand(this));
        all.put("verify", () -> new VerifyCommand(this));
        all.put("drill", () -> new DrillCommand(this));
        all.put("maintain", () -> new MaintainCommand(this));
        all.put("pause", () -> new PauseCommand(this));
        all.put("resume", () -> new ResumeCommand(this));
        all.put("trigger", () -> new CommandLine(new TriggerCommand())
                .addSubcommand(new TriggerCommand.Backup(this))
                .addSubcommand(new TriggerCommand.Verify(this))
                .addSubcommand(new TriggerCommand.Expire(this))
                .addSubcommand(new TriggerCommand.Drill(this))
                .addSubcommand(new TriggerCommand.Maintenance(this))
                .addSubcommand(new RetentionCommand.Trigger(this)));
        all.put("jobs", () -> new JobsCommand(this));
        all.put("expire", () -> new ExpireCommand(this));
        all.put("retention", () -> new CommandLine(new RetentionCommand(this))
                .addSubcommand(new RetentionCommand.Restore(this)));
        all.put("wal-push", () -> new WalPushCommand(this));
        all.put("wal-fetch", () -> new WalFetchCommand(this));
        all.put("rekey", () -> new RekeyCommand(this));
        all.put("key", () -> new CommandLine(new KeyCommand()).addSubcommand(new KeyCommand.Generate(this)));
        all.put("version", () -> new VersionCommand(this));
        all.put("demo", () -> new DemoCommand(this));
        return all;
    }

    private CommandLine wire(Set<String> names) {
        CommandLine cli = new CommandLine(this);
        subcommands().forEach((name, command) -> {
            if (names.contains(name)) {
                cli.addSubcommand(command.get());
            }
        });
        cli.setOut(context.out());
        cli.setErr(context.err());
        cli.setExecutionStrategy(new CommandLine.RunLast());
        cli.setExecutionExceptionHandler((e, line, parsed) -> {
            PgwardenException p = PgwardenException.of(e);
            context.err().println("error: [" + p.errorCode().id() + "] " + p.describe());
            if (p.errorCode() == ErrorCode.INTERNAL) {
                e.printStackTrace(context.err());
            }
            context.err().flush();
            return p.errorCode().exitCode();
        });
        return cli;
    }

    /** Loads the configuration named by {@code --config} or {@code PGWARDEN_CONFIG}. */
    ConfigLoader.Loaded loadConfig() {
        Path file = Optional.ofNullable(config)
                .or(() -> Optional.ofNullable(context.environment().get("PGWARDEN_CONFIG"))
                        .filter(s -> !s.isBlank()).map(Path::of))
                .orElseThrow(() -> new PgwardenException(ErrorCode.USAGE, "no configuration file given",
                        "pass --config FILE or set PGWARDEN_CONFIG", null));
        return loader().load(file);
    }

    ConfigLoader loader() {
        return new ConfigLoader(new QuartzCronValidator());
    }

    /** Root without a subcommand: show usage, exit 2. */
    @Command(name = "config", description = "Inspect the configuration.", mixinStandardHelpOptions = true)
    static final class ConfigCommand implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: show");
        }

        @Command(name = "show", mixinStandardHelpOptions = true,
                description = "Print the effective configuration (defaults filled in, secrets only as references).")
        static final class Show implements java.util.concurrent.Callable<Integer> {
            private final PgwardenCli root;

            Show(PgwardenCli root) {
                this.root = root;
            }

            @Override
            public Integer call() {
                ConfigLoader.Loaded loaded = root.loadConfig();
                root.context().out().println("# effective configuration from " + loaded.source());
                root.context().out().print(loaded.effectiveYaml());
                return ExitCode.OK;
            }
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            BuildInfo b = BuildInfo.load();
            return new String[]{"pgwarden " + b.version() + " (Java " + b.javaVersion() + ")"};
        }
    }
}
