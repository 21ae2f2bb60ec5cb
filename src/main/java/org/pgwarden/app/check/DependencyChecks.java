package org.pgwarden.app.check;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.crypto.DataKey;
import org.pgwarden.crypto.KeyWrapper;
import org.pgwarden.pg.PgCluster;
import org.pgwarden.pg.PgServerInfo;
import org.pgwarden.storage.ObjectKey;
import org.pgwarden.storage.ObjectStore;

/**
 * The checks behind {@code pgwarden check} and the daemon's readiness: PostgreSQL is reachable
 * and set up for archiving, the configured data directory is the server's, the repository accepts
 * a write and the master key wraps and unwraps a data key. Each check reports on its own, so one
 * failure does not hide another.
 */
public final class DependencyChecks {
    private final Path configuredDataDirectory;
    private final String stanza;
    private final PgCluster postgres;
    private final ObjectStore repository;
    private final KeyWrapper key;
    private final Clock clock;

    public DependencyChecks(Path configuredDataDirectory, String stanza, PgCluster postgres, ObjectStore repository,
            KeyWrapper key, Clock clock) {
        this.configuredDataDirectory = configuredDataDirectory;
        this.stanza = stanza;
        this.postgres = postgres;
        this.repository = repository;
        this.key = key;
        this.clock = clock;
    }

    public List<CheckResult> run() {
        List<CheckResult> results = new ArrayList<>(checkPostgres());
        results.add(checkRepository());
        results.add(checkKey());
        return results;
    }

    List<CheckResult> checkPostgres() {
        List<CheckResult> out = new ArrayList<>();
        PgServerInfo info;
        try {
            info = postgres.serverInfo();
        } catch (RuntimeException e) {
            out.add(CheckResult.fail("postgres", "connect to PostgreSQL", PgwardenException.of(e)));
            return out;
        }
        out.add(CheckResult.ok("postgres", "connect to PostgreSQL",
                "PostgreSQL " + info.version() + " at " + postgres.describeEndpoint()
                        + (info.inRecovery() ? " (standby)" : "")));
        out.add(checkDataDirectory(info.dataDirectory()));
        String walLevel = info.walLevel().toLowerCase(Locale.ROOT);
        out.add(walLevel.equals("replica") || walLevel.equals("logical")
                ? CheckResult.ok("postgres", "wal_level", walLevel)
                : CheckResult.fail("postgres", "wal_level", ErrorCode.PG_MISCONFIGURED,
                        "wal_level is '" + walLevel + "'; backups need 'replica' or 'logical'",
                        "ALTER SYSTEM SET wal_level = 'replica'; then restart PostgreSQL"));
        String archiveMode = info.archiveMode().toLowerCase(Locale.ROOT);
        out.add(archiveMode.equals("on") || archiveMode.equals("always")
                ? CheckResult.ok("postgres", "archive_mode", archiveMode)
                : CheckResult.fail("postgres", "archive_mode", ErrorCode.PG_MISCONFIGURED,
                        "archive_mode is '" + archiveMode + "'; point-in-time recovery needs WAL archiving",
                        "ALTER SYSTEM SET archive_mode = 'on'; then restart PostgreSQL"));
        String command = info.archiveCommand() == null ? "" : info.archiveCommand().trim();
        out.add(command.isEmpty() || command.equals("(disabled)")
                ? CheckResult.warn("postgres", "archive_command", "archive_command is empty: WAL is kept in"
                        + " pg_wal and not archived", "set archive_command once WAL archiving is configured")
                : CheckResult.ok("postgres", "archive_command", command));
        return out;
    }

    private CheckResult checkDataDirectory(Path serverDirectory) {
        String name = "data directory";
        if (sameDirectory(serverDirectory, configuredDataDirectory)) {
            return CheckResult.ok("postgres", name, serverDirectory.toString());
        }
        return CheckResult.fail("postgres", name, ErrorCode.PG_MISCONFIGURED,
                "postgres.data-directory is '" + configuredDataDirectory + "' but the server's data_directory is '"
                        + serverDirectory + "'",
                "set postgres.data-directory to '" + serverDirectory + "', or connect to the server that owns '"
                        + configuredDataDirectory + "'");
    }

    private static boolean sameDirectory(Path a, Path b) {
        if (a.normalize().equals(b.normalize())) {
            return true;
        }
        try {
            return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }

    CheckResult checkRepository() {
        String name = "write to the repository";
        ObjectKey probe = ObjectKey.of("check", "probe-" + ProcessHandle.current().pid() + "-" + clock.millis());
        byte[] body = ("pgwarden check " + clock.instant()).getBytes(StandardCharsets.UTF_8);
        try {
            repository.put(probe, new ByteArrayInputStream(body));
            long size = repository.stat(probe).map(i -> i.size()).orElse(-1L);
            repository.delete(List.of(probe));
            if (size != body.length) {
                return CheckResult.fail("repository", name, ErrorCode.REPO_IO, "probe object '" + probe + "' in "
                        + repository.describe() + " reads back " + size + " bytes instead of " + body.length, null);
            }
            return CheckResult.ok("repository", name, repository.describe() + " (stanza '" + stanza + "')");
        } catch (RuntimeException e) {
            return CheckResult.fail("repository", name, PgwardenException.of(e));
        }
    }

    CheckResult checkKey() {
        String name = "wrap and unwrap a data key";
        try {
            DataKey dataKey = key.generateDataKey();
            byte[] clear = key.unwrap(dataKey.wrapped());
            boolean same = Arrays.equals(clear, dataKey.plaintext());
            Arrays.fill(clear, (byte) 0);
            dataKey.destroy();
            if (!same) {
                return CheckResult.fail("key", name, ErrorCode.INTEGRITY_WRONG_KEY, "master key '" + key.masterKeyId()
                        + "' unwrapped a different data key than it wrapped", null);
            }
            return CheckResult.ok("key", name, "master key '" + key.masterKeyId() + "'");
        } catch (RuntimeException e) {
            return CheckResult.fail("key", name, PgwardenException.of(e));
        }
    }
}
