package org.pgwarden.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class CsvDigestTest {

    @Test
    void countsRecordsNotLinesAndHashesEveryByte() throws Exception {
        String csv = "id,note,meta\n"
                + "1,plain,\"{\"\"a\"\": 1}\"\n"
                + "2,\"two\nlines, with comma\",\n"
                + "3,\"\"\"quoted\"\"\nand newline\",x\n";
        byte[] bytes = csv.getBytes(StandardCharsets.UTF_8);
        CsvDigest d = new CsvDigest();
        // in awkward pieces, as a stream delivers them
        for (int i = 0; i < bytes.length; i += 5) {
            d.write(bytes, i, Math.min(5, bytes.length - i));
        }
        assertThat(d.rows()).isEqualTo(3);
        assertThat(d.bytes()).isEqualTo(bytes.length);
        assertThat(d.sha256Hex()).isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)));
    }

    @Test
    void aHeaderAloneIsNoRows() {
        CsvDigest d = new CsvDigest();
        d.write("id,created_at\n".getBytes(StandardCharsets.UTF_8), 0, 14);
        assertThat(d.rows()).isZero();
    }
}
