-- 0001: runs, their datasets and outputs; images built or run; tag events.
-- Times are UTC text, fixed width (2006-01-02T15:04:05.000000000Z), so
-- they sort as text and read as themselves in the sqlite3 shell.

CREATE TABLE schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
);

CREATE TABLE runs (
    id                  TEXT PRIMARY KEY CHECK (length(id) = 32),
    name                TEXT,                       -- optional, not unique: a name means its newest run
    status              TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted', 'lost')),
    exit_code           INTEGER,
    signal              TEXT NOT NULL DEFAULT '',
    oom_killed          INTEGER NOT NULL DEFAULT 0,
    error               TEXT NOT NULL DEFAULT '',

    image               TEXT NOT NULL,          -- the reference as the user gave it
    image_repo          TEXT NOT NULL,
    image_tag           TEXT NOT NULL DEFAULT '',
    image_digest        TEXT NOT NULL,          -- the pullable manifest digest that ran
    image_index_digest  TEXT NOT NULL DEFAULT '',
    image_config_digest TEXT NOT NULL DEFAULT '',
    image_platform      TEXT NOT NULL DEFAULT '',

    code_dir            TEXT NOT NULL DEFAULT '',
    code_commit         TEXT NOT NULL DEFAULT '',
    code_branch         TEXT NOT NULL DEFAULT '',
    code_remote         TEXT NOT NULL DEFAULT '',
    code_dirty          INTEGER NOT NULL DEFAULT 0,
    code_changed        TEXT NOT NULL DEFAULT '[]', -- JSON array of paths
    code_mount          INTEGER NOT NULL DEFAULT 1,
    code_tree           TEXT NOT NULL DEFAULT '',   -- git tree of the dirty work tree (tracked + untracked, not ignored)
    code_patch          TEXT NOT NULL DEFAULT '',   -- sha256 of the binary patch HEAD -> code_tree, in blobs

    argv                TEXT NOT NULL,          -- JSON array
    workdir             TEXT NOT NULL DEFAULT '',
    env                 TEXT NOT NULL DEFAULT '[]', -- JSON [{name, value, secret}]; secrets have no value
    out_dir             TEXT NOT NULL DEFAULT '',
    memory              TEXT NOT NULL DEFAULT '',  -- the container's memory limit, as docker --memory
    gpu_request         TEXT NOT NULL DEFAULT '',  -- the GPUs asked for, as docker --gpus
    outputs_digest      TEXT NOT NULL DEFAULT '',
    metrics             TEXT NOT NULL DEFAULT '{}', -- JSON object: the numbers in the run's /out/metrics.json

    host_user           TEXT NOT NULL DEFAULT '',
    host_name           TEXT NOT NULL DEFAULT '',
    host_os             TEXT NOT NULL DEFAULT '',
    host_arch           TEXT NOT NULL DEFAULT '',
    gpus                TEXT NOT NULL DEFAULT '[]', -- JSON [{model, driver}]
    engine              TEXT NOT NULL DEFAULT '',
    engine_version      TEXT NOT NULL DEFAULT '',
    engine_command      TEXT NOT NULL DEFAULT '[]', -- JSON array: the exact engine argv
    repro_version       TEXT NOT NULL DEFAULT '',

    started_at          TEXT NOT NULL,
    finished_at         TEXT,
    rerun_of            TEXT REFERENCES runs(id)
);
CREATE INDEX runs_started_at ON runs(started_at);
CREATE INDEX runs_image_digest ON runs(image_digest, started_at);
CREATE INDEX runs_image_index_digest ON runs(image_index_digest, started_at) WHERE image_index_digest != '';
CREATE INDEX runs_code_commit ON runs(code_commit, started_at);
CREATE INDEX runs_outputs_digest ON runs(outputs_digest) WHERE outputs_digest != '';
CREATE INDEX runs_name ON runs(name, started_at) WHERE name IS NOT NULL;
CREATE INDEX runs_rerun_of ON runs(rerun_of) WHERE rerun_of IS NOT NULL;
CREATE INDEX runs_running ON runs(status) WHERE status = 'running';

CREATE TABLE datasets (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    name   TEXT NOT NULL,
    path   TEXT NOT NULL,
    kind   TEXT NOT NULL CHECK (kind IN ('dir', 'file')),
    digest TEXT NOT NULL,
    files  INTEGER NOT NULL,
    bytes  INTEGER NOT NULL,
    PRIMARY KEY (run_id, name)
) WITHOUT ROWID;
CREATE INDEX datasets_digest ON datasets(digest, run_id);
CREATE INDEX datasets_name ON datasets(name, run_id);

CREATE TABLE outputs (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    path   TEXT NOT NULL,
    digest TEXT NOT NULL,
    bytes  INTEGER NOT NULL,
    PRIMARY KEY (run_id, path)
) WITHOUT ROWID;
CREATE INDEX outputs_digest ON outputs(digest);

CREATE TABLE run_labels (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key    TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
CREATE INDEX run_labels_kv ON run_labels(key, value);

CREATE TABLE images (
    digest        TEXT PRIMARY KEY,
    repository    TEXT NOT NULL,
    media_type    TEXT NOT NULL DEFAULT '',
    labels        TEXT NOT NULL DEFAULT '{}', -- JSON object
    base_name     TEXT NOT NULL DEFAULT '',
    base_digest   TEXT NOT NULL DEFAULT '',
    source_commit TEXT NOT NULL DEFAULT '',
    created       TEXT NOT NULL DEFAULT '',
    recorded_at   TEXT NOT NULL
);
CREATE INDEX images_repository ON images(repository);

CREATE TABLE tag_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    repository TEXT NOT NULL,
    tag        TEXT NOT NULL,
    digest     TEXT NOT NULL,
    action     TEXT NOT NULL CHECK (action IN ('push', 'promote', 'resolve')),
    at         TEXT NOT NULL
);
CREATE INDEX tag_events_lookup ON tag_events(repository, tag, at);
CREATE INDEX tag_events_digest ON tag_events(digest);

-- Tamper evidence: each finished run, in the order runs finished, with a
-- hash over the previous hash and the run's canonical encoding.
CREATE TABLE chain (
    seq    INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL UNIQUE REFERENCES runs(id),
    prev   TEXT NOT NULL,
    hash   TEXT NOT NULL
);

-- Content-addressed, gzip-compressed bytes: the patches of dirty runs and
-- the sha256sum listings of dataset versions (for per-file diffs).
CREATE TABLE blobs (
    digest TEXT PRIMARY KEY,
    kind   TEXT NOT NULL CHECK (kind IN ('patch', 'listing')),
    size   INTEGER NOT NULL,
    data   BLOB NOT NULL
);

-- The data hash cache: a file whose size, mtime, ctime, inode and device
-- are what they were when it was hashed (and that had been still for a
-- while then) is not read again. One compact record per dataset directory
-- (provenance encodes it), so a warm look-up is one row, not one per file.
CREATE TABLE file_hashes (
    root       TEXT PRIMARY KEY,   -- the dataset directory, absolute
    data       BLOB NOT NULL,
    updated_at TEXT NOT NULL
);
