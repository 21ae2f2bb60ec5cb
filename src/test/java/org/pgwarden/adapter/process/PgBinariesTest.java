package org.pgwarden.adapter.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgwarden.adapter.process.PgBinaries.Program;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;

class PgBinariesTest {
    @TempDir
    Path tmp;

    @Test
    void configuredDirectoryComesBeforeDebianAndPath() throws IOException {
        Path configured = program(tmp.resolve("configured"), "initdb");
        program(tmp.resolve("debian/15/bin"), "initdb");
        program(tmp.resolve("onpath"), "initdb");

        PgBinaries b = PgBinaries.locate(Optional.of(configured), tmp.resolve("debian"), tmp.resolve("onpath").toString());

        assertThat(b.path(Program.INITDB)).isEqualTo(configured.resolve("initdb"));
    }

    @Test
    void newestDebianMajorWinsOverPath() throws IOException {
        program(tmp.resolve("debian/9.6/bin"), "pg_ctl");
        program(tmp.resolve("debian/15/bin"), "pg_ctl");
        program(tmp.resolve("debian/16/bin"), "pg_ctl");
        program(tmp.resolve("onpath"), "pg_ctl");

        PgBinaries b = PgBinaries.locate(Optional.empty(), tmp.resolve("debian"), tmp.resolve("onpath").toString());

        assertThat(b.path(Program.PG_CTL)).isEqualTo(tmp.resolve("debian/16/bin/pg_ctl"));
    }

    @Test
    void fallsBackToPathPerProgram() throws IOException {
        program(tmp.resolve("debian/15/bin"), "postgres");
        program(tmp.resolve("onpath"), "psql");

        PgBinaries b = PgBinaries.locate(Optional.empty(), tmp.resolve("debian"),
                "/nonexistent:" + tmp.resolve("onpath"));

        assertThat(b.path(Program.POSTGRES)).isEqualTo(tmp.resolve("debian/15/bin/postgres"));
        assertThat(b.path(Program.PSQL)).isEqualTo(tmp.resolve("onpath/psql"));
    }

    @Test
    void ignoresFilesThatAreNotExecutable() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("bin"));
        Files.writeString(dir.resolve("initdb"), "");

        PgBinaries b = PgBinaries.locate(Optional.of(dir), tmp.resolve("none"), "");

        assertThat(b.has(Program.INITDB)).isFalse();
    }

    @Test
    void missingProgramsNameWhereTheyWereSoughtAndTheDebianPackage() {
        PgBinaries b = PgBinaries.locate(Optional.of(tmp.resolve("bin")), tmp.resolve("none"), "");

        assertThatThrownBy(() -> b.require(Program.INITDB, Program.PG_CTL))
                .isInstanceOfSatisfying(PgwardenException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(ErrorCode.PG_BINARIES_MISSING);
                    assertThat(e.getMessage()).contains("'initdb', 'pg_ctl'").contains("'" + tmp.resolve("bin") + "'");
                    assertThat(e.describe()).contains("apt-get install postgresql-15");
                });
    }

    private static Path program(Path dir, String name) throws IOException {
        Files.createDirectories(dir);
        Path p = Files.writeString(dir.resolve(name), "#!/bin/sh\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir;
    }
}
