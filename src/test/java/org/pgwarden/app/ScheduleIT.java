package org.pgwarden.app;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.spi.ILoggingEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.pgwarden.adapter.micrometer.MicrometerMetrics;
import org.pgwarden.adapter.quartz.QuartzCronValidator;
import org.pgwarden.adapter.systemd.SystemdNotifier;
import org.pgwarden.backup.BackupJob;
import org.pgwarden.config.ConfigLoader;
import org.pgwarden.config.PgwardenConfig;
import org.pgwarden.job.Job;
import org.pgwarden.job.JobContext;
import org.pgwarden.job.JobOutcome;
import org.pgwarden.job.JobResult;
import org.pgwarden.job.JobStatus;
import org.pgwarden.job.JobTrigger;
import org.pgwarden.repo.BackupCatalog;
import org.pgwarden.repo.BackupInfo;
import org.pgwarden.repo.BackupType;
import org.pgwarden.testing.BackupSetup;
import org.pgwarden.testing.CliRun;
import org.pgwarden.testing.Http;
import org.pgwarden.testing.LogCapture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's schedules against a real cluster archiving into a real repository, with crons
 * firing every second or two: real backups fire and never overlap, expire follows each one, the
 * overlap policy waits or skips, pause and resume work through the CLI, and a restarted daemon
 * catches a missed fire up exactly once.
 */
class ScheduleIT {
    @TempDir
    static Path dir;
    static BackupSetup setup;

    private final List<Daemon> daemons = new ArrayList<>();

    @BeforeAll
    static void startCluster() throws Exception {
        setup = BackupSetup.start(dir, Map.of(), "");
        CliRun created = setup.cli("stanza-create");
        assertThat(created.exitCode()).as(created.all()).isZero();
    }

    @AfterAll
    static void stopCluster() {
        if (setup != null) {
            setup.close();
        }
    }

    @AfterEach
    void stopDaemons() {
        daemons.forEach(d -> d.stop("test over"));
    }

    @Test
    void scheduledBackupsFireNeverOverlapAndExpireFollowsEachOne() throws Exception {
        int before = backups().size();
        AtomicInteger expires = new AtomicInteger();
        Path config = config("""
                schedules:
                  catch-up: none
                  incr: "0/2 * * * * ?"
                  diff: "1/2 * * * * ?"
                """);
        Daemon daemon = daemon(config);
        daemon.jobs().register(DaemonJobs.EXPIRE, p -> job("expire", "expire", () -> expires.incrementAndGet()))
                .runAfterEachBackup(DaemonJobs.EXPIRE);
        List<ILoggingEvent> events;
        try (LogCapture logs = LogCapture.pgwarden()) {
            daemon.start();
            await(Duration.ofSeconds(90), () -> backups().size() >= before + 4);
            daemon.stop("enough backups");
            events = logs.events();
        }
        List<BackupInfo> all = backups();
        List<BackupInfo> mine = all.subList(before, all.size());
        assertThat(mine).extracting(b -> b.header().type()).containsAnyOf(BackupType.INCR, BackupType.DIFF)
                .doesNotContain(BackupType.FULL);
        // Never overlapping, whatever their type: each backup started after the previous one stopped.
        for (int i = 1; i < all.size(); i++) {
            assertThat(all.get(i).header().startTime()).as("%s after %s", all.get(i).label(), all.get(i - 1).label())
                    .isAfterOrEqualTo(all.get(i - 1).header().stopTime());
        }
        // Every successful backup was followed, on its own thread, by an expire run.
        List<ILoggingEvent> finished = events.stream()
                .filter(e -> e.getFormattedMessage().startsWith("job finished")).toList();
        List<ILoggingEvent> succeededBackups = finished.stream()
                .filter(e -> e.getFormattedMessage().contains("kind=backup-")
                        && e.getFormattedMessage().contains("outcome=succeeded")).toList();
        assertThat(succeededBackups).hasSizeGreaterThanOrEqualTo(4);
        for (ILoggingEvent b : succeededBackups) {
            ILoggingEvent next = finished.stream().filter(e -> e.getThreadName().equals(b.getThreadName())
                    && e.getTimeStamp() >= b.getTimeStamp() && finished.indexOf(e) > finished.indexOf(b))
                    .findFirst().orElseThrow(() -> new AssertionError("no run after " + b.getFormattedMessage()));
            assertThat(next.getFormattedMessage()).contains("kind=expire").contains("trigger=schedule");
        }
        assertThat(expires.get()).isBetween(succeededBackups.size() - 1, succeededBackups.size());
        // Fires that found a backup running were skipped visibly, never run alongside.
        assertThat(finished).filteredOn(e -> e.getFormattedMessage().contains("outcome=skipped"))
                .allSatisfy(e -> assertThat(e.getFormattedMessage()).contains("code=PGW060")
                        .contains("lock 'backup' is held"));
    }

    @Test
    void aLongBackupMakesTheNextWaitOrSkipAsConfigured() throws Exception {
        FakeBackups fake = new FakeBackups();
        Path config = config("""
                schedules:
                  catch-up: none
                  incr:
                    cron: "0/2 * * * * ?"
                    on-overlap: skip
                  diff:
                    cron: "1/2 * * * * ?"
                    on-overlap: wait
                    max-wait: 30s
                """);
        Daemon daemon = daemon(config);
        daemon.jobs().register(DaemonJobs.BACKUP, fake::create);
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Job longBackup = fake.backup("backup-full", () -> {
            holding.countDown();
            release.await();
        });
        try (LogCapture logs = LogCapture.pgwarden()) {
            daemon.start();
            CompletableFuture<JobOutcome> held = CompletableFuture.supplyAsync(
                    () -> daemon.jobs().run(longBackup, JobTrigger.API, Duration.ZERO));
            assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
            Instant holdingSince = Instant.now();
            await(Duration.ofSeconds(15), () -> counter(daemon, "backup-incr", "skipped") >= 2);
            assertThat(fake.runs).as("nothing ran while the long backup held the lock")
                    .noneMatch(r -> r.start.isAfter(holdingSince));
            Instant released = Instant.now();
            release.countDown();
            assertThat(held.get(10, TimeUnit.SECONDS).status()).isEqualTo(JobStatus.SUCCEEDED);
            // Until a diff that started after the hold has finished: stopping earlier would cancel it.
            // A diff may also have run just before the hold began (one falls due every other
            // second), so its finishing is not enough: every diff started so far must have finished.
            await(Duration.ofSeconds(15), () -> {
                List<Run> diffs = fake.runs.stream().filter(r -> r.kind.equals("backup-diff")).toList();
                long finished = logs.lines().stream()
                        .filter(l -> l.contains("job finished kind=backup-diff") && l.contains("outcome=succeeded"))
                        .count();
                return diffs.stream().anyMatch(r -> r.start.isAfter(holdingSince)) && finished >= diffs.size();
            });
            daemon.stop("seen enough");

            // The diff that fell due while the lock was held waited for it and ran right after.
            Run waited = fake.runs.stream().filter(r -> r.kind.equals("backup-diff") && r.start.isAfter(holdingSince))
                    .findFirst().orElseThrow();
            assertThat(waited.start).isAfterOrEqualTo(released).isBefore(released.plusSeconds(3));
            assertThat(fake.maxActive.get()).as("backups never overlap").isEqualTo(1);
            assertThat(logs.lines()).filteredOn(l -> l.contains("job finished kind=backup-diff"))
                    .noneMatch(l -> l.contains("outcome=skipped"))
                    .anySatisfy(l -> assertThat(l).contains("outcome=succeeded"));
            assertThat(logs.lines()).anySatisfy(l -> assertThat(l).contains("job finished kind=backup-incr")
                    .contains("outcome=skipped").contains("code=PGW060").contains("lock 'backup' is held"));
        }
    }

    @Test
    void pauseSkipsDueJobsVisiblyAndResumeRestartsThem() throws Exception {
        FakeBackups fake = new FakeBackups();
        Path config = config("""
                schedules:
                  catch-up: none
                  incr: "* * * * * ?"
                """);
        Daemon daemon = daemon(config);
        daemon.jobs().register(DaemonJobs.BACKUP, fake::create);
        try (LogCapture logs = LogCapture.pgwarden()) {
            daemon.start();
            await(Duration.ofSeconds(10), () -> fake.runs.size() >= 2);
            assertThat(metrics(daemon)).contains("pgwarden_daemon_paused{stanza=\"test\"} 0.0");

            CliRun paused = CliRun.run("--config", config.toString(), "pause", "--reason", "storage maintenance");
            assertThat(paused.exitCode()).as(paused.all()).isZero();
            assertThat(paused.out()).contains("paused 'storage maintenance'");
            assertThat(CliRun.run("--config", config.toString(), "pause").out()).contains("already paused");
            Thread.sleep(300);
            int atPause = fake.runs.size();
            await(Duration.ofSeconds(10), () -> counter(daemon, "backup-incr", "skipped") >= 2);
            assertThat(fake.runs).as("no new run while paused").hasSize(atPause);
            String m = metrics(daemon);
            assertThat(m).contains("pgwarden_daemon_paused{stanza=\"test\"} 1.0");
            Http.Reply ready = Http.get(url(daemon, "/health/ready"));
            assertThat(ready.status()).as("a paused daemon is still ready").isEqualTo(200);
            assertThat(ready.body()).contains("\"paused\":true").contains("\"reason\":\"storage maintenance\"");
            assertThat(Http.get(url(daemon, "/health/live")).body()).contains("\"paused\":true");
            CliRun resumed = CliRun.run("--config", config.toString(), "resume");
            assertThat(resumed.exitCode()).as(resumed.all()).isZero();
            assertThat(resumed.out()).contains("resumed").contains("storage maintenance");
            await(Duration.ofSeconds(10), () -> fake.runs.size() > atPause);
            assertThat(metrics(daemon)).contains("pgwarden_daemon_paused{stanza=\"test\"} 0.0");
            daemon.stop("seen enough");
            assertThat(logs.lines()).anySatisfy(l -> assertThat(l).contains("job finished kind=backup-incr")
                    .contains("outcome=skipped").contains("code=PGW065").contains("paused: 'storage maintenance'"));
            assertThat(logs.lines()).anySatisfy(l -> assertThat(l).contains("daemon paused"));
            assertThat(logs.lines()).anySatisfy(l -> assertThat(l).contains("daemon resumed"));
        }
        // The stop file holds back a backup started by hand too (last: the CLI resets logging).
        assertThat(CliRun.run("--config", config.toString(), "pause", "--reason", "upgrade").exitCode()).isZero();
        CliRun backup = CliRun.run("--config", config.toString(), "backup", "--type", "full");
        assertThat(backup.exitCode()).isEqualTo(5);
        assertThat(backup.err()).contains("PGW065").contains("paused 'upgrade'").contains("pgwarden resume");
        assertThat(CliRun.run("--config", config.toString(), "resume").exitCode()).isZero();
    }

    @Test
    void aRestartedDaemonCatchesAMissedFireUpExactlyOnce() throws Exception {
        CliRun full = setup.cli("backup", "--type", "full");
        assertThat(full.exitCode()).as(full.all()).isZero();
        Thread.sleep(1100);
        // A daily fire in the past, after the newest backup: the daemon was "down" at that time.
        ZonedDateTime missed = ZonedDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS);
        String cron = missed.getSecond() + " " + missed.getMinute() + " " + missed.getHour() + " * * ?";
        Thread.sleep(1500);
        int before = backups().size();
        Path config = config("""
                schedules:
                  full: "%s"
                  incr: "%s"
                """.formatted(cron, cron));
        String firstLog;
        try (LogCapture logs = LogCapture.pgwarden()) {
            Daemon first = daemon(config);
            first.start();
            assertThat(first.awaitCatchUp(Duration.ofSeconds(120))).isTrue();
            first.stop("restart");
            firstLog = String.join("\n", logs.lines());
        }
        List<BackupInfo> after = backups();
        assertThat(after).hasSize(before + 1);
        BackupInfo caughtUp = after.get(after.size() - 1);
        assertThat(caughtUp.header().type()).isEqualTo(BackupType.FULL);
        assertThat(caughtUp.header().startTime()).isAfter(missed.toInstant());
        assertThat(firstLog).contains("catch-up: schedules.full ('" + cron + "'): the fire at " + missed.toInstant()
                + " was missed").contains("running it once now");
        assertThat(firstLog).containsPattern("catch-up: schedules.incr .*no fire was missed.*nothing to run");

        try (LogCapture logs = LogCapture.pgwarden()) {
            Daemon second = daemon(config);
            second.start();
            assertThat(second.awaitCatchUp(Duration.ofSeconds(60))).isTrue();
            String m = metrics(second);
            // The newest full backup's time survives the restart, read back from the repository.
            assertThat(gauge(m, "pgwarden_backup_last_success_timestamp_seconds", "type=\"full\""))
                    .isEqualTo(caughtUp.header().stopTime().toEpochMilli() / 1000.0);
            assertThat(gauge(m, "pgwarden_job_next_fire_timestamp_seconds", "kind=\"backup-full\""))
                    .isEqualTo(missed.plusDays(1).toEpochSecond());
            // The verify kind the schedules and the admin API run reads every backup and its WAL.
            JobOutcome verified = second.jobs().run(second.jobs().create(DaemonJobs.VERIFY, Map.of()),
                    JobTrigger.API, Duration.ZERO);
            assertThat(verified.status()).as(verified.message()).isEqualTo(JobStatus.SUCCEEDED);
            assertThat(verified.message()).startsWith("verified " + (before + 1) + " backup(s)");
            second.stop("done");
            assertThat(String.join("\n", logs.lines())).containsPattern(
                    "catch-up: schedules.full .*no fire was missed.*nothing to run");
        }
        assertThat(backups()).as("the second start ran nothing").hasSize(before + 1);
    }

    // --- helpers ---

    private Path config(String extraYaml) throws Exception {
        Path test = Files.createTempDirectory(dir, "daemon");
        Path file = test.resolve("pgwarden.yaml");
        Files.writeString(file, Files.readString(setup.config()) + """
                admin:
                  listen: 127.0.0.1:0
                daemon:
                  shutdown-grace: 5s
                  stop-file: %s
                """.formatted(test.resolve("pgwarden.stop")) + extraYaml, StandardCharsets.UTF_8);
        return file;
    }

    private Daemon daemon(Path file) {
        PgwardenConfig config = new ConfigLoader(new QuartzCronValidator()).load(file).config();
        MicrometerMetrics metrics = new MicrometerMetrics(config.stanza(), false);
        Daemon d = new Daemon(config, Components.open(config, Map.of(), metrics), metrics, Clock.systemUTC(),
                new SystemdNotifier(Map.of()));
        daemons.add(d);
        return d;
    }

    private static List<BackupInfo> backups() {
        BackupSetup.Repository r = setup.open();
        return new BackupCatalog(r.store(), r.objects()).list();
    }

    private static String url(Daemon d, String path) {
        return "http://127.0.0.1:" + d.httpAddress().getPort() + path;
    }

    private static String metrics(Daemon d) {
        return Http.get(url(d, "/metrics")).body();
    }

    private static double counter(Daemon d, String kind, String outcome) {
        return gauge(metrics(d), "pgwarden_job_runs_total", "kind=\"" + kind + "\",outcome=\"" + outcome + "\"");
    }

    /** The value of the series {@code name{...labels...}}, or -1 when absent. */
    private static double gauge(String metrics, String name, String labels) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{[^}]*" + Pattern.quote(labels)
                + "[^}]*\\} (\\S+)$").matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    private static void await(Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + timeout.toSeconds() + "s");
            }
            Thread.sleep(100);
        }
    }

    @FunctionalInterface
    private interface Body {
        void run() throws Exception;
    }

    private static Job job(String kind, String lock, Body body) {
        return new Job() {
            @Override
            public String kind() {
                return kind;
            }

            @Override
            public String lockName() {
                return lock;
            }

            @Override
            public JobResult run(JobContext context) throws Exception {
                body.run();
                return JobResult.of(kind + " done");
            }
        };
    }

    private record Run(String kind, Instant start) {
    }

    /** Stand-in backups under the real backup lock, recording when they ran and how many at once. */
    private static final class FakeBackups {
        final List<Run> runs = new CopyOnWriteArrayList<>();
        final AtomicInteger active = new AtomicInteger();
        final AtomicInteger maxActive = new AtomicInteger();

        Job create(Map<String, String> parameters) {
            Map<String, String> p = new HashMap<>(parameters);
            String kind = "backup-" + p.getOrDefault("type", "incr");
            return backup(kind, () -> {
                runs.add(new Run(kind, Instant.now()));
                Thread.sleep(50);
            });
        }

        Job backup(String kind, Body body) {
            return job(kind, BackupJob.LOCK, () -> {
                maxActive.accumulateAndGet(active.incrementAndGet(), Math::max);
                try {
                    body.run();
                } finally {
                    active.decrementAndGet();
                }
            });
        }
    }
}
