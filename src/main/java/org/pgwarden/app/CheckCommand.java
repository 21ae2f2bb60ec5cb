package org.pgwarden.app;

import java.util.List;
import java.util.concurrent.Callable;
import org.pgwarden.app.check.ArchiveCheck;
import org.pgwarden.app.check.CheckResult;
import org.pgwarden.app.check.DependencyChecks;
import org.pgwarden.common.ExitCode;
import org.pgwarden.config.ConfigLoader;
import org.pgwarden.config.PgwardenConfig;
import org.pgwarden.metrics.Metrics;
import picocli.CommandLine.Command;

@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Check the configuration, PostgreSQL, the repository and the key.",
            "Prints each check with a hint when it fails; the exit code is that of the worst failure."})
final class CheckCommand implements Callable<Integer> {
    private final PgwardenCli root;

    CheckCommand(PgwardenCli root) {
        this.root = root;
    }

    @Override
    public Integer call() {
        ConfigLoader.Loaded loaded = root.loadConfig();
        PgwardenConfig config = loaded.config();
        LoggingSetup.apply(config.logging());
        var out = root.context().out();
        out.println("✔ configuration: " + loaded.source() + " (stanza '" + config.stanza() + "')");
        try (Components components = Components.open(config, root.context().environment(), Metrics.noop())) {
            List<CheckResult> results = new DependencyChecks(config.postgres().dataDirectory(), config.stanza(),
                    components.postgres(), components.repository(), components.key(), root.context().clock()).run();
            results = new java.util.ArrayList<>(results);
            results.add(archiveCheck(config, components, results));
            return print(results, out);
        }
    }

    /** Tests WAL archiving end to end, unless an earlier failure already explains why it cannot work. */
    private CheckResult archiveCheck(PgwardenConfig config, Components components, List<CheckResult> earlier) {
        if (earlier.stream().anyMatch(CheckResult::failed)) {
            return CheckResult.warn("postgres", "archive a WAL segment", "not tested: an earlier check failed", null);
        }
        return new ArchiveCheck(config.stanza(), components.postgres(), components.repository(),
                config.backup().archiveTimeout(), root.context().clock()).run();
    }

    /** Prints results; returns the exit code of the worst failure (the first one among equals). */
    static int print(List<CheckResult> results, java.io.PrintWriter out) {
        int worst = ExitCode.OK;
        for (CheckResult r : results) {
            out.println(r.status().symbol() + " " + r.name() + ": " + r.detail().replace("\n", "\n    "));
            r.hint().ifPresent(h -> out.println("    HINT: " + h));
            if (r.failed()) {
                int code = r.errorCode().map(e -> e.exitCode()).orElse(ExitCode.FAILED);
                worst = worst == ExitCode.OK ? code : Math.max(worst, code);
            }
        }
        long failed = results.stream().filter(CheckResult::failed).count();
        out.println(failed == 0 ? "all checks passed" : failed + " check(s) failed");
        out.flush();
        return worst;
    }
}
