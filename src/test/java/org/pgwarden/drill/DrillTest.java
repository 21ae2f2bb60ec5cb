package org.pgwarden.drill;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.pgwarden.codec.Codec;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.DrillConfig;
import org.pgwarden.crypto.DataKeyCache;
import org.pgwarden.crypto.LocalKeyFileWrapper;
import org.pgwarden.job.JobContext;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.pg.SqlWork;
import org.pgwarden.pg.Lsn;
import org.pgwarden.pg.TimelineId;
import org.pgwarden.repo.BackupLabel;
import org.pgwarden.repo.Keyring;
import org.pgwarden.repo.RepositoryLayout;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.storage.ObjectKey;
import org.pgwarden.testing.InMemoryObjectStore;
import org.pgwarden.testing.RecordingMetrics;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The drill's own logic with fake restore and server: cleanup on every path, the report, metrics, objectives. */
class DrillTest {
    private static final Clock CLOCK = Clock.systemUTC();
    private static final BackupLabel LABEL = BackupLabel.parse("20261124-020000F");

    @TempDir
    Path dir;
    private InMemoryObjectStore store;
    private SealedObjects objects;
    private final RecordingMetrics metrics = new RecordingMetrics();
    private final AtomicInteger closed = new AtomicInteger();

    @BeforeEach
    void givenRepository() {
        store = new InMemoryObjectStore();
        Path key = dir.resolve("master.key");
        LocalKeyFileWrapper.generateKeyFile(key);
        Keyring keyring = new Keyring(store, "main", LocalKeyFileWrapper.open(key),
                new DataKeyCache(Duration.ofMinutes(1), 8, CLOCK), CLOCK);
        objects = new SealedObjects(store, "main", keyring, Codec.zstd(1));
    }

    private DrillConfig config(Duration timeout, Optional<Duration> rto) {
        return new DrillConfig(dir.resolve("scratch"), timeout, List.of(), List.of(), List.of(), rto, Optional.empty(), 100, false);
    }

    private Drill.Plan givenPlan(long bytes) {
        return new Drill.Plan(LABEL, bytes, 16 << 20, Instant.parse("2026-11-24T02:05:00Z"), Optional.empty(),
                Lsn.parse("0/3000000"), TimelineId.FIRST, 16 << 20, Optional.empty());
    }

    /** A server that never answers a query; records its close. */
    private Drill.Server server(Path data) {
        return new Drill.Server() {
            @Override
            public Path dataDirectory() {
                return data;
            }

            @Override
            public void start() {
            }

            @Override
            public boolean isRunning() {
                return true;
            }

            @Override
            public String logTail() {
                return "";
            }

            @Override
            public <T> T query(String database, SqlWork<T> work) {
                throw new PgwardenException(ErrorCode.PG_UNREACHABLE, "not yet");
            }

            @Override
            public void close() {
                closed.incrementAndGet();
            }
        };
    }

    private Drill drill(DrillConfig config, Drill.Restorer restorer) {
        return new Drill(config, restorer, (parent, timeout) -> server(parent.resolve("data")), objects, CLOCK, metrics);
    }

    private JsonNode stored(DrillReport r) throws IOException {
        try (InputStream in = objects.open(RepositoryLayout.drillReport(r.started()))) {
            return new ObjectMapper().readTree(in.readAllBytes());
        }
    }

    @Test
    void aFailedRestoreStillStopsTheScratchServerAndIsRecordedAsAFailedDrill() throws Exception {
        Drill.Restorer failing = new Drill.Restorer() {
            @Override
            public Drill.Plan plan(BackupPick set, Optional<Instant> targetTime) {
                return givenPlan(1024);
            }

            @Override
            public long restore(Drill.Plan plan, Optional<Instant> t, Path pgdata, JobContext context) {
                throw new PgwardenException(ErrorCode.INTEGRITY_AUTHENTICATION, "chunk 3 of bundle 1 does not"
                        + " authenticate");
            }
        };

        DrillReport r = drill(config(Duration.ofMinutes(5), Optional.of(Duration.ofMinutes(1))), failing)
                .run(BackupPick.latest(), Optional.empty(), JobContext.standalone("run-1", "drill", CLOCK));

        assertThat(closed).hasValue(1);
        assertThat(r.passed()).isFalse();
        assertThat(r.error()).hasValueSatisfying(e -> assertThat(e).contains("PGW051").contains("chunk 3"));
        assertThat(r.objectives().breached()).as("a failed drill has no RTO to judge").isFalse();
        assertThat(metrics.gauge(MeterNames.DRILL_CHECKS_FAILED)).isEqualTo(1.0);
        assertThat(metrics.gauge(MeterNames.DRILL_LAST_SUCCESS)).isNull();
        JsonNode json = stored(r);
        assertThat(json.path("passed").asBoolean()).isFalse();
        assertThat(json.path("backup").asText()).isEqualTo(LABEL.toString());
        assertThat(json.path("runId").asText()).isEqualTo("run-1");
    }

    @Test
    void recoveryThatOutlastsTheTimeoutFailsTheDrillAndStopsTheServer() {
        Drill.Restorer ok = new Drill.Restorer() {
            @Override
            public Drill.Plan plan(BackupPick set, Optional<Instant> targetTime) {
                return givenPlan(1024);
            }

            @Override
            public long restore(Drill.Plan plan, Optional<Instant> t, Path pgdata, JobContext context) {
                return 1024;
            }
        };

        DrillReport r = drill(config(Duration.ofMillis(300), Optional.empty()), ok)
                .run(new BackupPick.Named(LABEL), Optional.empty(), JobContext.standalone("run-2", "drill", CLOCK));

        assertThat(closed).hasValue(1);
        assertThat(r.error()).hasValueSatisfying(e -> assertThat(e).contains(ErrorCode.TIMEOUT.id())
                .contains("drill.timeout").contains("during recovery"));
        assertThat(r.bytesRestored()).isEqualTo(1024);
    }

    @Test
    void theTimeoutStopsALongRestoreInsideItAndTheRunIsNotTakenForCancelled() {
        Drill.Restorer slow = new Drill.Restorer() {
            @Override
            public Drill.Plan plan(BackupPick set, Optional<Instant> targetTime) {
                return givenPlan(1024);
            }

            @Override
            public long restore(Drill.Plan plan, Optional<Instant> t, Path pgdata, JobContext context) {
                // a restore that would take a minute, checking for cancellation as Restore does
                long end = System.nanoTime() + Duration.ofMinutes(1).toNanos();
                while (System.nanoTime() < end) {
                    context.checkCancelled();
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new PgwardenException(ErrorCode.CANCELLED, "restore interrupted", e);
                    }
                }
                return 1;
            }
        };
        JobContext run = JobContext.standalone("run-5", "drill", CLOCK);
        long start = System.nanoTime();

        DrillReport r = drill(config(Duration.ofMillis(400), Optional.empty()), slow)
                .run(BackupPick.latest(), Optional.empty(), run);

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
        assertThat(closed).hasValue(1);
        assertThat(r.passed()).isFalse();
        assertThat(r.error()).hasValueSatisfying(e -> assertThat(e).startsWith("[" + ErrorCode.TIMEOUT.id() + "]")
                .contains("drill.timeout 400ms").contains("restore interrupted"));
        assertThat(run.isCancelled()).as("only the drill's work was cancelled, not the run").isFalse();
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Test
    void tooLittleFreeSpaceIsRefusedBeforeAnyServerIsMade() throws Exception {
        Drill.Restorer huge = new Drill.Restorer() {
            @Override
            public Drill.Plan plan(BackupPick set, Optional<Instant> targetTime) {
                return givenPlan(Long.MAX_VALUE / 4);
            }

            @Override
            public long restore(Drill.Plan plan, Optional<Instant> t, Path pgdata, JobContext context) {
                throw new AssertionError("must not restore");
            }
        };

        DrillReport r = drill(config(Duration.ofMinutes(5), Optional.empty()), huge)
                .run(BackupPick.latest(), Optional.empty(), JobContext.standalone("run-3", "drill", CLOCK));

        assertThat(closed).hasValue(0);
        assertThat(r.error()).hasValueSatisfying(e -> assertThat(e).contains(ErrorCode.DRILL_NO_SPACE.id())
                .contains("scratch directory '" + dir.resolve("scratch") + "'").contains("drill.scratch-directory"));
        assertThat(Files.isDirectory(dir.resolve("scratch"))).isTrue();
    }

    @Test
    void aPassedDrillSlowerThanItsObjectiveIsReportedAsBreached() {
        Instant t0 = Instant.parse("2026-11-24T03:00:00Z");
        DrillReport r = new DrillReport("run-4", t0, t0.plusSeconds(130), Optional.of(LABEL.toString()), "latest",
                Optional.empty(), new DrillReport.Timings(Duration.ofSeconds(60), Duration.ofSeconds(50),
                        Duration.ofSeconds(10), Duration.ofSeconds(125)), 5, Optional.of(t0.minusSeconds(90)),
                Optional.of(t0.minusSeconds(30)), List.of(DrillReport.Check.passed("amcheck:postgres", "ok")),
                new DrillReport.Objectives(Optional.of(Duration.ofMinutes(2)), true, Optional.empty(), false));

        assertThat(r.passed()).isTrue();
        assertThat(r.recoveryPointLag()).contains(Duration.ofSeconds(60));
        assertThat(r.lines()).first().asString().startsWith("✔ drill passed but breached its objectives");
        assertThat(r.lines()).contains("RTO objective 120.0s: BREACHED");
    }

    @Test
    void theReportKeySortsByTime() {
        assertThat(RepositoryLayout.drillReport(Instant.parse("2026-11-24T03:04:05.678Z")))
                .isEqualTo(new ObjectKey("drill/20261124T030405Z.json"));
    }

    @Test
    void recoveryToTheEndMustReachTheNewestArchivedSegmentOnItsTimeline() {
        Drill.Plan plan = new Drill.Plan(LABEL, 1, 1, Instant.parse("2026-11-24T02:05:00Z"), Optional.empty(),
                Lsn.parse("0/6000000"), TimelineId.of(2), 16 << 20, Optional.empty());

        DrillReport.Check reached = RecoveryPointCheck.evaluate(plan, true, Optional.of(
                new RecoveryPointCheck.Recovered(TimelineId.of(2), Lsn.parse("0/5000060"), TimelineId.of(3))));
        DrillReport.Check early = RecoveryPointCheck.evaluate(plan, true, Optional.of(
                new RecoveryPointCheck.Recovered(TimelineId.of(2), Lsn.parse("0/4FFFFF0"), TimelineId.of(3))));
        DrillReport.Check otherTimeline = RecoveryPointCheck.evaluate(plan, true, Optional.of(
                new RecoveryPointCheck.Recovered(TimelineId.of(1), Lsn.parse("0/5800000"), TimelineId.of(3))));
        DrillReport.Check timeTarget = RecoveryPointCheck.evaluate(plan, false, Optional.of(
                new RecoveryPointCheck.Recovered(TimelineId.of(1), Lsn.parse("0/3000100"), TimelineId.of(3))));

        assertThat(reached.passed()).isTrue();
        assertThat(reached.name()).isEqualTo("recovery-point");
        assertThat(reached.message()).contains("timeline 2 up to LSN 0/5000060", "promoted to timeline 3",
                "readable up to LSN 0/6000000");
        assertThat(early.passed()).isFalse();
        assertThat(early.message()).contains("archived but not replayed");
        assertThat(otherTimeline.passed()).isFalse();
        assertThat(otherTimeline.message()).contains("another timeline");
        assertThat(timeTarget.passed()).isTrue();
        assertThat(RecoveryPointCheck.evaluate(plan, true, Optional.empty()).passed()).isFalse();
    }

    @Test
    void reportsArePrunedToTheNewestAndTheLastSuccessIsReadBack() {
        DrillReports reports = new DrillReports(store, objects);
        Instant t0 = Instant.parse("2026-11-20T03:00:00Z");
        for (int day = 0; day < 4; day++) {
            Instant started = t0.plus(Duration.ofDays(day));
            boolean passed = day < 2;
            DrillReport r = new DrillReport("run-" + day, started, started.plusSeconds(60), Optional.of(LABEL.toString()),
                    "latest", passed ? Optional.empty() : Optional.of("[PGW084] a segment is missing"),
                    DrillReport.Timings.NONE, 0, Optional.empty(), Optional.empty(), List.of(),
                    new DrillReport.Objectives(Optional.empty(), false, Optional.empty(), false));
            objects.put(RepositoryLayout.drillReport(started), new java.io.ByteArrayInputStream(r.toJson()));
        }

        assertThat(reports.newest()).hasValueSatisfying(n -> assertThat(n.get("runId").asText()).isEqualTo("run-3"));
        assertThat(reports.lastSuccess(10)).contains(t0.plus(Duration.ofDays(1)).plusSeconds(60));
        assertThat(reports.lastSuccess(2)).isEmpty();
        assertThat(reports.prune(3)).isEqualTo(1);
        assertThat(reports.keys()).hasSize(3).first().isEqualTo(RepositoryLayout.drillReport(t0.plus(Duration.ofDays(1))));
        assertThat(reports.prune(3)).isZero();
    }

    @Test
    void theBackupToDrillIsLatestRandomOrALabel() {
        assertThat(BackupPick.parse(null, "--set")).isInstanceOf(BackupPick.Latest.class);
        assertThat(BackupPick.parse("latest", "--set")).isInstanceOf(BackupPick.Latest.class);
        assertThat(BackupPick.parse("random", "--set")).isInstanceOf(BackupPick.Random.class);
        assertThat(BackupPick.parse("20261124-020000F", "--set")).isEqualTo(new BackupPick.Named(LABEL));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> BackupPick.parse("yesterday", "--set"))
                .isInstanceOfSatisfying(PgwardenException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(ErrorCode.USAGE);
                    assertThat(e.getMessage()).contains("--set 'yesterday'", "'latest' or 'random'");
                });
    }
}
