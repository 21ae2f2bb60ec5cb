package org.pgwarden.audit;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.pgwarden.audit.ArchiveManifest.KeyColumn;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.AuditRetentionConfig.Table;

/**
 * A configured table as the catalog shows it: whether it exists, is partitioned, has the timestamp
 * column, and which columns identify its rows (the configured {@code key-columns}, else the
 * primary key). Problems are {@code AUDIT_TABLE_INVALID} errors naming the table and the field.
 */
record TableShape(long oid, String qualified, boolean partitioned, String timestampType, List<KeyColumn> keys) {
    TableShape {
        keys = List.copyOf(keys);
    }

    /** {@code ORDER BY} list of the key columns. */
    String keyOrder() {
        return String.join(", ", keys.stream().map(k -> Sql.ident(k.name())).toList());
    }

    static TableShape load(Connection c, Table t, String configPath) throws SQLException {
        long oid;
        String kind;
        try (PreparedStatement ps = c.prepareStatement("SELECT c.oid, c.relkind FROM pg_class c JOIN pg_namespace n"
                + " ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = ?")) {
            ps.setString(1, t.schema());
            ps.setString(2, t.name());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw invalid(t, configPath + ".table", "table '" + t.table() + "' does not exist in database '"
                            + t.database() + "'");
                }
                oid = rs.getLong(1);
                kind = rs.getString(2);
            }
        }
        if (!kind.equals("r") && !kind.equals("p")) {
            throw invalid(t, configPath + ".table", "'" + t.table() + "' in database '" + t.database()
                    + "' is not a table (relkind '" + kind + "')");
        }
        String tsType = columnType(c, oid, t.timestampColumn()).orElseThrow(() -> invalid(t,
                configPath + ".timestamp-column", "table '" + t.table() + "' has no column '" + t.timestampColumn() + "'"));
        if (!tsType.startsWith("timestamp") && !tsType.equals("date")) {
            throw invalid(t, configPath + ".timestamp-column", "column '" + t.timestampColumn() + "' of '" + t.table()
                    + "' is " + tsType + "; expected timestamp with or without time zone, or date");
        }
        List<KeyColumn> keys = new ArrayList<>();
        if (t.keyColumns().isEmpty()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT a.attname, format_type(a.atttypid, a.atttypmod)"
                    + " FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)"
                    + " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
                    + " WHERE i.indrelid = ? AND i.indisprimary ORDER BY k.ord")) {
                ps.setLong(1, oid);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        keys.add(new KeyColumn(rs.getString(1), rs.getString(2)));
                    }
                }
            }
            if (keys.isEmpty()) {
                throw invalid(t, configPath + ".key-columns", "table '" + t.table() + "' has no primary key; set"
                        + " key-columns to NOT NULL columns that identify its rows");
            }
        } else {
            for (String k : t.keyColumns()) {
                String type = columnType(c, oid, k).orElseThrow(() -> invalid(t, configPath + ".key-columns",
                        "table '" + t.table() + "' has no column '" + k + "'"));
                if (!notNull(c, oid, k)) {
                    throw invalid(t, configPath + ".key-columns", "key column '" + k + "' of '" + t.table()
                            + "' allows NULL; key columns must be NOT NULL so every row falls in a batch's key range");
                }
                keys.add(new KeyColumn(k, type));
            }
        }
        c.commit();
        return new TableShape(oid, Sql.qualified(t.schema(), t.name()), kind.equals("p"), tsType, keys);
    }

    private static java.util.Optional<String> columnType(Connection c, long oid, String column) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
                + " WHERE attrelid = ? AND attname = ? AND attnum > 0 AND NOT attisdropped")) {
            ps.setLong(1, oid);
            ps.setString(2, column);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? java.util.Optional.of(rs.getString(1)) : java.util.Optional.empty();
            }
        }
    }

    private static boolean notNull(Connection c, long oid, String column) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT attnotnull FROM pg_attribute WHERE attrelid = ?"
                + " AND attname = ?")) {
            ps.setLong(1, oid);
            ps.setString(2, column);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    static PgwardenException invalid(Table t, String field, String message) {
        return new PgwardenException(ErrorCode.AUDIT_TABLE_INVALID, message + " (" + field + ")",
                "check the table in database '" + t.database() + "' or the audit-retention configuration", null);
    }
}
