package org.pgwarden.backup;

import java.util.Optional;
import java.util.OptionalInt;
import org.pgwarden.adapter.process.PgBinaries;

/** {@link BackupContract} against the PostgreSQL the machine has installed (15 from Debian 12). */
class BackupIT extends BackupContract {
    @Override
    protected PgBinaries binaries() {
        return PgBinaries.locate(Optional.empty());
    }

    /** Whatever major the distribution packages; the contract still checks info agrees with it. */
    @Override
    protected OptionalInt expectedMajor() {
        return OptionalInt.empty();
    }
}
