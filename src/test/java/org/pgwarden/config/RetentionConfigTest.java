package org.pgwarden.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class RetentionConfigTest {
    private final ConfigLoader loader = new ConfigLoader(expr -> Optional.empty());

    private static final String MINIMAL = ConfigTexts.MINIMAL;

    @Test
    void defaultKeepsTwoFullsWithEverythingOfThem() {
        RetentionConfig r = loader.parse(MINIMAL, "t").config().retention();
        assertThat(r).isEqualTo(RetentionConfig.defaults());
        assertThat(r.fullCount()).hasValue(2);
        assertThat(r.fullDays()).isEmpty();
        assertThat(r.diff().withFull()).isTrue();
        assertThat(r.incr().withFull()).isTrue();
        assertThat(r.expireAfterBackup()).isTrue();
    }

    @Test
    void bindsCountsDaysAndWithFull() {
        RetentionConfig r = loader.parse(MINIMAL + """
                retention:
                  full: {count: 3, days: 14}
                  diff: {count: 2}
                  incr: with-full
                  expire-after-backup: false
                """, "t").config().retention();
        assertThat(r).isEqualTo(new RetentionConfig(OptionalInt.of(3), OptionalInt.of(14),
                new RetentionConfig.Dependents(OptionalInt.of(2)), RetentionConfig.Dependents.WITH_FULL, false));
    }

    @Test
    void aWindowAloneKeepsNoCount() {
        RetentionConfig r = loader.parse(MINIMAL + "retention:\n  full:\n    days: 7\n", "t").config().retention();
        assertThat(r.fullCount()).isEmpty();
        assertThat(r.fullDays()).hasValue(7);
    }

    @Test
    void reportsEveryProblemTogetherNamingTheField() {
        assertThatThrownBy(() -> loader.parse(MINIMAL + """
                retention:
                  full: {}
                  diff: with-parent
                  incr: {count: 0}
                  expire-after-bakup: true
                """, "t"))
                .hasMessageContaining("retention.full: give 'count'")
                .hasMessageContaining("retention.diff: expected 'with-full' or a mapping {count: N}, got 'with-parent'")
                .hasMessageContaining("retention.incr.count: expected a whole number between 1 and 10000, got 0")
                .hasMessageContaining("retention.expire-after-bakup");
        assertThatThrownBy(() -> loader.parse(MINIMAL + "retention:\n  diff: {}\n  full: {count: -1}\n", "t"))
                .hasMessageContaining("retention.diff.count: must not be empty")
                .hasMessageContaining("retention.full.count: expected a whole number between 1 and 10000, got -1");
    }
}
