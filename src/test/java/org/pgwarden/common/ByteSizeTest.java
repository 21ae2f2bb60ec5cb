package org.pgwarden.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ByteSizeTest {
    @Test
    void parsesBinaryUnits() {
        assertThat(ByteSize.parse("0B").bytes()).isZero();
        assertThat(ByteSize.parse("64KiB").bytes()).isEqualTo(65536);
        assertThat(ByteSize.parse("16MiB").bytes()).isEqualTo(16L << 20);
        assertThat(ByteSize.parse("2GiB").bytes()).isEqualTo(2L << 30);
        assertThat(ByteSize.parse(" 1 TiB ").bytes()).isEqualTo(1L << 40);
    }

    @Test
    void refusesDecimalUnitsWithAHint() {
        assertThatThrownBy(() -> ByteSize.parse("16MB")).hasMessageContaining("binary units only");
    }

    @Test
    void refusesGarbageAndOverflow() {
        assertThatThrownBy(() -> ByteSize.parse("sixteen")).hasMessageContaining("'sixteen'");
        assertThatThrownBy(() -> ByteSize.parse("16")).hasMessageContaining("expected a size");
        assertThatThrownBy(() -> ByteSize.parse("-1MiB")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ByteSize.parse("99999999999TiB")).hasMessageContaining("too large");
    }

    @Test
    void printsInTheParseableForm() {
        assertThat(ByteSize.parse("16MiB")).hasToString("16MiB");
        assertThat(ByteSize.ofBytes(1500)).hasToString("1500B");
        assertThat(ByteSize.parse(ByteSize.ofKiB(3).toString())).isEqualTo(ByteSize.ofKiB(3));
        assertThat(ByteSize.ofMiB(1536 / 1024 * 1024).toHuman()).isEqualTo("1.0 GiB");
    }
}
