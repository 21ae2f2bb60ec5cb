package org.pgwarden.restore;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.pgwarden.repo.ManifestHeader;

/**
 * What PostgreSQL reads to recover a restored backup: {@code backup_label} and
 * {@code tablespace_map} as {@code pg_backup_stop} returned them (tablespaces remapped),
 * {@code recovery.signal}, and the recovery settings appended to {@code postgresql.auto.conf}.
 */
final class RecoveryFiles {
    private RecoveryFiles() {
    }

    /** @param restoreCommand what PostgreSQL runs to get each WAL file */
    static void write(Restore.Request request, String restoreCommand, ManifestHeader header, FileOwner owner)
            throws IOException {
        Path pgdata = request.pgdata();
        write(pgdata.resolve("backup_label"), header.backupLabelText(), owner);
        if (header.tablespaceMapText() != null && !header.tablespaceMapText().isBlank()) {
            write(pgdata.resolve("tablespace_map"), remap(header.tablespaceMapText(), request.tablespaces()), owner);
        }
        write(pgdata.resolve("recovery.signal"), "", owner);
        Path auto = pgdata.resolve("postgresql.auto.conf");
        StringBuilder settings = new StringBuilder("\n# recovery settings written by pgwarden restore of backup ")
                .append(header.label()).append('\n')
                .append("restore_command = '").append(restoreCommand.replace("'", "''")).append("'\n")
                .append(request.target().settings());
        if (!(request.target() instanceof RecoveryTarget.Latest)) {
            settings.append("recovery_target_action = '").append(request.action().setting()).append("'\n");
        }
        request.targetTimeline().ifPresent(t -> settings.append("recovery_target_timeline = '").append(t).append("'\n"));
        Files.writeString(auto, settings.toString(), StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        owner.apply(auto, 0600);
    }

    /** {@code tablespace_map} lines are {@code <oid> <path>}; a remapped location replaces the path. */
    static String remap(String map, Map<Path, Path> tablespaces) {
        StringBuilder out = new StringBuilder();
        for (String line : map.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            int space = line.indexOf(' ');
            Path old = Path.of(line.substring(space + 1));
            out.append(line, 0, space + 1).append(tablespaces.getOrDefault(old, old)).append('\n');
        }
        return out.toString();
    }

    private static void write(Path file, String content, FileOwner owner) throws IOException {
        Files.writeString(file, content, StandardCharsets.UTF_8);
        owner.apply(file, 0600);
    }
}
