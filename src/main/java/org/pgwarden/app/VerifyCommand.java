package org.pgwarden.app;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.pgwarden.backup.Backup;
import org.pgwarden.common.ExitCode;
import org.pgwarden.config.PgwardenConfig;
import org.pgwarden.job.JobContext;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.repo.BackupLabel;
import org.pgwarden.repo.StanzaStore;
import org.pgwarden.restore.Verify;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Read every object of the backups and check decryption, every checksum, the manifest and",
            "the WAL each backup needs, without restoring. Results are kept in the repository: an unchanged,",
            "verified backup is not read again unless --full. Exit code 4 when anything is wrong."})
final class VerifyCommand implements Callable<Integer> {
    private final PgwardenCli root;

    @Option(names = "--set", paramLabel = "LABEL", description = "Verify only this backup.")
    String set;

    @Option(names = "--full", description = "Read again backups verified earlier.")
    boolean full;

    VerifyCommand(PgwardenCli root) {
        this.root = root;
    }

    @Override
    public Integer call() {
        PgwardenConfig config = root.loadConfig().config();
        LoggingSetup.apply(config.logging());
        try (Components components = Components.open(config, root.context().environment(), Metrics.noop())) {
            RepositoryAccess repo = RepositoryAccess.open(config, components, root.context().clock());
            int segmentSize = new StanzaStore(repo.store(), repo.objects()).load().walSegmentSize();
            List<Verify.Outcome> outcomes = new Verify(repo.store(), repo.objects(), segmentSize, root.context().clock())
                    .run(Optional.ofNullable(set).map(BackupLabel::parse), full,
                            JobContext.standalone("verify", "verify", root.context().clock()));
            var out = root.context().out();
            boolean ok = true;
            for (Verify.Outcome o : outcomes) {
                ok &= o.ok();
                out.println((o.ok() ? "✔ " : "✘ ") + o.label() + ": " + o.files() + " files, "
                        + Backup.human(o.bytes()) + (o.reused() ? " (verified earlier, manifest unchanged)" : ""));
                o.problems().forEach(p -> out.println("    " + p));
            }
            if (outcomes.isEmpty()) {
                out.println("no backups to verify");
            }
            return ok ? ExitCode.OK : ExitCode.INTEGRITY;
        }
    }
}
