package org.pgwarden.app;

import java.util.concurrent.Callable;
import org.pgwarden.common.ExitCode;
import picocli.CommandLine.Command;

@Command(name = "version", mixinStandardHelpOptions = true, description = "Print the version.")
final class VersionCommand implements Callable<Integer> {
    private final PgwardenCli root;

    VersionCommand(PgwardenCli root) {
        this.root = root;
    }

    @Override
    public Integer call() {
        BuildInfo b = BuildInfo.load();
        root.context().out().println("pgwarden " + b.version() + " (Java " + b.javaVersion() + ")");
        return ExitCode.OK;
    }
}
