package org.pgwarden.pg;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pgwarden.adapter.process.LocalCluster;
import org.pgwarden.pg.PageChecksum.Status;
import org.pgwarden.testing.PostgresFixture;

/** The checksum against pages PostgreSQL itself wrote, and against its own {@code page_checksum()}. */
class PageChecksumIT {
    private static final int SIZE = PageChecksum.PAGE_SIZE;
    private static PostgresFixture pg;

    @BeforeAll
    static void startPostgres() {
        // no autovacuum: nothing may rewrite pages while the test reads them
        pg = PostgresFixture.start(LocalCluster.options().dataChecksums(true).setting("autovacuum", "off"));
        pg.sql("CREATE TABLE filled AS SELECT g AS id, md5(g::text) AS payload FROM generate_series(1, 50000) g",
                "CREATE INDEX ON filled (payload)",
                "VACUUM filled",
                "CHECKPOINT");
    }

    @AfterAll
    static void stopPostgres() {
        pg.close();
    }

    private static Path relationFile(String relation) {
        return pg.cluster().dataDirectory().resolve(pg.queryString("SELECT pg_relation_filepath('" + relation + "')"));
    }

    @Test
    void everyPageOfAFilledTableIsValid() throws IOException {
        byte[] file = Files.readAllBytes(relationFile("filled"));
        assertThat(file.length % SIZE).isZero();
        assertThat(file.length / SIZE).isGreaterThan(100);
        int valid = 0;
        for (int block = 0; block * SIZE < file.length; block++) {
            PageChecksum.PageCheck check = PageChecksum.check(file, block * SIZE, block);
            assertThat(check.status()).as("block %d: %s", block, check).isIn(Status.VALID, Status.NEW);
            valid += check.status() == Status.VALID ? 1 : 0;
        }
        assertThat(valid).isGreaterThan(100);
    }

    @Test
    void everyPageOfEveryRelationFileInTheClusterIsValid() throws IOException {
        Path data = pg.cluster().dataDirectory();
        List<PgDataEntry> relations;
        try (Stream<PgDataEntry> s = new PgDataWalker(data).entries()) {
            relations = s.filter(PgDataEntry::relation).toList();
        }
        long pages = 0;
        for (PgDataEntry e : relations) {
            byte[] file = Files.readAllBytes(e.absolute());
            String name = e.path().substring(e.path().lastIndexOf('/') + 1);
            long segment = PgDataLayout.parseRelationFileName(name).segment();
            for (int i = 0; i * SIZE < file.length; i++) {
                PageChecksum.PageCheck check = PageChecksum.check(file, i * SIZE, PageChecksum.blockNumber(segment, i));
                assertThat(check.isValid()).as("%s block %d: %s", e.path(), i, check).isTrue();
                pages++;
            }
        }
        assertThat(relations).hasSizeGreaterThan(100);
        assertThat(pages).isGreaterThan(500);
    }

    @Test
    void aFlippedByteIsInvalid() throws IOException {
        byte[] file = Files.readAllBytes(relationFile("filled"));
        byte[] page = new byte[SIZE];
        System.arraycopy(file, 3 * SIZE, page, 0, SIZE);
        assertThat(PageChecksum.check(page, 0, 3).status()).isEqualTo(Status.VALID);
        page[5000] ^= 0x01;
        PageChecksum.PageCheck check = PageChecksum.check(page, 0, 3);
        assertThat(check.status()).isEqualTo(Status.INVALID);
        assertThat(check.found()).isEqualTo(PageChecksum.storedChecksum(file, 3 * SIZE));
    }

    @Test
    void agreesWithPostgresOnSyntheticPages() throws SQLException {
        pg.sql("CREATE EXTENSION IF NOT EXISTS pageinspect");
        byte[] page = PageChecksumTest.givenSyntheticPage();
        try (Connection c = pg.connect(); PreparedStatement ps = c.prepareStatement("SELECT page_checksum(?, ?)")) {
            for (int block : new int[] {0, 1, 5, 131077, Integer.MAX_VALUE}) {
                ps.setBytes(1, page);
                ps.setInt(2, block);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    // page_checksum returns a signed smallint
                    int theirs = rs.getInt(1) & 0xFFFF;
                    assertThat(PageChecksum.compute(page, 0, block)).as("block %d", block).isEqualTo(theirs);
                }
            }
        }
    }
}
