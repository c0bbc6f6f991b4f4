-- 0008: runs imported from an attestation (repro import) rather than
-- recorded here: who signed it (a key ID, or 'unsigned' when imported
-- with --allow-unsigned) and where it came from.
CREATE TABLE imported_runs (
    run_id      TEXT PRIMARY KEY REFERENCES runs(id),
    signer      TEXT NOT NULL,
    source      TEXT NOT NULL,
    imported_at TEXT NOT NULL
) WITHOUT ROWID;
