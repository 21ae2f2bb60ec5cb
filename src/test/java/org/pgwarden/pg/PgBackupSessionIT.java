package org.pgwarden.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pgwarden.adapter.jdbc.JdbcPgCluster;
import org.pgwarden.adapter.process.LocalCluster;
import org.pgwarden.adapter.process.PgBinaries;
import org.pgwarden.adapter.process.ProcessRunner;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.testing.PostgresFixture;

/** Backup mode through {@link JdbcPgCluster} on a real PostgreSQL 15. */
class PgBackupSessionIT {
    private static PostgresFixture pg;
    private static JdbcPgCluster cluster;

    @BeforeAll
    static void startPostgres() {
        pg = PostgresFixture.start();
        cluster = new JdbcPgCluster(pg.postgresConfig(), Map.of(), Metrics.noop());
    }

    @AfterAll
    static void stopPostgres() {
        if (cluster != null) {
            cluster.close();
        }
        pg.close();
    }

    @Test
    void reportsSizesAndPositions() {
        assertThat(cluster.walSegmentSize()).isEqualTo(16 << 20);
        assertThat(cluster.blockSize()).isEqualTo(8192);
        pg.sql("CREATE TABLE IF NOT EXISTS filler (x int)", "INSERT INTO filler SELECT generate_series(1, 100)");
        Lsn before = cluster.currentLsn();
        Lsn endOfOld = cluster.switchWal();
        Lsn after = cluster.currentLsn();
        assertThat(endOfOld).isGreaterThanOrEqualTo(before);
        assertThat(after).isGreaterThanOrEqualTo(endOfOld);
        // after a switch, writing continues at the start of the next segment
        assertThat(after.segmentNumber(16 << 20)).isGreaterThan(before.segmentNumber(16 << 20));
    }

    @Test
    void beginsAndEndsBackupMode() {
        PgBackupStop stop;
        PgBackupSession session;
        try (PgBackupSession s = cluster.beginBackup("20261124-020000F", true)) {
            session = s;
            pg.sql("CREATE TABLE IF NOT EXISTS during (x int)", "INSERT INTO during VALUES (1)");
            stop = s.end();
            assertThat(s.ended()).isTrue();
        }
        assertThat(session.startLsn().isValid()).isTrue();
        assertThat(session.startLsn()).isLessThanOrEqualTo(stop.stopLsn());
        assertThat(session.timeline()).isEqualTo(TimelineId.FIRST);
        assertThat(session.startTime()).isBeforeOrEqualTo(stop.stopTime());
        assertThat(stop.backupLabelText())
                .contains("START WAL LOCATION: " + session.startLsn())
                .contains("LABEL: 20261124-020000F")
                .contains("START TIMELINE: 1");
        assertThat(stop.tablespaceMapText()).isNull();
        assertThat(stop.hasTablespaceMap()).isFalse();
        assertThatThrownBy(session::end).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void tablespaceMapNamesTablespaces() throws IOException {
        Path location = Files.createDirectory(pg.cluster().baseDirectory().resolve("ts-map"));
        if (ProcessRunner.forCurrentUser().switchesToPostgresUser()) {
            UserPrincipal owner = location.getFileSystem().getUserPrincipalLookupService()
                    .lookupPrincipalByName(ProcessRunner.POSTGRES_USER);
            Files.setOwner(location, owner);
        }
        pg.sql("CREATE TABLESPACE mapped LOCATION '" + location + "'");
        try (PgBackupSession s = cluster.beginBackup("with-tablespace", true)) {
            PgBackupStop stop = s.end();
            String oid = pg.queryString("SELECT oid FROM pg_tablespace WHERE spcname = 'mapped'");
            assertThat(stop.tablespaceMapText()).contains(oid + " " + location);
        } finally {
            pg.sql("DROP TABLESPACE mapped");
        }
    }

    @Test
    void closingWithoutEndAbortsAndAllowsANewBackup() {
        long backends = pg.queryLong("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgwarden'");
        PgBackupSession abandoned = cluster.beginBackup("abandoned", true);
        assertThat(pg.queryLong("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgwarden'"))
                .isEqualTo(backends + 1);
        abandoned.close();
        abandoned.close();
        assertThatThrownBy(abandoned::end).isInstanceOf(IllegalStateException.class);
        try (PgBackupSession next = cluster.beginBackup("after-abandoned", true)) {
            PgBackupStop stop = next.end();
            assertThat(stop.backupLabelText()).contains("LABEL: after-abandoned");
        }
    }

    @Test
    void refusesAStandby() {
        // a primary turned standby: cleanly stopped, then started with standby.signal and nothing to follow
        try (PostgresFixture standby = PostgresFixture.start()) {
            LocalCluster c = standby.cluster();
            PgBinaries bin = c.binaries();
            ProcessRunner.forCurrentUser().run(List.of(bin.path(PgBinaries.Program.PG_CTL).toString(), "-D",
                    c.dataDirectory().toString(), "-m", "fast", "-w", "stop"), c.baseDirectory(), Duration.ofSeconds(60));
            Files.createFile(c.dataDirectory().resolve("standby.signal"));
            c.start();
            try (JdbcPgCluster onStandby = new JdbcPgCluster(standby.postgresConfig(), Map.of(), Metrics.noop())) {
                assertThat(onStandby.serverInfo().inRecovery()).isTrue();
                assertThatThrownBy(() -> onStandby.beginBackup("from-standby", true))
                        .isInstanceOf(PgwardenException.class)
                        .hasMessageContaining("backup from a standby is not supported yet")
                        .satisfies(e -> {
                            PgwardenException p = (PgwardenException) e;
                            assertThat(p.errorCode()).isEqualTo(ErrorCode.PG_MISCONFIGURED);
                            assertThat(p.hint()).isPresent();
                        });
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
