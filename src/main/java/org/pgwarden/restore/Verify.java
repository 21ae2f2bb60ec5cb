package org.pgwarden.restore;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.job.JobContext;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.repo.BackupCatalog;
import org.pgwarden.repo.BackupInfo;
import org.pgwarden.repo.BackupLabel;
import org.pgwarden.repo.ManifestEntry;
import org.pgwarden.repo.ManifestReader;
import org.pgwarden.repo.RepositoryLayout;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.repo.Slice;
import org.pgwarden.repo.WalArchiveIndex;
import org.pgwarden.repo.WalRanges;
import org.pgwarden.storage.ObjectInfo;
import org.pgwarden.storage.ObjectKey;
import org.pgwarden.storage.ObjectStore;

/**
 * Reads every object a backup needs without restoring it: the manifest (authenticated to its
 * end), every chunk each slice names (authenticated, then the slice's and the file's SHA-256),
 * and checks that the WAL from the backup's start to its stop is archived without gaps. Results
 * are stored in the repository ({@code verify/<label>.json}) so that an unchanged backup is not
 * read again unless asked.
 */
public final class Verify {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ObjectStore store;
    private final SealedObjects objects;
    private final int walSegmentSize;
    private final Clock clock;
    private final Metrics metrics;

    public Verify(ObjectStore store, SealedObjects objects, int walSegmentSize, Clock clock) {
        this(store, objects, walSegmentSize, clock, Metrics.noop());
    }

    /** @param metrics receives {@code pgwarden_verify_failed_backups} after each run (the daemon's registry) */
    public Verify(ObjectStore store, SealedObjects objects, int walSegmentSize, Clock clock, Metrics metrics) {
        this.store = store;
        this.objects = objects;
        this.walSegmentSize = walSegmentSize;
        this.clock = clock;
        this.metrics = metrics;
    }

    /** One backup's result. */
    public record Outcome(BackupLabel label, boolean ok, boolean reused, long files, long bytes, List<String> problems) {
    }

    /** Verifies the given backup, or all of them; {@code full} re-reads backups already verified. */
    public List<Outcome> run(Optional<BackupLabel> only, boolean full, JobContext context) {
        WalRanges wal = WalRanges.scan(new WalArchiveIndex(store), walSegmentSize);
        List<Outcome> out = new ArrayList<>();
        for (BackupInfo b : new BackupCatalog(store, objects).list()) {
            if (only.isPresent() && !only.get().equals(b.label())) {
                continue;
            }
            context.checkCancelled();
            ObjectInfo manifest = store.stat(RepositoryLayout.manifest(b.label())).orElseThrow();
            Optional<Outcome> previous = full ? Optional.empty() : previous(b.label(), manifest);
            Outcome o = previous.orElseGet(() -> verify(b, context));
            List<String> problems = new ArrayList<>(o.problems());
            wal.missingFor(b.header().timeline(), b.header().startLsn(), b.header().stopLsn())
                    .ifPresent(p -> problems.add("WAL: " + p));
            Outcome now = new Outcome(o.label(), problems.isEmpty(), previous.isPresent(), o.files(), o.bytes(),
                    problems);
            if (previous.isEmpty()) {
                record(now, manifest);
            }
            out.add(now);
        }
        // Tells damage found apart from a run that could not read the repository (both fail a job).
        metrics.set(MeterNames.VERIFY_FAILED_BACKUPS, out.stream().filter(o -> !o.ok()).count());
        return out;
    }

    private Outcome verify(BackupInfo backup, JobContext context) {
        List<String> problems = new ArrayList<>();
        long files = 0;
        long bytes = 0;
        ChunkCache chunks = new ChunkCache(objects);
        try (ManifestReader m = ManifestReader.open(objects, backup.label())) {
            for (ManifestEntry e : m) {
                if (e.type() != ManifestEntry.Type.FILE) {
                    continue;
                }
                context.checkCancelled();
                files++;
                try {
                    bytes += check(e, chunks);
                } catch (PgwardenException ex) {
                    problems.add(e.path() + ": [" + ex.errorCode().id() + "] " + ex.getMessage());
                }
            }
            m.footer();
        } catch (PgwardenException ex) {
            problems.add("manifest: [" + ex.errorCode().id() + "] " + ex.getMessage());
        }
        return new Outcome(backup.label(), problems.isEmpty(), false, files, bytes, problems);
    }

    private static long check(ManifestEntry e, ChunkCache chunks) {
        MessageDigest whole = sha256();
        long covered = 0;
        for (Slice s : e.slices()) {
            ChunkCache.Chunk chunk = chunks.plaintext(s.ref());
            int from = Math.toIntExact(s.ref().sliceOffset());
            int length = Math.toIntExact(s.length());
            if (s.fileOffset() != covered || from + length > chunk.length()) {
                throw new PgwardenException(org.pgwarden.common.ErrorCode.INTEGRITY_MANIFEST, "slices do not cover the"
                        + " file in order at offset " + covered);
            }
            MessageDigest d = sha256();
            d.update(chunk.bytes(), from, length);
            if (!HexFormat.of().formatHex(d.digest()).equals(s.sha256())) {
                throw new PgwardenException(org.pgwarden.common.ErrorCode.INTEGRITY_CHECKSUM, "slice at "
                        + s.fileOffset() + " in '" + s.ref().object() + "' does not match its checksum");
            }
            whole.update(chunk.bytes(), from, length);
            covered += length;
        }
        if (covered != e.size() || !HexFormat.of().formatHex(whole.digest()).equals(e.sha256())) {
            throw new PgwardenException(org.pgwarden.common.ErrorCode.INTEGRITY_CHECKSUM,
                    "the file's content does not match its checksum");
        }
        return covered;
    }

    /** A stored result still applies while the manifest is the one it was computed for. */
    private Optional<Outcome> previous(BackupLabel label, ObjectInfo manifest) {
        ObjectKey key = key(label);
        if (store.stat(key).isEmpty()) {
            return Optional.empty();
        }
        try (InputStream in = objects.open(key)) {
            JsonNode n = JSON.readTree(in.readAllBytes());
            if (n.path("manifestSize").asLong() != manifest.size() || !n.path("ok").asBoolean()) {
                return Optional.empty();
            }
            return Optional.of(new Outcome(label, true, true, n.path("files").asLong(), n.path("bytes").asLong(),
                    List.of()));
        } catch (IOException | PgwardenException e) {
            return Optional.empty();
        }
    }

    private void record(Outcome o, ObjectInfo manifest) {
        ObjectNode n = JSON.createObjectNode();
        n.put("label", o.label().toString());
        n.put("ok", o.ok());
        n.put("files", o.files());
        n.put("bytes", o.bytes());
        n.put("manifestSize", manifest.size());
        n.put("verifiedAt", clock.instant().toString());
        o.problems().forEach(n.putArray("problems")::add);
        try {
            objects.put(key(o.label()), new ByteArrayInputStream(JSON.writeValueAsBytes(n)));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static ObjectKey key(BackupLabel label) {
        return RepositoryLayout.verifyResult(label);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
