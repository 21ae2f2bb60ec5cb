package org.pgwarden.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Optional;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;

/**
 * The pause switch as a file ({@code daemon.stop-file}): while it exists the daemon starts no new
 * job. A file is what runbooks need when nothing else works: {@code pgwarden pause} and
 * {@code resume} only need the configuration file, not the daemon or its API, and a plain
 * {@code touch} of the path pauses too. The content (reason, since, by) is informative; a file
 * that cannot be parsed still pauses.
 */
final class StopFile {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Reasons are shown in logs and /health; a runaway paste must not flood them. */
    static final int MAX_REASON = 500;

    /** A pause in force. */
    record Pause(String reason, Instant since, String by) {
        String describe() {
            return "'" + reason + "' since " + since + (by.isEmpty() ? "" : " by " + by);
        }
    }

    private final Path path;

    StopFile(Path path) {
        this.path = path;
    }

    Path path() {
        return path;
    }

    /** The pause in force, if the file exists; never throws for a malformed or vanishing file. */
    Optional<Pause> read() {
        byte[] content;
        Instant modified;
        try {
            modified = Files.getLastModifiedTime(path).toInstant();
            content = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            // Present but unreadable still means someone asked for a pause.
            return Files.exists(path) ? Optional.of(new Pause("stop file present (unreadable: " + e.getMessage() + ")",
                    Instant.EPOCH, "")) : Optional.empty();
        }
        try {
            JsonNode n = JSON.readTree(content);
            if (n != null && n.isObject()) {
                String reason = text(n, "reason");
                Instant since = n.hasNonNull("since") ? Instant.parse(n.get("since").asText()) : modified;
                return Optional.of(new Pause(reason.isEmpty() ? "stop file present" : reason, since, text(n, "by")));
            }
        } catch (IOException | RuntimeException e) {
            // Not ours (e.g. written by hand): the file's presence is what counts.
        }
        String text = new String(content, StandardCharsets.UTF_8).strip();
        return Optional.of(new Pause(text.isEmpty() ? "stop file present" : truncate(text), modified, ""));
    }

    /**
     * Creates the file unless a pause is already in force (which is kept, so that repeating a
     * runbook step changes nothing); returns the pause in force and whether this call created it.
     */
    Created create(String reason, Instant now, String by) {
        Optional<Pause> existing = read();
        if (existing.isPresent()) {
            return new Created(existing.get(), false);
        }
        Pause p = new Pause(truncate(reason == null || reason.isBlank() ? "paused by operator" : reason.strip()), now,
                by);
        ObjectNode n = JSON.createObjectNode().put("reason", p.reason()).put("since", p.since().toString())
                .put("by", p.by());
        Path dir = path.toAbsolutePath().getParent();
        try {
            Path tmp = Files.createTempFile(dir, ".pgwarden-stop", ".tmp");
            try {
                Files.write(tmp, (n.toString() + "\n").getBytes(StandardCharsets.UTF_8));
                try {
                    Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.USAGE, "unable to create the stop file '" + path + "': " + e,
                    "the directory must exist and be writable by this user (daemon.stop-file; the shipped unit"
                            + " creates /var/lib/pgwarden for the postgres user: run as that user)", e);
        }
        return new Created(p, true);
    }

    /** The outcome of {@link #create}. */
    record Created(Pause pause, boolean created) {
    }

    /** Removes the file; the pause that was in force, if any. */
    Optional<Pause> remove() {
        Optional<Pause> was = read();
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.USAGE, "unable to remove the stop file '" + path + "': " + e,
                    "run as the daemon's user (daemon.stop-file)", e);
        }
        return was;
    }

    private static String text(JsonNode n, String key) {
        return n.hasNonNull(key) ? truncate(n.get(key).asText().strip()) : "";
    }

    private static String truncate(String s) {
        return s.length() <= MAX_REASON ? s : s.substring(0, MAX_REASON) + "…";
    }
}
