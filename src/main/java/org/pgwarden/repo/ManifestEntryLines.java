package org.pgwarden.repo;

import java.nio.charset.StandardCharsets;

/**
 * One manifest entry as one line of text, in the manifest's own format: for code that keeps
 * entries aside before a manifest is written (the backup spools them until its stop position is
 * known).
 */
public final class ManifestEntryLines {
    private ManifestEntryLines() {
    }

    /** The entry as one line, without the trailing newline. */
    public static String format(ManifestEntry entry) {
        byte[] line = ManifestJson.entryLine(entry);
        return new String(line, 0, line.length - 1, StandardCharsets.UTF_8);
    }

    public static ManifestEntry parse(String line) {
        ManifestJson.Line parsed = ManifestJson.parse(line);
        if (!parsed.kind().equals(ManifestJson.ENTRY)) {
            throw new IllegalArgumentException("not a manifest entry line: '" + parsed.kind() + "'");
        }
        return ManifestJson.entry(parsed.body());
    }
}
