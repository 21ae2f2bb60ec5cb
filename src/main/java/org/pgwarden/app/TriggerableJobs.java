package org.pgwarden.app;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.pgwarden.backup.Backup;
import org.pgwarden.backup.BackupJob;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.PgwardenConfig;
import org.pgwarden.job.Job;
import org.pgwarden.job.JobContext;
import org.pgwarden.job.JobResult;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.repo.BackupType;
import org.pgwarden.repo.StanzaStore;
import org.pgwarden.restore.Verify;

/**
 * The jobs an operator may trigger in the running daemon, built from a kind and parameters:
 * {@code backup} ({@code type}: full, incr or diff; default incr, as the command line) and
 * {@code verify}. The same jobs the command line runs, against the daemon's own dependencies.
 */
final class TriggerableJobs implements RunnerJobSubmitter.Catalog {
    private final PgwardenConfig config;
    private final Components components;
    private final Metrics metrics;
    private final Clock clock;

    TriggerableJobs(PgwardenConfig config, Components components, Metrics metrics, Clock clock) {
        this.config = config;
        this.components = components;
        this.metrics = metrics;
        this.clock = clock;
    }

    @Override
    public List<String> kinds() {
        return List.of("backup", "verify");
    }

    @Override
    public Job create(String kind, Map<String, String> params) {
        return switch (kind) {
            case "backup" -> backup(params);
            case "verify" -> verify(params);
            default -> throw new IllegalArgumentException(kind);
        };
    }

    private Job backup(Map<String, String> params) {
        allowOnly("backup", params, Set.of("type"));
        String type = params.getOrDefault("type", "incr");
        BackupType backupType = switch (type) {
            case "full" -> BackupType.FULL;
            case "incr" -> BackupType.INCR;
            case "diff" -> BackupType.DIFF;
            default -> throw new PgwardenException(ErrorCode.USAGE, "backup 'type' '" + type
                    + "' is not a backup type; expected full, incr or diff");
        };
        RepositoryAccess repo = RepositoryAccess.open(config, components, clock);
        Backup backup = new Backup(repo.store(), repo.objects(), repo.keyring(), components.postgres(),
                config.postgres().dataDirectory(), config.backup(), clock, metrics);
        return new BackupJob(backup, new Backup.Request(backupType, Map.of()));
    }

    private Job verify(Map<String, String> params) {
        allowOnly("verify", params, Set.of());
        return new Job() {
            @Override
            public String kind() {
                return "verify";
            }

            @Override
            public JobResult run(JobContext context) {
                RepositoryAccess repo = RepositoryAccess.open(config, components, clock);
                int segmentSize = new StanzaStore(repo.store(), repo.objects()).load().walSegmentSize();
                List<Verify.Outcome> outcomes = new Verify(repo.store(), repo.objects(), segmentSize, clock)
                        .run(Optional.empty(), false, context);
                List<String> bad = new ArrayList<>();
                long bytes = 0;
                for (Verify.Outcome o : outcomes) {
                    bytes += o.reused() ? 0 : o.bytes();
                    if (!o.ok()) {
                        bad.add(o.label() + ": " + String.join("; ", o.problems()));
                    }
                }
                if (!bad.isEmpty()) {
                    throw new PgwardenException(ErrorCode.INTEGRITY_CHECKSUM, bad.size() + " of " + outcomes.size()
                            + " backup(s) failed verification: " + String.join(" | ", bad));
                }
                return new JobResult(bytes, outcomes.size() + " backup(s) verified");
            }
        };
    }

    private static void allowOnly(String kind, Map<String, String> params, Set<String> allowed) {
        for (String k : params.keySet()) {
            if (!allowed.contains(k)) {
                throw new PgwardenException(ErrorCode.USAGE, "unknown field '" + k + "' for kind '" + kind + "'; "
                        + (allowed.isEmpty() ? "it takes none" : "expected: " + String.join(", ", allowed)));
            }
        }
    }
}
