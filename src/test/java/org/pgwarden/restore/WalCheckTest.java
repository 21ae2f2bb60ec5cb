package org.pgwarden.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import org.pgwarden.codec.Codec;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.crypto.DataKeyCache;
import org.pgwarden.crypto.LocalKeyFileWrapper;
import org.pgwarden.pg.TimelineId;
import org.pgwarden.repo.BackupLabel;
import org.pgwarden.repo.BackupType;
import org.pgwarden.repo.Keyring;
import org.pgwarden.repo.ManifestHeader;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.repo.WalArchiveIndex;
import org.pgwarden.storage.ObjectKey;
import org.pgwarden.testing.InMemoryObjectStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The repository side of the WAL check: timelines resolved the way PostgreSQL resolves them, the
 * history file read, verified and followed, and the archive listed per timeline.
 */
class WalCheckTest {
    private static final int SIZE = 16 << 20;
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-24T02:00:00Z"), ZoneOffset.UTC);
    private static final String TIMELINE_2 = "1\t0/5000100\tno recovery target specified\n";

    @TempDir
    Path keys;
    private InMemoryObjectStore store;
    private LocalKeyFileWrapper wrapper;
    private SealedObjects objects;

    @BeforeEach
    void createRepository() {
        store = new InMemoryObjectStore();
        Path key = keys.resolve("master.key");
        LocalKeyFileWrapper.generateKeyFile(key);
        wrapper = LocalKeyFileWrapper.open(key);
        Keyring keyring = new Keyring(store, "main", wrapper, new DataKeyCache(Duration.ofMinutes(15), 100, CLOCK),
                CLOCK);
        objects = new SealedObjects(store, "main", keyring, Codec.zstd(1));
    }

    @AfterEach
    void close() {
        wrapper.close();
    }

    /** Timeline 1 has segments 2..6 (it went on after the switch); timeline 2 branched at 0/5000100. */
    private void givenTwoTimelines() {
        for (int s = 2; s <= 6; s++) {
            givenWal(String.format("00000001%08X%08X", 0, s), "tl1 segment " + s);
        }
        givenWal("00000002.history", TIMELINE_2);
        for (int s = 5; s <= 8; s++) {
            givenWal(String.format("00000002%08X%08X", 0, s), "tl2 segment " + s);
        }
    }

    private void givenWal(String name, String content) {
        givenWal(name, content, content);
    }

    private void givenWal(String name, String keyedContent, String storedContent) {
        ObjectKey key = WalArchiveIndex.key(name, sha256(keyedContent));
        objects.put(key, new ByteArrayInputStream(storedContent.getBytes(StandardCharsets.UTF_8)));
    }

    private static ManifestHeader backupAt(String start, String stop) {
        BackupLabel label = BackupLabel.parse("20261124-020000F");
        return new ManifestHeader(label, BackupType.FULL, Optional.empty(), label.time(), label.time().plusSeconds(60),
                start, stop, 1, 15, 7300000000000000001L, SIZE, 131072,
                "START WAL LOCATION: " + start + "\n", null, true, Map.of());
    }

    private WalCheck.Result check(ManifestHeader backup, RecoveryTarget target, Optional<String> timeline) {
        return new WalCheck(new WalArchiveIndex(store), objects, SIZE).check(backup, target, timeline);
    }

    @Test
    void latestFollowsTheNewestTimelineThroughItsHistoryFile() {
        givenTwoTimelines();
        WalCheck.Result r = check(backupAt("0/2000028", "0/2000138"), RecoveryTarget.latest(), Optional.empty());
        assertThat(r.timeline()).isEqualTo(TimelineId.of(2));
        assertThat(r.plan().spans()).containsExactly(new WalPlan.Span(TimelineId.of(1), 2, 4),
                new WalPlan.Span(TimelineId.of(2), 5, 8));
        assertThat(r.history()).extracting(o -> WalArchiveIndex.fileName(o.key())).containsExactly("00000002.history");
        assertThat(r.problem()).isEmpty();
    }

    @Test
    void currentStaysOnTheBackupsTimeline() {
        givenTwoTimelines();
        WalCheck.Result r = check(backupAt("0/2000028", "0/2000138"), RecoveryTarget.latest(), Optional.of("current"));
        assertThat(r.timeline()).isEqualTo(TimelineId.of(1));
        assertThat(r.plan().spans()).containsExactly(new WalPlan.Span(TimelineId.of(1), 2, 6));
        assertThat(r.history()).isEmpty();
        assertThat(check(backupAt("0/2000028", "0/2000138"), RecoveryTarget.latest(), Optional.of("1")).timeline())
                .isEqualTo(TimelineId.of(1));
    }

    @Test
    void aTimelineThatBranchedBeforeTheBackupIsRefused() {
        givenTwoTimelines();
        assertThatThrownBy(() -> check(backupAt("0/6000028", "0/6000138"), RecoveryTarget.latest(), Optional.empty()))
                .isInstanceOfSatisfying(PgwardenException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(ErrorCode.WAL_TIMELINE);
                    assertThat(e.getMessage()).contains("timeline 2 does not continue the history of backup");
                });
        assertThatThrownBy(() -> check(backupAt("0/2000028", "0/2000138"), RecoveryTarget.latest(), Optional.of("3")))
                .isInstanceOfSatisfying(PgwardenException.class, e -> assertThat(e.getMessage())
                        .contains("'00000003.history' is not archived"));
        assertThatThrownBy(() -> check(backupAt("0/2000028", "0/2000138"), RecoveryTarget.latest(),
                Optional.of("newest"))).hasMessageContaining("--target-timeline 'newest'");
    }

    @Test
    void aHistoryFileThatDoesNotMatchItsChecksumIsAnIntegrityError() {
        givenWal("00000002.history", TIMELINE_2, "1\t0/9000000\taltered\n");
        assertThatThrownBy(() -> check(backupAt("0/2000028", "0/2000138"), RecoveryTarget.latest(), Optional.empty()))
                .isInstanceOfSatisfying(PgwardenException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(ErrorCode.INTEGRITY_CHECKSUM);
                    assertThat(e.getMessage()).contains("wal/00000002/00000002.history-");
                });
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
