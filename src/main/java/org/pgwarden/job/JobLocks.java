package org.pgwarden.job;

/**
 * Lock names shared by jobs of different features, so that features need not import each other to
 * agree on one. The {@link JobRunner} never runs two jobs with the same lock name at once.
 */
public final class JobLocks {
    /**
     * Everything that writes backups into the repository or removes them: backups of every type
     * and expire. They also take the repository's own lock; this one makes a due job wait or skip
     * in the daemon instead of failing on that lock.
     */
    public static final String REPOSITORY_WRITE = "backup";

    private JobLocks() {
    }
}
