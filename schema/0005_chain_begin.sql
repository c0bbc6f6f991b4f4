-- 0005: a run is chained when it is first recorded, not only when it
-- finishes, and the chain's head is signed with its writer's key.
--
-- kind 'begin' links hash the run as it was recorded (running); 'end'
-- links, as before, hash it finished. Every link before this migration
-- is an 'end' link.
ALTER TABLE chain ADD COLUMN kind TEXT NOT NULL DEFAULT 'end' CHECK (kind IN ('begin', 'end'));
CREATE INDEX chain_run ON chain(run_id, kind);

-- Where begin links start, and the runs a repro older than this left
-- running: they have no begin link, and are the only runs that may be
-- finished without one.
CREATE TABLE chain_meta (
    begin_links_after INTEGER NOT NULL
);
INSERT INTO chain_meta (begin_links_after) SELECT coalesce(max(seq), 0) FROM chain;
CREATE TABLE chain_legacy_running (
    run_id BLOB PRIMARY KEY
) WITHOUT ROWID;
INSERT INTO chain_legacy_running (run_id) SELECT unhex(id) FROM runs WHERE status = 'running';

-- The head each key last signed: ed25519 over "repro chain head v1",
-- the head's position and its hash. Keys live outside the ledger; a
-- public key stored here is only a hint of whose signature it is.
CREATE TABLE chain_signatures (
    key_id     TEXT PRIMARY KEY,
    public_key BLOB NOT NULL,
    seq        INTEGER NOT NULL,
    hash       BLOB NOT NULL,
    signature  BLOB NOT NULL,
    signed_at  TEXT NOT NULL
);
