package org.pgwarden.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.pg.PgServerInfo;
import org.pgwarden.pg.PgVersion;
import org.pgwarden.repo.StanzaInfo;
import org.junit.jupiter.api.Test;

class ClusterChecksTest {
    private static final Path DATA = Path.of("/var/lib/postgresql/15/main");
    private static final StanzaInfo STANZA = StanzaInfo.of("main", 7441183838920117421L, 15, 16 << 20, 8192,
            Instant.parse("2026-11-24T00:00:00Z"));

    private static PgServerInfo server(long sysid, int major, String archiveMode, boolean standby, Path data) {
        return new PgServerInfo(new PgVersion(major, 4), data, "replica", archiveMode, "pgwarden wal-push %p", true,
                standby, sysid, Optional.empty());
    }

    private static void refused(PgServerInfo s, ErrorCode code, String message, String hint) {
        assertThatThrownBy(() -> ClusterChecks.requireBackupable(s, STANZA, DATA))
                .isInstanceOfSatisfying(PgwardenException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(code);
                    assertThat(e.getMessage()).contains(message);
                    assertThat(e.hint()).get().asString().contains(hint);
                });
    }

    @Test
    void aMatchingPrimaryWithArchivingPasses() {
        ClusterChecks.requireBackupable(server(STANZA.systemIdentifier(), 15, "on", false, DATA), STANZA, DATA);
    }

    @Test
    void eachRefusalSaysWhatToDo() {
        refused(server(42, 15, "on", false, DATA), ErrorCode.WAL_FOREIGN, "is not stanza 'main'", "another cluster");
        refused(server(STANZA.systemIdentifier(), 16, "on", false, DATA), ErrorCode.PG_MISCONFIGURED,
                "PostgreSQL 16.4 but stanza 'main' was created for PostgreSQL 15", "stanza-create");
        refused(server(STANZA.systemIdentifier(), 15, "on", true, DATA), ErrorCode.PG_MISCONFIGURED,
                "is a standby", "primary");
        refused(server(STANZA.systemIdentifier(), 15, "off", false, DATA), ErrorCode.PG_MISCONFIGURED,
                "archive_mode is off", "archive_mode = 'on'");
        refused(server(STANZA.systemIdentifier(), 15, "on", false, Path.of("/srv/pg")), ErrorCode.PG_MISCONFIGURED,
                "server's data_directory is '/srv/pg'", "set postgres.data-directory to '/srv/pg'");
    }
}
