package org.pgwarden.app;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.pgwarden.config.PgwardenConfig;

/**
 * What a command asks the daemon to run for it: a job of the admin API and the lines to print once
 * that job succeeds. Built from the command's parsed options, by the command itself when it hands
 * its run over, or by the daemon for {@code POST /api/v1/commands}, whose client sends the
 * arguments as typed.
 *
 * @param job          the admin API job: {@code kind} and string parameters
 * @param afterSuccess what the command prints after the run succeeded (next steps), may be empty
 */
record DaemonRequest(ObjectNode job, List<String> afterSuccess) {
    DaemonRequest {
        afterSuccess = List.copyOf(afterSuccess);
    }

    /** A command that can run in the daemon instead of its own process. */
    interface Source {
        /**
         * The daemon's job for the parsed options, relative paths resolved against
         * {@code workingDirectory}; empty when these options run in the command's own process
         * ({@code --in-process}, {@code --dry-run}, ...).
         *
         * @throws org.pgwarden.common.PgwardenException {@code USAGE} naming the bad option
         */
        Optional<DaemonRequest> daemonRequest(Path workingDirectory, PgwardenConfig config);
    }
}
