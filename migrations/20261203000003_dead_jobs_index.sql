-- `/metrics` counts dead jobs per kind on every scrape; without an index that read would scan
-- every job ever run (succeeded ones are kept). Dead jobs are few, so the index stays small.
CREATE INDEX jobs_dead_idx ON jobs (kind) WHERE status = 'dead';
