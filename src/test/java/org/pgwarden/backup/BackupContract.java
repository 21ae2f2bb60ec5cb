package org.pgwarden.backup;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.pgwarden.adapter.process.PgBinaries;
import org.pgwarden.repo.BackupLabel;
import org.pgwarden.repo.ManifestEntry;
import org.pgwarden.repo.ManifestReader;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.testing.BackupSetup;
import org.pgwarden.testing.CliRun;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Full, incremental and differential backups of a real cluster (data checksums, pgbench, TOAST,
 * an unlogged table, a tablespace) whose WAL is archived by the real archive_command. One
 * subclass per PostgreSQL major, so every supported server passes literally the same checks.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class BackupContract {
    private static final ObjectMapper JSON = new ObjectMapper();

    private BackupSetup setup;
    private long fullStored;
    private long incrStored;

    /** The PostgreSQL programs that run the cluster and that the configuration names. */
    protected abstract PgBinaries binaries();

    /** The major version the server must report, when the subclass pins one. */
    protected abstract OptionalInt expectedMajor();

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        setup = BackupSetup.start(dir, binaries(), Map.of(), "");
        Path tablespace = Files.createDirectories(dir.resolve("tablespace"));
        BackupSetup.givePostgres(tablespace);
        setup.pg().loadPgbench(5);
        setup.pg().sql(
                "CREATE TABLE documents (id int PRIMARY KEY, body text)",
                "INSERT INTO documents SELECT g, repeat(md5(g::text), 400) FROM generate_series(1, 200) g",
                "CREATE UNLOGGED TABLE scratch (id int, note text)",
                "INSERT INTO scratch SELECT g, md5(g::text) FROM generate_series(1, 10000) g",
                "CREATE TABLESPACE extra LOCATION '" + tablespace + "'",
                "CREATE TABLE elsewhere (id int, v text) TABLESPACE extra",
                "INSERT INTO elsewhere SELECT g, md5(g::text) FROM generate_series(1, 20000) g",
                "CHECKPOINT");
        CliRun created = setup.cli("stanza-create");
        assertThat(created.exitCode()).as(created.all()).isZero();
    }

    @AfterAll
    void stop() {
        if (setup != null) {
            setup.close();
        }
    }

    private String path(String sql) {
        return setup.pg().queryString(sql);
    }

    private JsonNode info() throws Exception {
        CliRun r = setup.cli("info", "--output", "json");
        assertThat(r.exitCode()).as(r.all()).isZero();
        return JSON.readTree(r.out());
    }

    private JsonNode backup(String label) throws Exception {
        for (JsonNode b : info().get("backups")) {
            if (b.get("label").asText().equals(label)) {
                return b;
            }
        }
        throw new AssertionError("no backup " + label);
    }

    private String lastLabel() throws Exception {
        JsonNode backups = info().get("backups");
        return backups.get(backups.size() - 1).get("label").asText();
    }

    @Test
    @Order(1)
    void fullBackupHoldsExactlyTheFilesABaseBackupShould() throws Exception {
        CliRun r = setup.cli("backup", "--type", "full", "--annotation", "reason=first");
        assertThat(r.exitCode()).as(r.all()).isZero();
        assertThat(r.out()).startsWith("✔ backup ").contains("(full)");
        String label = lastLabel();
        JsonNode b = backup(label);
        assertThat(b.get("type").asText()).isEqualTo("full");
        assertThat(b.get("usable").asBoolean()).as(b.toString()).isTrue();
        assertThat(b.get("annotations").get("reason").asText()).isEqualTo("first");
        assertThat(b.get("pageChecksumErrors").asLong()).isZero();
        fullStored = b.get("storedSize").asLong();

        String accounts = path("SELECT pg_relation_filepath('pgbench_accounts')");
        String unlogged = path("SELECT pg_relation_filepath('scratch')");
        String toast = path("SELECT pg_relation_filepath(reltoastrelid) FROM pg_class WHERE relname = 'documents'");
        String remote = path("SELECT pg_relation_filepath('elsewhere')");
        List<String> paths = new ArrayList<>();
        SealedObjects objects = setup.objects();
        try (ManifestReader m = ManifestReader.open(objects, BackupLabel.parse(label))) {
            for (ManifestEntry e : m) {
                paths.add(e.path());
                if (e.path().equals(accounts) || e.path().equals("PG_VERSION") || e.path().equals(toast)) {
                    BackupSetup.reassemble(objects, e);
                }
            }
            assertThat(m.header().backupLabelText()).contains("START WAL LOCATION");
            assertThat(m.header().tablespaceMapText()).isNotBlank();
        }
        assertThat(paths).contains("PG_VERSION", "global/pg_control", accounts, toast, unlogged + "_init",
                "pg_wal", "pg_wal/archive_status");
        assertThat(paths).as("tablespace followed")
                .anyMatch(p -> p.startsWith("pg_tblspc/") && p.endsWith(remote.substring(remote.lastIndexOf('/'))));
        assertThat(paths).as("unlogged main fork skipped").doesNotContain(unlogged);
        assertThat(paths).noneMatch(p -> p.startsWith("pg_wal/0") || p.equals("postmaster.pid")
                || p.startsWith("pg_stat_tmp/") || p.startsWith("pg_replslot/") || p.contains("pgsql_tmp"));
    }

    @Test
    @Order(2)
    void incrementalAfterASmallChangeStoresFarLessThanTheFull() throws Exception {
        setup.pg().sql("UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid <= 2000", "CHECKPOINT");
        CliRun r = setup.cli("backup", "--type", "incr");
        assertThat(r.exitCode()).as(r.all()).isZero();
        JsonNode b = backup(lastLabel());
        assertThat(b.get("type").asText()).isEqualTo("incr");
        assertThat(b.get("usable").asBoolean()).isTrue();
        incrStored = b.get("storedSize").asLong();
        assertThat(incrStored).as("incremental %d vs full %d bytes", incrStored, fullStored)
                .isLessThan(fullStored / 10);
        assertThat(b.get("reusedSize").asLong()).isGreaterThan(b.get("databaseSize").asLong() / 2);
    }

    @Test
    @Order(3)
    void differentialStoresAtLeastWhatTheIncrementalDid() throws Exception {
        setup.pg().sql("UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid BETWEEN 300000 AND 301000",
                "CHECKPOINT");
        CliRun r = setup.cli("backup", "--type", "diff");
        assertThat(r.exitCode()).as(r.all()).isZero();
        JsonNode b = backup(lastLabel());
        assertThat(b.get("type").asText()).isEqualTo("diff");
        assertThat(b.get("parent").asText()).endsWith("F");
        assertThat(b.get("storedSize").asLong()).isGreaterThanOrEqualTo(incrStored);
        assertThat(b.get("storedSize").asLong()).isLessThan(fullStored / 5);
    }

    @Test
    @Order(4)
    void uniformChangesEverywhereStillStoreNoMoreThanAFull() throws Exception {
        setup.pg().sql("UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid % 40 = 0", "CHECKPOINT");
        CliRun r = setup.cli("backup", "--type", "incr");
        assertThat(r.exitCode()).as(r.all()).isZero();
        JsonNode b = backup(lastLabel());
        assertThat(b.get("storedSize").asLong()).isLessThanOrEqualTo(fullStored);
        assertThat(info().get("backups")).hasSize(4);
        assertThat(info().get("wal")).isNotEmpty();
    }

    @Test
    @Order(5)
    void infoReportsTheServersMajorAndEveryBackupUsable() throws Exception {
        JsonNode info = info();
        int serverMajor = (int) (setup.pg().queryLong("SELECT current_setting('server_version_num')::int") / 10000);
        expectedMajor().ifPresent(major -> assertThat(serverMajor).as("server major").isEqualTo(major));
        assertThat(info.get("pgVersion").asInt()).isEqualTo(serverMajor);
        assertThat(info.get("backups")).hasSize(4)
                .allSatisfy(b -> assertThat(b.get("usable").asBoolean()).as(b.toString()).isTrue());
    }
}
