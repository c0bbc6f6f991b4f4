-- 0007: copies of a run's image kept in another repository (repro keep),
-- tagged so that a registry's garbage collection never deletes them. The
-- run's own record is unchanged; re-runs try the recorded image, then
-- each copy, always by the run's digest.
CREATE TABLE kept_copies (
    run_id     TEXT NOT NULL REFERENCES runs(id),
    repository TEXT NOT NULL,
    tag        TEXT NOT NULL,
    kept_at    TEXT NOT NULL,
    PRIMARY KEY (run_id, repository)
) WITHOUT ROWID;
