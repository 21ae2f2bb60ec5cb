package org.pgwarden.pg;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * What pgwarden needs to know about a running server before it backs it up or archives its WAL.
 *
 * @param archiveMode      {@code off}, {@code on} or {@code always}
 * @param archiveCommand   as the server shows it; {@code (disabled)} while archiving is off
 * @param systemIdentifier the cluster's identity from {@code pg_control_system()}; a repository
 *                         belongs to exactly one
 * @param timeZone         the server's {@code TimeZone} setting, when known
 */
public record PgServerInfo(
        PgVersion version,
        Path dataDirectory,
        String walLevel,
        String archiveMode,
        String archiveCommand,
        boolean dataChecksums,
        boolean inRecovery,
        long systemIdentifier,
        Optional<String> timeZone) {

    public PgServerInfo {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(dataDirectory, "dataDirectory");
        Objects.requireNonNull(walLevel, "walLevel");
        Objects.requireNonNull(archiveMode, "archiveMode");
        Objects.requireNonNull(archiveCommand, "archiveCommand");
        Objects.requireNonNull(timeZone, "timeZone");
    }

    /** Whether the server writes enough WAL for a physical backup to be restorable. */
    public boolean walLevelSupportsBackup() {
        return walLevel.equals("replica") || walLevel.equals("logical");
    }

    /** Whether the server hands completed WAL segments to its archive command. */
    public boolean archivingEnabled() {
        return !archiveMode.equals("off");
    }
}
