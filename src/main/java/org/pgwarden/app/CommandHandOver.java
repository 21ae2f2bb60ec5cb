package org.pgwarden.app;

import java.nio.file.Path;
import java.util.List;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.PgwardenConfig;
import picocli.CommandLine;

/**
 * The daemon's side of {@code POST /api/v1/commands}: a {@code backup} or {@code restore} command
 * line, parsed here with the command's own options and checks, becomes the job the command would
 * have asked for. The client that sends it ({@code org.pgwarden.handover}) then needs neither the
 * option parser nor the configuration loader before the run starts, which is most of a fresh
 * JVM's time to hand a run over.
 */
final class CommandHandOver {
    static final List<String> COMMANDS = List.of("backup", "restore");

    private CommandHandOver() {
    }

    /**
     * @param args             the arguments after the command's name, as typed
     * @param workingDirectory the client's, for relative paths
     * @throws PgwardenException {@code USAGE} for an unknown command or bad options, naming them;
     *         also for options that keep the run in the command's own process
     */
    static DaemonRequest parse(String command, List<String> args, Path workingDirectory, PgwardenConfig config) {
        DaemonRequest.Source source = switch (command) {
            case "backup" -> new BackupCommand(null);
            case "restore" -> new RestoreCommand(null);
            default -> throw new PgwardenException(ErrorCode.USAGE, "command '" + command
                    + "' is not run for the command line; expected one of " + String.join(", ", COMMANDS));
        };
        CommandLine line = new CommandLine(source);
        try {
            line.parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            throw new PgwardenException(ErrorCode.USAGE, "pgwarden " + command + ": " + e.getMessage());
        }
        if (line.isUsageHelpRequested() || line.isVersionHelpRequested()) {
            throw new PgwardenException(ErrorCode.USAGE, "pgwarden " + command + ": --help and --version are"
                    + " answered by the command line, not the daemon");
        }
        return source.daemonRequest(workingDirectory, config).orElseThrow(() -> new PgwardenException(
                ErrorCode.USAGE, "pgwarden " + command + ": these options run the " + command
                        + " in the command's own process, not in the daemon"));
    }
}
