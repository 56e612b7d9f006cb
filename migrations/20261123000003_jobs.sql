-- The background job queue. Workers claim jobs with FOR UPDATE SKIP LOCKED and hold them under a
-- lease; a worker that dies lets its lease run out and the job is claimed again. Failed attempts
-- are retried with backoff until max_attempts, then the job is dead (kept, with its last error).
CREATE TABLE jobs (
    id            uuid PRIMARY KEY,
    kind          text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]*$'),
    payload       jsonb NOT NULL DEFAULT '{}',
    -- At most one live (queued or running) job per key: enqueueing the same work twice is a
    -- no-op, so enqueueing can sit inside any transaction without care.
    dedupe_key    text,
    status        text NOT NULL DEFAULT 'queued'
                  CHECK (status IN ('queued', 'running', 'succeeded', 'dead')),
    attempts      integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts  integer NOT NULL DEFAULT 5 CHECK (max_attempts > 0),
    run_at        timestamptz NOT NULL DEFAULT now(),
    locked_by     text,
    locked_until  timestamptz,
    last_error    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    CHECK ((status = 'running') = (locked_until IS NOT NULL))
);
CREATE UNIQUE INDEX jobs_live_dedupe_key_idx ON jobs (dedupe_key) WHERE status IN ('queued', 'running');
CREATE INDEX jobs_queued_idx ON jobs (kind, run_at) WHERE status = 'queued';
CREATE INDEX jobs_running_lease_idx ON jobs (locked_until) WHERE status = 'running';
