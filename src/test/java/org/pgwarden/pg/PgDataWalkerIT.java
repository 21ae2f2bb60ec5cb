package org.pgwarden.pg;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pgwarden.adapter.process.ProcessRunner;
import org.pgwarden.pg.PgDataEntry.Type;
import org.pgwarden.testing.PostgresFixture;

/** The walk over a freshly initialised, running cluster with a tablespace and an unlogged table. */
class PgDataWalkerIT {
    private static PostgresFixture pg;
    private static Path tablespace;

    @BeforeAll
    static void startPostgres() throws IOException {
        pg = PostgresFixture.start();
        tablespace = Files.createDirectory(pg.cluster().baseDirectory().resolve("ts"));
        if (ProcessRunner.forCurrentUser().switchesToPostgresUser()) {
            UserPrincipal owner = tablespace.getFileSystem().getUserPrincipalLookupService()
                    .lookupPrincipalByName(ProcessRunner.POSTGRES_USER);
            Files.setOwner(tablespace, owner);
        }
        pg.sql("CREATE TABLESPACE extra LOCATION '" + tablespace + "'",
                "CREATE TABLE elsewhere (id int) TABLESPACE extra",
                "INSERT INTO elsewhere SELECT generate_series(1, 1000)",
                "CREATE UNLOGGED TABLE scratch (id int)",
                "INSERT INTO scratch SELECT generate_series(1, 1000)",
                "CHECKPOINT");
    }

    @AfterAll
    static void stopPostgres() {
        pg.close();
    }

    private static Map<String, PgDataEntry> walk() {
        try (Stream<PgDataEntry> s = new PgDataWalker(pg.cluster().dataDirectory()).entries()) {
            List<PgDataEntry> list = s.toList();
            assertThat(list).extracting(PgDataEntry::path).isSortedAccordingTo(PgDataEntry.PATH_ORDER);
            return list.stream().collect(Collectors.toMap(PgDataEntry::path, Function.identity()));
        }
    }

    @Test
    void findsTheClusterFilesAndLeavesOutTheServersOwn() {
        Map<String, PgDataEntry> entries = walk();
        assertThat(entries).containsKeys("PG_VERSION", "global/pg_control", "global/pg_filenode.map",
                "base/1/PG_VERSION", "postgresql.conf", "pg_xact", "pg_wal", "pg_wal/archive_status");
        assertThat(entries.get("global/pg_control").relation()).isFalse();
        assertThat(entries.get("global/pg_control").size()).isEqualTo(8192);
        // pg_class of template1
        String pgClass = pg.queryString("SELECT pg_relation_filenode('pg_class')");
        assertThat(entries).containsKey("base/1/" + pgClass);
        assertThat(entries.get("base/1/" + pgClass).relation()).isTrue();
        assertThat(Files.exists(pg.cluster().dataDirectory().resolve("postmaster.pid"))).isTrue();
        assertThat(entries).doesNotContainKeys("postmaster.pid", "postmaster.opts");
        assertThat(entries.keySet()).filteredOn(p -> p.startsWith("pg_wal/"))
                .containsExactly("pg_wal/archive_status");
        assertThat(entries.keySet()).noneMatch(p -> p.endsWith("pg_internal.init"));
    }

    @Test
    void followsTheTablespaceAndKeepsOnlyTheInitForkOfUnloggedTables() {
        Map<String, PgDataEntry> entries = walk();
        String oid = pg.queryString("SELECT oid FROM pg_tablespace WHERE spcname = 'extra'");
        PgDataEntry link = entries.get("pg_tblspc/" + oid);
        assertThat(link.type()).isEqualTo(Type.SYMLINK);
        assertThat(link.linkTarget()).contains(tablespace);

        String elsewhere = pg.queryString("SELECT pg_relation_filepath('elsewhere')");
        assertThat(elsewhere).startsWith("pg_tblspc/" + oid + "/PG_15_");
        assertThat(entries).containsKey(elsewhere);
        assertThat(entries.get(elsewhere).relation()).isTrue();
        assertThat(entries.get(elsewhere).size()).isPositive();

        String scratch = pg.queryString("SELECT pg_relation_filepath('scratch')");
        assertThat(Files.exists(pg.cluster().dataDirectory().resolve(scratch))).isTrue();
        assertThat(entries).containsKey(scratch + "_init").doesNotContainKeys(scratch, scratch + "_fsm");
    }
}
