package org.pgwarden.backup;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FileCopierTest {
    @Test
    void segmentNumbersComeFromTheFileSuffix() {
        assertThat(FileCopier.segmentNumber("base/1/1259")).isZero();
        assertThat(FileCopier.segmentNumber("base/1/1259.3")).isEqualTo(3);
        assertThat(FileCopier.segmentNumber("pg_tblspc/16384/PG_15_202209061/5/16390.12")).isEqualTo(12);
    }
}
