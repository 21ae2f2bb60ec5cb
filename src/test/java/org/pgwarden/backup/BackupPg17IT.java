package org.pgwarden.backup;

import java.util.OptionalInt;
import org.pgwarden.adapter.process.PgBinaries;
import org.pgwarden.testing.ZonkyPostgres;

/**
 * {@link BackupContract} against PostgreSQL 17 from the test classpath, which Debian 12 does not
 * package. Its bin directory has only the server programs; pgbench comes from the Debian install.
 */
class BackupPg17IT extends BackupContract {
    @Override
    protected PgBinaries binaries() {
        return ZonkyPostgres.binaries();
    }

    @Override
    protected OptionalInt expectedMajor() {
        return OptionalInt.of(ZonkyPostgres.MAJOR);
    }
}
