package org.pgwarden.restore;

import java.time.Instant;
import java.util.Locale;

/**
 * Where recovery stops. {@link #latest()} replays every archived WAL; {@link #immediate()} stops
 * as soon as the restored backup is consistent; the others stop at a time, an LSN, a transaction or
 * a named restore point.
 */
public sealed interface RecoveryTarget {

    /** The recovery settings PostgreSQL reads, without {@code recovery_target_action}. */
    String settings();

    /** A short description for messages. */
    String describe();

    record Latest() implements RecoveryTarget {
        public String settings() {
            return "";
        }

        public String describe() {
            return "the end of the archived WAL";
        }
    }

    record Immediate() implements RecoveryTarget {
        public String settings() {
            return "recovery_target = 'immediate'\n";
        }

        public String describe() {
            return "the end of the backup (consistency)";
        }
    }

    record Time(Instant at) implements RecoveryTarget {
        /** PostgreSQL's timestamp input, in UTC with microseconds: {@code 2026-11-24 08:15:00.123456+00}. */
        private static final java.time.format.DateTimeFormatter POSTGRES = java.time.format.DateTimeFormatter
                .ofPattern("uuuu-MM-dd HH:mm:ss.SSSSSS'+00'").withZone(java.time.ZoneOffset.UTC);

        public String settings() {
            return "recovery_target_time = '" + POSTGRES.format(at) + "'\n";
        }

        public String describe() {
            return "time " + at;
        }
    }

    record Lsn(org.pgwarden.pg.Lsn lsn) implements RecoveryTarget {
        public String settings() {
            return "recovery_target_lsn = '" + lsn + "'\n";
        }

        public String describe() {
            return "LSN " + lsn;
        }
    }

    record Xid(long xid) implements RecoveryTarget {
        public String settings() {
            return "recovery_target_xid = '" + xid + "'\n";
        }

        public String describe() {
            return "transaction " + xid;
        }
    }

    record Name(String name) implements RecoveryTarget {
        public Name {
            if (name.isBlank() || name.contains("'")) {
                throw new IllegalArgumentException("restore point name must not be empty or contain quotes");
            }
        }

        public String settings() {
            return "recovery_target_name = '" + name + "'\n";
        }

        public String describe() {
            return "restore point '" + name + "'";
        }
    }

    static RecoveryTarget latest() {
        return new Latest();
    }

    static RecoveryTarget immediate() {
        return new Immediate();
    }

    /** What PostgreSQL does when it reaches the target. */
    enum Action {
        PROMOTE, PAUSE, SHUTDOWN;

        public String setting() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
