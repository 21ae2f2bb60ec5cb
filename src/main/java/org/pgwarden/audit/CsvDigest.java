package org.pgwarden.audit;

import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Counts the records of PostgreSQL's CSV output and hashes it (SHA-256) as it streams past, in
 * constant memory: how an archive read back from the repository, or a table's rows read again, are
 * compared with what was archived. A record ends at a newline outside double quotes; PostgreSQL
 * quotes every field holding a newline, a quote or a comma, and doubles quotes inside, so the
 * quote state toggles correctly through {@code ""}.
 */
final class CsvDigest extends OutputStream {
    private final MessageDigest sha;
    private boolean quoted;
    private long records;
    private long bytes;

    CsvDigest() {
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void write(int b) {
        write(new byte[]{(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) {
        sha.update(b, off, len);
        bytes += len;
        for (int i = off; i < off + len; i++) {
            if (b[i] == '"') {
                quoted = !quoted;
            } else if (b[i] == '\n' && !quoted) {
                records++;
            }
        }
    }

    /** Data rows: records after the header line. */
    long rows() {
        return Math.max(0, records - 1);
    }

    long bytes() {
        return bytes;
    }

    /** The SHA-256 in lowercase hex; call once, after the last write. */
    String sha256Hex() {
        return HexFormat.of().formatHex(sha.digest());
    }
}
