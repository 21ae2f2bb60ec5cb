package org.pgwarden.app;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.ExitCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.AdminConfig;
import org.slf4j.LoggerFactory;

/**
 * How a command hands its run to the daemon of the same configuration (its JVM is warm, and it
 * orders the run with its schedule) and follows it to the end. Empty when there is no daemon to
 * ask (no admin API configured, none answering, a token this user cannot read), so the command
 * runs in its own process; a daemon that answers but refuses (paused, bad parameters, queue
 * full) is an error, not a reason to go around it.
 *
 * @param what   the run, as the messages name it: {@code backup}, {@code restore}
 * @param doing  what the command does in its own process, for the messages: {@code backing up}
 */
record DaemonHandOver(String what, String doing) {
    static final DaemonHandOver BACKUP = new DaemonHandOver("backup", "backing up");
    static final DaemonHandOver RESTORE = new DaemonHandOver("restore", "restoring");

    /** The hand-over of the command named {@code command}: {@code backup} or {@code restore}. */
    static Optional<DaemonHandOver> of(String command) {
        return Optional.ofNullable(switch (command) {
            case "backup" -> BACKUP;
            case "restore" -> RESTORE;
            default -> null;
        });
    }

    /** Posts {@code request}'s job to the admin API and follows it; the job's exit code, or empty. */
    Optional<Integer> run(AdminConfig admin, DaemonRequest request, PrintWriter out, PrintWriter err) {
        AdminClient client;
        try {
            client = AdminClient.of(admin, "add --in-process to run the " + what + " in this process");
        } catch (PgwardenException e) {
            if (e.errorCode() == ErrorCode.ADMIN_TOKEN_INVALID) {
                // an admin API is configured but this user cannot read its token: say so, as the run
                // then happens here, slower, instead of in the daemon
                err.println("not handing the " + what + " to the daemon: [" + e.errorCode().id() + "] "
                        + e.getMessage() + "; " + doing + " in this process (run as the daemon's user to hand it over)");
            } else {
                // looked up here: a command that hands over and follows needs no logging set up
                LoggerFactory.getLogger(DaemonHandOver.class).debug("{} in this process: {}", doing, e.getMessage());
            }
            return Optional.empty();
        }
        JsonNode accepted;
        try {
            accepted = client.post("/api/v1/jobs", request.job().toString());
        } catch (PgwardenException e) {
            if (e.errorCode() != ErrorCode.DAEMON_UNREACHABLE) {
                throw e;
            }
            err.println("no daemon answers on " + client.base() + "; " + doing + " in this process");
            return Optional.empty();
        }
        return Optional.of(follow(client, accepted.path("id").asText(), request.afterSuccess(), out));
    }

    /** Follows run {@code id}, which the daemon accepted, to its end; its exit code. */
    int follow(AdminClient client, String id, List<String> afterSuccess, PrintWriter out) {
        out.println(what + " handed to the daemon at " + client.base() + " as job " + id + "; following it (Ctrl-C"
                + " stops following, not the " + what + ": 'pgwarden jobs " + id + "'; --in-process runs it here)");
        out.flush();
        try {
            int code = TriggerCommand.follow(client, id, null, out);
            if (code == ExitCode.OK) {
                afterSuccess.forEach(out::println);
            }
            return code;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PgwardenException(ErrorCode.CANCELLED, "stopped following job " + id + "; the " + what
                    + " goes on in the daemon", e);
        }
    }
}
