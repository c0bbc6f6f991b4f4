-- 0009: runs a scheduler ran (repro run --on slurm): which scheduler,
-- the arguments it was given, its job ID once submitted, and where and
-- how the job ended. The run's status, exit code and error, which the
-- chain covers, say how the run ended; this is the scheduler's own view.
CREATE TABLE run_jobs (
    run_id    TEXT PRIMARY KEY REFERENCES runs(id),
    scheduler TEXT NOT NULL,
    job_id    TEXT NOT NULL DEFAULT '',
    args      TEXT NOT NULL DEFAULT '[]',
    node      TEXT NOT NULL DEFAULT '',
    state     TEXT NOT NULL DEFAULT '',
    reason    TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
