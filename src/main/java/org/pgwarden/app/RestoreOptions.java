package org.pgwarden.app;

import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.WalFetchConfig.WalSource;
import org.pgwarden.pg.Lsn;
import org.pgwarden.repo.BackupLabel;
import org.pgwarden.restore.RecoveryTarget;

/**
 * A restore's options as text, read the same way for {@code pgwarden restore} and for the daemon's
 * {@code restore} job kind; errors name the option as the caller wrote it ({@code --target-lsn}
 * or {@code parameter 'target-lsn' of job kind 'restore'}).
 *
 * @param target       {@code immediate} or {@code latest}
 * @param tablespaces  {@code OLD=NEW}, absolute paths
 * @param walSource    {@code fetch} or {@code prestage}; null for the configured default
 */
record RestoreOptions(String set, String targetTime, String targetLsn, String targetXid, String targetName,
        String target, String targetAction, String targetTimeline, List<String> tablespaces, String walSource) {

    /** The names of the options with a value, as both the command line and the job kind spell them. */
    static final List<String> NAMES = List.of("set", "target-time", "target-lsn", "target-xid", "target-name", "target",
            "target-action", "target-timeline", "tablespace-map", "wal-source");

    /** From the job kind's parameters; {@code tablespace-map} holds several mappings separated by commas. */
    static RestoreOptions of(Map<String, String> p) {
        String map = p.get("tablespace-map");
        return new RestoreOptions(p.get("set"), p.get("target-time"), p.get("target-lsn"), p.get("target-xid"),
                p.get("target-name"), p.get("target"), p.getOrDefault("target-action", "pause"),
                p.get("target-timeline"), map == null || map.isBlank() ? List.of() : List.of(map.split(",")),
                p.get("wal-source"));
    }

    /** The job kind's parameters for these options (those given only). */
    Map<String, String> parameters() {
        Map<String, String> p = new LinkedHashMap<>();
        put(p, "set", set);
        put(p, "target-time", targetTime);
        put(p, "target-lsn", targetLsn);
        put(p, "target-xid", targetXid);
        put(p, "target-name", targetName);
        put(p, "target", target);
        put(p, "target-action", targetAction);
        put(p, "target-timeline", targetTimeline);
        if (!tablespaces.isEmpty()) {
            p.put("tablespace-map", String.join(",", tablespaces));
        }
        put(p, "wal-source", walSource);
        return p;
    }

    private static void put(Map<String, String> p, String key, String value) {
        if (value != null) {
            p.put(key, value);
        }
    }

    /** Every option read and checked. */
    record Parsed(Optional<BackupLabel> label, RecoveryTarget target, RecoveryTarget.Action action,
            Map<Path, Path> tablespaces, WalSource walSource) {
    }

    /** Reads every option, failing on the first bad one; {@code configured} is the default WAL source. */
    Parsed parse(WalSource configured, UnaryOperator<String> name) {
        RecoveryTarget t = recoveryTarget(name);
        return new Parsed(label(name), t, action(name), tablespaceMap(name), walSource(configured, name));
    }

    /** The backup asked for; empty for {@code latest} or none (chosen from the target). */
    Optional<BackupLabel> label(UnaryOperator<String> name) {
        if (set == null || set.equals("latest")) {
            return Optional.empty();
        }
        try {
            return Optional.of(BackupLabel.parse(set));
        } catch (RuntimeException e) {
            throw usage(name.apply("set") + " '" + set + "' is not a backup label or 'latest'");
        }
    }

    RecoveryTarget recoveryTarget(UnaryOperator<String> name) {
        int given = (targetTime != null ? 1 : 0) + (targetLsn != null ? 1 : 0) + (targetXid != null ? 1 : 0)
                + (targetName != null ? 1 : 0) + (target != null ? 1 : 0);
        if (given > 1) {
            throw usage("give at most one of " + String.join(", ", List.of(name.apply("target-time"),
                    name.apply("target-lsn"), name.apply("target-xid"), name.apply("target-name"), name.apply("target"))));
        }
        if (targetTime != null) {
            try {
                return new RecoveryTarget.Time(Instant.parse(targetTime));
            } catch (DateTimeParseException e) {
                throw usage(name.apply("target-time") + " '" + targetTime
                        + "' is not an ISO-8601 time such as 2026-11-24T08:15:00Z");
            }
        }
        if (targetLsn != null) {
            try {
                return new RecoveryTarget.Lsn(Lsn.parse(targetLsn));
            } catch (IllegalArgumentException e) {
                throw usage(name.apply("target-lsn") + " '" + targetLsn + "' is not a WAL position such as 0/5000028");
            }
        }
        if (targetXid != null) {
            try {
                return new RecoveryTarget.Xid(Long.parseLong(targetXid));
            } catch (NumberFormatException e) {
                throw usage(name.apply("target-xid") + " '" + targetXid + "' is not a transaction id");
            }
        }
        if (targetName != null) {
            return new RecoveryTarget.Name(targetName);
        }
        if (target == null || target.equals("latest")) {
            return RecoveryTarget.latest();
        }
        if (target.equals("immediate")) {
            return RecoveryTarget.immediate();
        }
        throw usage(name.apply("target") + " '" + target + "' is not immediate or latest");
    }

    RecoveryTarget.Action action(UnaryOperator<String> name) {
        return switch (targetAction) {
            case "promote" -> RecoveryTarget.Action.PROMOTE;
            case "pause" -> RecoveryTarget.Action.PAUSE;
            case "shutdown" -> RecoveryTarget.Action.SHUTDOWN;
            default -> throw usage(name.apply("target-action") + " '" + targetAction
                    + "' is not promote, pause or shutdown");
        };
    }

    Optional<String> timeline() {
        return Optional.ofNullable(targetTimeline);
    }

    Map<Path, Path> tablespaceMap(UnaryOperator<String> name) {
        Map<Path, Path> map = new LinkedHashMap<>();
        for (String m : tablespaces) {
            int eq = m.indexOf('=');
            if (eq <= 0 || !m.substring(0, eq).startsWith("/") || !m.substring(eq + 1).startsWith("/")) {
                throw usage(name.apply("tablespace-map") + " '" + m + "' is not /old/path=/new/path");
            }
            map.put(Path.of(m.substring(0, eq)), Path.of(m.substring(eq + 1)));
        }
        return map;
    }

    WalSource walSource(WalSource configured, UnaryOperator<String> name) {
        try {
            return walSource == null ? configured : WalSource.parse(walSource);
        } catch (IllegalArgumentException e) {
            throw usage(name.apply("wal-source") + " " + e.getMessage());
        }
    }

    static PgwardenException usage(String message) {
        return new PgwardenException(ErrorCode.USAGE, message);
    }
}
