-- Finished job runs of every daemon that uses this control database, one row per run.
-- History only: restores never need it (the repository is the source of truth).
CREATE TABLE pgwarden.job_history (
    stanza      text        NOT NULL,
    run_id      text        NOT NULL,
    kind        text        NOT NULL,
    trigger     text        NOT NULL,
    status      text        NOT NULL,
    started_at  timestamptz NOT NULL,
    ended_at    timestamptz NOT NULL,
    error_code  text,
    bytes       bigint      NOT NULL DEFAULT 0,
    message     text        NOT NULL DEFAULT '',
    PRIMARY KEY (stanza, run_id)
);

CREATE INDEX job_history_recent ON pgwarden.job_history (stanza, started_at DESC);
