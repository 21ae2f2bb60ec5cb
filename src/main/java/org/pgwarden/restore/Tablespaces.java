package org.pgwarden.restore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.repo.ManifestHeader;

/**
 * The tablespaces of a backup, read from its {@code tablespace_map} ({@code <oid> <location>} per
 * line), and the rules for where a restore may put them.
 */
public final class Tablespaces {
    private Tablespaces() {
    }

    /** Location by tablespace oid, in the map's order; empty for a backup without tablespaces. */
    static Map<String, Path> locations(String tablespaceMapText) {
        Map<String, Path> out = new LinkedHashMap<>();
        if (tablespaceMapText == null) {
            return out;
        }
        for (String line : tablespaceMapText.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            int space = line.indexOf(' ');
            out.put(line.substring(0, space), Path.of(line.substring(space + 1)));
        }
        return out;
    }

    /**
     * Refuses, before anything is written, a {@code --tablespace-map} naming a location the backup
     * has no tablespace at (a typo would otherwise restore into the old place), and a tablespace
     * location (remapped or not) that already holds files unless delta restore was asked for: a
     * restore on the same host without a remap would otherwise write into the live cluster's
     * tablespace.
     */
    public static void check(ManifestHeader header, Map<Path, Path> remap, boolean delta) {
        Map<String, Path> locations = locations(header.tablespaceMapText());
        for (Path old : remap.keySet()) {
            if (!locations.containsValue(old)) {
                throw new PgwardenException(ErrorCode.USAGE, "--tablespace-map names '" + old
                        + "', but backup " + header.label() + " has no tablespace there", locations.isEmpty()
                        ? "the backup has no tablespaces; drop --tablespace-map"
                        : "its tablespaces are at " + locations.entrySet().stream()
                                .map(e -> "'" + e.getValue() + "' (oid " + e.getKey() + ")")
                                .collect(Collectors.joining(", ")), null);
            }
        }
        if (delta) {
            return;
        }
        for (Map.Entry<String, Path> e : locations.entrySet()) {
            Path target = remap.getOrDefault(e.getValue(), e.getValue());
            if (holdsFiles(target)) {
                throw new PgwardenException(ErrorCode.USAGE, "tablespace " + e.getKey() + " would be restored into '"
                        + target + "', which is not empty", remap.containsKey(e.getValue())
                        ? "choose an empty or missing directory as NEW in --tablespace-map"
                        : "restore it elsewhere with --tablespace-map " + e.getValue() + "=/new/empty/dir, or pass"
                                + " --delta to rewrite this cluster's own tablespace", null);
            }
        }
    }

    private static boolean holdsFiles(Path dir) {
        if (!Files.isDirectory(dir)) {
            return Files.exists(dir);
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isPresent();
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.REPO_IO, "unable to list '" + dir + "': " + e.getMessage(), e);
        }
    }

    /** {@code tablespace_map} with remapped locations in place of the old ones. */
    static String remap(String map, Map<Path, Path> remap) {
        StringBuilder out = new StringBuilder();
        locations(map).forEach((oid, old) -> out.append(oid).append(' ').append(remap.getOrDefault(old, old))
                .append('\n'));
        return out.toString();
    }
}
