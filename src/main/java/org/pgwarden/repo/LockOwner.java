package org.pgwarden.repo;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Who holds a repository lock, as written into it: enough for an operator to find the process and
 * for pgwarden to tell a stale lock left by a dead process on this host.
 *
 * @param label     the backup being taken, when the holder is a backup
 * @param startedAt when the lock was taken
 * @param version   the holder's pgwarden version
 */
public record LockOwner(String host, long pid, Optional<BackupLabel> label, Instant startedAt, String version) {
    public LockOwner {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("lock owner host is missing");
        }
        ManifestRules.positive("lock owner pid", pid);
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(version, "version");
    }

    /** This process on this host, taking the lock now for {@code label}. */
    public static LockOwner thisProcess(BackupLabel label, Instant now, String version) {
        return new LockOwner(localHostName(), ProcessHandle.current().pid(), Optional.ofNullable(label), now, version);
    }

    /** The name this host goes by in locks; the same value on every call. */
    public static String localHostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            // The resolver may not know our own name; the kernel's is just as good for locks.
            String env = System.getenv("HOSTNAME");
            return env == null || env.isBlank() ? "localhost" : env;
        }
    }

    /** One line for messages: {@code host 'db1' pid 4242 for backup '…' since …, pgwarden 1.2.0}. */
    public String describe() {
        return "host '" + host + "' pid " + pid + label.map(l -> " for backup '" + l + "'").orElse("") + " since "
                + startedAt + ", pgwarden " + version;
    }
}
