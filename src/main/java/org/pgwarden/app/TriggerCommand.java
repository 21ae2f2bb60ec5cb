package org.pgwarden.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.pgwarden.common.Durations;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.ExitCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.PgwardenConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pgwarden trigger backup|verify|expire}: asks the running daemon to start the job, so
 * runbooks do not race the daemon's own schedule (the daemon serializes backups on its lock).
 * {@code --wait} follows the run and exits with its outcome.
 */
@Command(name = "trigger", mixinStandardHelpOptions = true,
        description = {"Start a job in the running daemon through its admin API (admin.listen, admin.token-file).",
            "With --wait, follow it and exit with its outcome: 0 on success, else the exit code of its error."})
final class TriggerCommand implements Runnable {
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * How often --wait asks for the run's status: often at first, so a run of a few seconds is
     * reported when it ends rather than up to half a second later; then every half second, as
     * runs take minutes to hours. A status request is a lookup in the daemon's memory.
     */
    static final Duration POLL_FIRST = Duration.ofMillis(25);
    static final Duration POLL_FAST = Duration.ofMillis(100);
    static final Duration POLL = Duration.ofMillis(500);
    /** How long --wait polls at {@link #POLL_FAST} before slowing to {@link #POLL}. */
    static final Duration FAST_POLLING = Duration.ofMinutes(1);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "missing job kind: backup, verify, expire, drill, maintenance or audit-retention");
    }

    /** Options every kind shares. */
    abstract static class Kind implements Callable<Integer> {
        final PgwardenCli root;

        @Option(names = "--wait", description = "Wait until the job ends; exit with its outcome.")
        boolean await;

        @Option(names = "--timeout", paramLabel = "DURATION",
                description = "With --wait: give up waiting after this long (e.g. 30m); the job goes on.")
        String timeout;

        Kind(PgwardenCli root) {
            this.root = root;
        }

        abstract ObjectNode request();

        /** The command that does the same without the daemon. */
        abstract String direct();

        @Override
        public Integer call() throws InterruptedException {
            PgwardenConfig config = root.loadConfig().config();
            Duration limit = timeout == null ? null : parseTimeout(timeout);
            AdminClient client = AdminClient.of(config.admin(), "run the job here without it: '" + direct() + "'");
            JsonNode accepted = client.post("/api/v1/jobs", request().toString());
            String id = accepted.path("id").asText();
            PrintWriter out = root.context().out();
            out.println("job " + id + " (" + accepted.path("kind").asText() + ") accepted by the daemon at "
                    + client.base());
            if (!await) {
                out.println("follow it with: pgwarden jobs " + id);
                return ExitCode.OK;
            }
            out.flush();
            return follow(client, id, limit, out);
        }

        private static Duration parseTimeout(String text) {
            try {
                return Durations.parse(text);
            } catch (IllegalArgumentException e) {
                throw new PgwardenException(ErrorCode.USAGE, "--timeout: " + e.getMessage());
            }
        }
    }

    /**
     * Polls the run until it ends; its outcome becomes the exit code. Each poll asks the daemon to
     * hold its answer for the pause until the next one, so the end of the run is seen when it
     * happens, not up to a pause later; a daemon that answers at once leaves the rest of the pause
     * to sleep here.
     */
    static int follow(AdminClient client, String id, Duration limit, PrintWriter out) throws InterruptedException {
        long started = System.nanoTime();
        long deadline = limit == null ? Long.MAX_VALUE : started + limit.toNanos();
        long pause = POLL_FIRST.toMillis();
        String lastStatus = "";
        while (true) {
            long asked = System.nanoTime();
            JsonNode job = client.get("/api/v1/jobs/" + id + "?wait=" + pause);
            long answeredAfter = (System.nanoTime() - asked) / 1_000_000;
            String status = job.path("status").asText();
            if (!status.equals(lastStatus) && (status.equals("waiting") || status.equals("running"))) {
                out.println("job " + id + " " + status + (status.equals("waiting") ? " for another run to finish" : ""));
                out.flush();
            }
            lastStatus = status;
            switch (status) {
                case "succeeded" -> {
                    out.println("✔ job " + id + " (" + job.path("kind").asText() + ") succeeded in "
                            + Math.round(job.path("durationSeconds").asDouble()) + "s: " + job.path("message").asText());
                    return ExitCode.OK;
                }
                case "failed", "cancelled", "skipped" -> {
                    ErrorCode code = ErrorCode.byId(job.path("errorCode").asText(""))
                            .orElse(status.equals("cancelled") ? ErrorCode.CANCELLED : ErrorCode.JOB_FAILED);
                    throw new PgwardenException(code, "job " + id + " (" + job.path("kind").asText() + ") " + status
                            + ": " + job.path("message").asText());
                }
                default -> {
                    if (System.nanoTime() > deadline) {
                        throw new PgwardenException(ErrorCode.TIMEOUT, "job " + id + " still " + status + " after "
                                + Durations.format(limit) + "; it goes on in the daemon",
                                "follow it with: pgwarden jobs " + id, null);
                    }
                    if (answeredAfter < pause) {
                        Thread.sleep(pause - answeredAfter);
                    }
                    pause = System.nanoTime() - started < FAST_POLLING.toNanos()
                            ? Math.min(pause * 2, POLL_FAST.toMillis()) : POLL.toMillis();
                }
            }
        }
    }

    @Command(name = "backup", mixinStandardHelpOptions = true, description = "Start a backup in the daemon.")
    static final class Backup extends Kind {
        @Option(names = "--type", defaultValue = "incr", paramLabel = "full|incr|diff",
                description = "Backup type (default: ${DEFAULT-VALUE}).")
        String type;

        Backup(PgwardenCli root) {
            super(root);
        }

        @Override
        ObjectNode request() {
            return JSON.createObjectNode().put("kind", "backup").put("type", type);
        }

        @Override
        String direct() {
            return "pgwarden backup --type " + type;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true, description = "Start a verify in the daemon.")
    static final class Verify extends Kind {
        Verify(PgwardenCli root) {
            super(root);
        }

        @Override
        ObjectNode request() {
            return JSON.createObjectNode().put("kind", "verify");
        }

        @Override
        String direct() {
            return "pgwarden verify";
        }
    }

    @Command(name = "expire", mixinStandardHelpOptions = true, description = "Start an expire in the daemon.")
    static final class Expire extends Kind {
        Expire(PgwardenCli root) {
            super(root);
        }

        @Override
        ObjectNode request() {
            return JSON.createObjectNode().put("kind", "expire");
        }

        @Override
        String direct() {
            return "pgwarden expire";
        }
    }

    @Command(name = "drill", mixinStandardHelpOptions = true, description = "Start a restore drill in the daemon.")
    static final class Drill extends Kind {
        @Option(names = "--set", paramLabel = "LABEL|latest|random",
                description = "The backup: a label, latest (default) or random.")
        String set;

        @Option(names = "--target-time", paramLabel = "TIME|latest",
                description = "Recover to this time (ISO-8601); latest (default): all archived WAL.")
        String targetTime;

        Drill(PgwardenCli root) {
            super(root);
        }

        @Override
        ObjectNode request() {
            ObjectNode n = JSON.createObjectNode().put("kind", "drill");
            if (set != null) {
                n.put("set", set);
            }
            if (targetTime != null) {
                n.put("target-time", targetTime);
            }
            return n;
        }

        @Override
        String direct() {
            return "pgwarden drill" + (set == null ? "" : " --set " + set)
                    + (targetTime == null ? "" : " --target-time " + targetTime);
        }
    }

    @Command(name = "maintenance", mixinStandardHelpOptions = true,
            description = "Run a maintenance window now in the daemon, open for its configured duration.")
    static final class Maintenance extends Kind {
        @Option(names = "--window", required = true, paramLabel = "NAME", description = "A window of maintenance.windows[].")
        String window;

        Maintenance(PgwardenCli root) {
            super(root);
        }

        @Override
        ObjectNode request() {
            return JSON.createObjectNode().put("kind", "maintenance").put("window", window);
        }

        @Override
        String direct() {
            return "pgwarden maintain --window " + window;
        }
    }
}
