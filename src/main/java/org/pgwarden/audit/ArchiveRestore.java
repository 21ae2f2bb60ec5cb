package org.pgwarden.audit;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.pgwarden.audit.ArchiveManifest.State;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.AuditRetentionConfig.Table;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads archived rows back ({@code pgwarden retention restore}): every archive of the table whose
 * rows have left it (state {@code deleted}) and whose time range meets {@code [from, to)} is
 * streamed from the repository (authenticated, checksum-checked against its manifest) into a
 * temporary table with {@code COPY ... FROM STDIN}, and the rows in the range are inserted into
 * the target, all in one transaction: either every asked row is back or none is.
 */
public final class ArchiveRestore {
    private static final Logger log = LoggerFactory.getLogger(ArchiveRestore.class);
    private static final String IDENTIFIER = "[A-Za-z_][A-Za-z0-9_$]*";

    private final AuditRetention retention;

    public ArchiveRestore(AuditRetention retention) {
        this.retention = retention;
    }

    public record Result(String table, String into, int archives, long rows) {
    }

    /**
     * @param into {@code schema.table} to load into; created like the audited table when missing.
     *             Default: the audited table itself.
     */
    public Result restore(String tableName, Instant from, Instant to, Optional<String> into) {
        Table t = retention.table(tableName);
        if (!from.isBefore(to)) {
            throw new PgwardenException(ErrorCode.USAGE, "--from " + from + " must be before --to " + to);
        }
        String target = into.orElse(t.table());
        if (!target.matches(IDENTIFIER + "\\." + IDENTIFIER)) {
            throw new PgwardenException(ErrorCode.USAGE, "--into '" + target
                    + "' is not a schema-qualified table name (schema.table)");
        }
        List<ArchiveManifest> chosen = new ArrayList<>();
        for (ArchiveManifest m : retention.archives().list(t.database(), t.table())) {
            if (m.state() == State.DELETED && m.overlaps(from, to)) {
                chosen.add(m);
            }
        }
        if (chosen.isEmpty()) {
            throw new PgwardenException(ErrorCode.AUDIT_NOTHING_ARCHIVED, "no archived rows of table '" + t.table()
                    + "' in database '" + t.database() + "' between " + from + " and " + to + " in repository '"
                    + retention.archives().describe() + "'");
        }
        String targetSql = Sql.qualified(target.substring(0, target.indexOf('.')),
                target.substring(target.indexOf('.') + 1));
        String source = Sql.qualified(t.schema(), t.name());
        String ts = Sql.ident(t.timestampColumn());
        long rows = 0;
        try (Connection c = retention.pg().openDedicatedConnection(t.database())) {
            c.setAutoCommit(false);
            Sql.begin(c, t);
            try (var s = c.createStatement()) {
                // Loading may take longer than a retention statement: only the lock wait stays bounded.
                s.execute("SET LOCAL statement_timeout = 0");
                s.execute("CREATE TABLE IF NOT EXISTS " + targetSql + " (LIKE " + source + " INCLUDING DEFAULTS)");
                s.execute("CREATE TEMPORARY TABLE pgwarden_audit_restore (LIKE " + source + ") ON COMMIT DROP");
            }
            for (ArchiveManifest m : chosen) {
                try (InputStream raw = retention.archives().open(m)) {
                    Checked in = new Checked(new BufferedInputStream(raw));
                    List<String> columns = header(in);
                    String cols = String.join(", ", columns.stream().map(Sql::ident).toList());
                    Sql.update(c, "TRUNCATE pgwarden_audit_restore");
                    // The header was consumed above; the rest is data rows only.
                    long loaded = retention.pg().copyIn(c, "COPY pgwarden_audit_restore (" + cols
                            + ") FROM STDIN WITH (FORMAT csv)", in);
                    String sha = in.sha256Hex();
                    if (loaded != m.rows() || !sha.equals(m.sha256())) {
                        throw new PgwardenException(ErrorCode.AUDIT_ARCHIVE_MISMATCH, "archive batch " + m.batch()
                                + " of table '" + t.table() + "' loaded " + loaded + " rows with SHA-256 " + sha
                                + ", but its manifest says " + m.rows() + " rows and " + m.sha256() + "; nothing restored");
                    }
                    rows += Sql.update(c, "INSERT INTO " + targetSql + " (" + cols + ") SELECT " + cols
                            + " FROM pgwarden_audit_restore WHERE " + ts + " >= " + Sql.timestamptz(from) + " AND " + ts
                            + " < " + Sql.timestamptz(to));
                }
            }
            c.commit();
        } catch (SQLException e) {
            throw Sql.failed(t, "restoring archived rows into '" + target + "'", e);
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.AUDIT_ARCHIVE_FAILED, "reading the archives of table '" + t.table()
                    + "' from repository '" + retention.archives().describe() + "' failed: " + e.getMessage(), e);
        }
        log.info("audit-retention: restored {} rows of {} between {} and {} into {} from {} archive(s)", rows,
                t.table(), from, to, target, chosen.size());
        return new Result(t.table(), target, chosen.size(), rows);
    }

    /** Reads the CSV header line (column names, which never hold a newline here) and returns the names. */
    private static List<String> header(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1 && b != '\n') {
            line.write(b);
        }
        List<String> out = new ArrayList<>();
        String text = line.toString(StandardCharsets.UTF_8);
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (ch == '"') {
                if (quoted && i + 1 < text.length() && text.charAt(i + 1) == '"') {
                    cur.append('"');
                    i++;
                } else {
                    quoted = !quoted;
                }
            } else if (ch == ',' && !quoted) {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(ch);
            }
        }
        out.add(cur.toString());
        return out;
    }

    /** Hashes every byte read, header included, so the whole plaintext is compared with the manifest. */
    private static final class Checked extends FilterInputStream {
        private final MessageDigest sha;

        Checked(InputStream in) {
            super(in);
            try {
                sha = MessageDigest.getInstance("SHA-256");
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                sha.update((byte) b);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                sha.update(b, off, n);
            }
            return n;
        }

        String sha256Hex() {
            return HexFormat.of().formatHex(sha.digest());
        }
    }
}
