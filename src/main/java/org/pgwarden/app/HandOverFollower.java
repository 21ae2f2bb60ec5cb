package org.pgwarden.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;

/**
 * The second half of a hand-over that {@code org.pgwarden.handover.HandOverClient} began: the
 * daemon has accepted the command line and runs it; this follows the run to its end exactly as the
 * full command would have, and prints the same lines. Reached by name, so none of the command
 * line's classes load before the daemon has the run.
 */
public final class HandOverFollower {
    private static final ObjectMapper JSON = new ObjectMapper();

    private HandOverFollower() {
    }

    /**
     * @param command   {@code backup} or {@code restore}
     * @param base      the admin API, {@code http://host:port}
     * @param tokenFile {@code admin.token-file}
     * @param accepted  the daemon's 202 answer to {@code POST /api/v1/commands}
     * @return the exit code: the run's, or the error's
     */
    public static int follow(String command, String base, String tokenFile, String accepted) {
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        try {
            DaemonHandOver handOver = DaemonHandOver.of(command).orElseThrow(() -> new PgwardenException(
                    ErrorCode.INTERNAL, "no hand-over for command '" + command + "'"));
            JsonNode answer = JSON.readTree(accepted);
            List<String> afterSuccess = new ArrayList<>();
            answer.path("after").forEach(line -> afterSuccess.add(line.asText()));
            AdminClient client = AdminClient.at(base, Path.of(tokenFile), "add --in-process to run the " + command
                    + " in this process");
            return handOver.follow(client, answer.path("id").asText(), afterSuccess, out);
        } catch (PgwardenException | IOException e) {
            PgwardenException p = PgwardenException.of(e);
            err.println("error: [" + p.errorCode().id() + "] " + p.describe());
            return p.errorCode().exitCode();
        } finally {
            out.flush();
            err.flush();
        }
    }
}
