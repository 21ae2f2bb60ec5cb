package org.pgwarden.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.pgwarden.audit.ArchiveManifest.KeyColumn;
import org.pgwarden.audit.ArchiveManifest.State;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;

class ArchiveManifestTest {
    private static final Instant T = Instant.parse("2026-11-24T03:30:00Z");

    private static ArchiveManifest batch() {
        return new ArchiveManifest("20261124T033000000Z-000001", "app", "public.audit_events", "batches",
                State.ARCHIVED, Optional.empty(), "run-1", 1000, 4000, 900, "ab".repeat(32), T.minusSeconds(86400 * 90),
                "created_at", List.of(new KeyColumn("tenant", "integer"), new KeyColumn("id", "bigint")),
                List.of("1", "1"), List.of("1", "1000"), Optional.of(Instant.parse("2026-05-01T00:00:00Z")),
                Optional.of(Instant.parse("2026-05-02T00:00:00Z")), T, Optional.empty());
    }

    @Test
    void roundTripsThroughJson() {
        ArchiveManifest m = batch();
        assertThat(ArchiveManifest.parse(m.toJson(), "k")).isEqualTo(m);
        ArchiveManifest done = m.with(State.DELETED, T.plusSeconds(5));
        assertThat(ArchiveManifest.parse(done.toJson(), "k")).isEqualTo(done);
        assertThat(new String(done.toJson(), StandardCharsets.UTF_8)).contains("\"state\" : \"deleted\"");
    }

    @Test
    void overlapsItsTimeRange() {
        ArchiveManifest m = batch();
        assertThat(m.overlaps(Instant.parse("2026-05-01T12:00:00Z"), Instant.parse("2026-06-01T00:00:00Z"))).isTrue();
        assertThat(m.overlaps(Instant.parse("2026-04-01T00:00:00Z"), Instant.parse("2026-05-01T00:00:00Z"))).isFalse();
        assertThat(m.overlaps(Instant.parse("2026-05-02T00:00:00Z"), Instant.parse("2026-05-03T00:00:00Z"))).isTrue();
        assertThat(m.overlaps(Instant.parse("2026-05-02T00:00:01Z"), Instant.parse("2026-05-03T00:00:00Z"))).isFalse();
    }

    @Test
    void anUnknownFormatOrBrokenManifestIsAnIntegrityError() {
        assertThatThrownBy(() -> ArchiveManifest.parse("{\"format\":2}".getBytes(StandardCharsets.UTF_8), "audit/x.json"))
                .isInstanceOfSatisfying(PgwardenException.class, e -> assertThat(e.errorCode())
                        .isEqualTo(ErrorCode.INTEGRITY_MANIFEST)).hasMessageContaining("audit/x.json");
        assertThatThrownBy(() -> ArchiveManifest.parse("{\"format\":1}".getBytes(StandardCharsets.UTF_8), "audit/y.json"))
                .hasMessageContaining("field 'batch' is missing");
    }
}
