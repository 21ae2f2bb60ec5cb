package org.pgwarden.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.pgwarden.adapter.micrometer.MicrometerMetrics;
import org.pgwarden.adapter.quartz.QuartzCronValidator;
import org.pgwarden.adapter.systemd.SystemdNotifier;
import org.pgwarden.app.check.HealthCheckJob;
import org.pgwarden.config.ConfigLoader;
import org.pgwarden.config.PgwardenConfig;
import org.pgwarden.job.Job;
import org.pgwarden.job.JobContext;
import org.pgwarden.job.JobOutcome;
import org.pgwarden.job.JobResult;
import org.pgwarden.job.JobStatus;
import org.pgwarden.job.JobTrigger;
import org.pgwarden.testing.DaemonSetup;
import org.pgwarden.testing.Http;
import org.pgwarden.testing.LogCapture;
import org.pgwarden.testing.PostgresFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DaemonIT {
    private PostgresFixture pg;
    private Daemon daemon;

    @TempDir
    Path dir;

    @BeforeEach
    void start() {
        pg = PostgresFixture.start(Map.of("archive_mode", "on"));
    }

    @AfterEach
    void stop() {
        if (daemon != null) {
            daemon.stop("test over");
        }
        pg.close();
    }

    private Daemon startDaemon(String extraYaml) throws Exception {
        Path file = DaemonSetup.createConfig(dir, pg.cluster(), "admin:\n  listen: 127.0.0.1:0\n" + extraYaml);
        PgwardenConfig config = new ConfigLoader(new QuartzCronValidator()).load(file).config();
        MicrometerMetrics metrics = new MicrometerMetrics(config.stanza(), true);
        daemon = new Daemon(config, Components.open(config, Map.of(), metrics), metrics, Clock.systemUTC(),
                new SystemdNotifier(Map.of()));
        return daemon;
    }

    private String url(String path) {
        return "http://127.0.0.1:" + daemon.httpAddress().getPort() + path;
    }

    @Test
    void servesMetricsAndHealthAndNoticesADependencyGoingAway() throws Exception {
        startDaemon("daemon:\n  shutdown-grace: 5s\n").start();
        assertThat(daemon.state()).isEqualTo(Daemon.State.RUNNING);

        Http.Reply metrics = Http.get(url("/metrics"));
        assertThat(metrics.status()).isEqualTo(200);
        assertThat(metrics.contentType()).startsWith("text/plain; version=0.0.4");
        assertThat(metrics.body()).containsPattern("pgwarden_build_info\\{.*stanza=\"test\".*\\} 1(\\.0)?")
                .contains("pgwarden_dependency_up{dependency=\"postgres\",stanza=\"test\"} 1.0")
                .contains("pgwarden_job_runs_total{kind=\"health-check\",outcome=\"succeeded\",stanza=\"test\"} 1.0")
                .contains("pgwarden_daemon_ready{stanza=\"test\"} 1.0")
                .contains("jvm_memory_used_bytes")
                // the health check measures transaction ID ages for the wraparound alert, windows or not
                .containsPattern("pgwarden_database_oldest_xid_age\\{database=\"postgres\",stanza=\"test\"\\} [1-9]");
        assertThat(Http.get(url("/health/live")).status()).isEqualTo(200);
        Http.Reply ready = Http.get(url("/health/ready"));
        assertThat(ready.status()).as(ready.body()).isEqualTo(200);
        assertThat(ready.body()).contains("\"ready\":true").contains("\"dependency\":\"repository\"");
        assertThat(Http.get(url("/nothing")).status()).isEqualTo(404);

        pg.cluster().stop();
        JobOutcome recheck = daemon.runner().run(new HealthCheckJob(
                new org.pgwarden.app.check.DependencyChecks(pg.cluster().dataDirectory(), "test",
                        daemonComponentsPostgres(), daemonComponentsRepository(), daemonComponentsKey(),
                        Clock.systemUTC()), daemon.readiness(), org.pgwarden.metrics.Metrics.noop()), JobTrigger.CLI);
        assertThat(recheck.status()).isEqualTo(JobStatus.SUCCEEDED);
        Http.Reply notReady = Http.get(url("/health/ready"));
        assertThat(notReady.status()).isEqualTo(503);
        assertThat(notReady.body()).contains("\"ready\":false").contains("\"status\":\"fail\"")
                .contains("SQLSTATE 08001").contains("PGW020");
    }

    @Test
    void stopCancelsABlockedJobWithinTheGraceAndLogsIt() throws Exception {
        startDaemon("daemon:\n  shutdown-grace: 5s\n");
        CountDownLatch started = new CountDownLatch(1);
        Job blocked = new Job() {
            @Override
            public String kind() {
                return "blocked";
            }

            @Override
            public JobResult run(JobContext context) throws Exception {
                started.countDown();
                new CountDownLatch(1).await();
                return JobResult.of("never");
            }
        };
        daemon.start();
        try (LogCapture logs = LogCapture.pgwarden()) {
            CompletableFuture<JobOutcome> run = CompletableFuture.supplyAsync(
                    () -> daemon.runner().run(blocked, JobTrigger.API));
            assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
            long t0 = System.nanoTime();
            daemon.stop("SIGTERM received");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
            assertThat(daemon.state()).isEqualTo(Daemon.State.STOPPED);
            JobOutcome outcome = run.get(5, TimeUnit.SECONDS);
            assertThat(outcome.status()).isEqualTo(JobStatus.CANCELLED);
            assertThat(logs.lines()).anySatisfy(l -> assertThat(l).contains("cancelling job kind=blocked")
                    .contains("SIGTERM received"));
            assertThat(logs.lines()).anySatisfy(l -> assertThat(l).contains("job finished kind=blocked")
                    .contains("outcome=cancelled").contains("runId=" + outcome.runId()));
        }
    }

    @Test
    void scheduledJobsFireThroughTheRunner() throws Exception {
        CountDownLatch fired = new CountDownLatch(2);
        startDaemon("").withScheduledJob(new Job() {
            @Override
            public String kind() {
                return "tick";
            }

            @Override
            public JobResult run(JobContext context) {
                fired.countDown();
                return JobResult.of("tick");
            }
        }, "* * * * * ?").start();
        assertThat(fired.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(Http.get(url("/metrics")).body())
                .containsPattern("pgwarden_job_runs_total\\{kind=\"tick\",outcome=\"succeeded\",stanza=\"test\"\\} [2-9]");
    }

    @Test
    void aControlDatabaseThatIsDownNeitherStopsTheStartNorJobsAndIsCounted() throws Exception {
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        try (LogCapture logs = LogCapture.pgwarden()) {
            startDaemon("control-database:\n  url: jdbc:postgresql://127.0.0.1:" + closedPort + "/postgres\n"
                    + "  user: postgres\n  connect-timeout: 1s\n").start();
            assertThat(daemon.state()).isEqualTo(Daemon.State.RUNNING);
            JobOutcome o = daemon.runner().run(new Job() {
                @Override
                public String kind() {
                    return "tick";
                }

                @Override
                public JobResult run(JobContext context) {
                    return JobResult.of("tick");
                }
            }, JobTrigger.CLI);
            assertThat(o.status()).isEqualTo(JobStatus.SUCCEEDED);
            assertThat(daemon.runner().history().find(o.runId())).contains(o);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!Http.get(url("/metrics")).body().contains("pgwarden_job_history_write_failures_total{stanza=\"test\"} 2.0")) {
                assertThat(System.nanoTime()).as("write failures counted").isLessThan(deadline);
                Thread.sleep(200);
            }
            assertThat(logs.lines()).anySatisfy(l -> assertThat(l).contains("job history not available from the"
                    + " control database yet").contains("PGW090"));
            assertThat(logs.lines()).anySatisfy(l -> assertThat(l).contains("unable to store job run " + o.runId()));
        }
    }

    // The daemon owns its components; these reach the same dependencies for the re-check above.
    private org.pgwarden.pg.PgCluster daemonComponentsPostgres() {
        return new org.pgwarden.adapter.jdbc.JdbcPgCluster(pg.postgresConfig(), Map.of(),
                org.pgwarden.metrics.Metrics.noop());
    }

    private org.pgwarden.storage.ObjectStore daemonComponentsRepository() {
        return Components.openRepository(new org.pgwarden.config.RepositoryConfig.Filesystem(dir.resolve("repository")),
                Map.of(), org.pgwarden.metrics.Metrics.noop());
    }

    private org.pgwarden.crypto.KeyWrapper daemonComponentsKey() {
        return org.pgwarden.crypto.LocalKeyFileWrapper.open(dir.resolve("repository.key"));
    }
}
