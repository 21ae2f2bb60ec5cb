package org.pgwarden.app;

import java.util.Optional;
import java.util.concurrent.Callable;
import org.pgwarden.common.ExitCode;
import org.pgwarden.config.PgwardenConfig;
import picocli.CommandLine.Command;

@Command(name = "resume", mixinStandardHelpOptions = true,
        description = {"Remove the stop file (daemon.stop-file): scheduled jobs run again from their next fire.",
            "Fires skipped while paused are not run afterwards. Harmless when not paused."})
final class ResumeCommand implements Callable<Integer> {
    private final PgwardenCli root;

    ResumeCommand(PgwardenCli root) {
        this.root = root;
    }

    @Override
    public Integer call() {
        PgwardenConfig config = root.loadConfig().config();
        StopFile file = new StopFile(config.daemon().stopFile());
        Optional<StopFile.Pause> was = file.remove();
        var out = root.context().out();
        if (was.isPresent()) {
            out.println("✔ resumed: removed '" + file.path() + "' (was paused " + was.get().describe()
                    + "); scheduled jobs run from their next fire");
        } else {
            out.println("! not paused: '" + file.path() + "' does not exist");
        }
        return ExitCode.OK;
    }
}
