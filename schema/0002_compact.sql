-- 0002: a compact ledger, about a quarter of 0001's size per run.
--
-- * What repeats from run to run (image reference, code directory, branch,
--   remote, workdir, env, host, GPUs, engine, the engine command with the
--   run's own ID, digest, output directory and argv taken out) is stored
--   once, as one JSON row of run_contexts, and runs point at it.
-- * Digests are stored as their 32 bytes when they are sha256 (anything
--   else stays text), commits as their bytes when they are hex.
-- * datasets, outputs and labels point at runs by their integer key, not
--   their 32-character ID.
-- The Go side (runlog) reads and writes these shapes; the runs_view at the
-- end shows a run the way 0001 stored it, for people using sqlite3.

CREATE TABLE run_contexts (
    id         INTEGER PRIMARY KEY,
    image_repo TEXT NOT NULL,
    body       TEXT NOT NULL UNIQUE -- JSON; see runlog's runContext
);

-- A digest or commit column holds bytes for sha256 digests and hex
-- commits, text otherwise, '' when empty.
CREATE TABLE runs_v2 (
    seq                INTEGER PRIMARY KEY,
    id                 TEXT NOT NULL UNIQUE CHECK (length(id) = 32),
    name               TEXT,
    status             TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted', 'lost')),
    exit_code          INTEGER,
    signal             TEXT NOT NULL DEFAULT '',
    oom_killed         INTEGER NOT NULL DEFAULT 0,
    error              TEXT NOT NULL DEFAULT '',
    context            INTEGER NOT NULL REFERENCES run_contexts(id),
    image_digest       BLOB NOT NULL,
    image_index_digest BLOB NOT NULL DEFAULT '',
    code_commit        BLOB NOT NULL DEFAULT '',
    code_dirty         INTEGER NOT NULL DEFAULT 0,
    code_changed       TEXT NOT NULL DEFAULT '[]',
    code_tree          TEXT NOT NULL DEFAULT '',
    code_patch         TEXT NOT NULL DEFAULT '',
    argv               TEXT NOT NULL,
    outputs_digest     BLOB NOT NULL DEFAULT '',
    metrics            TEXT NOT NULL DEFAULT '{}',
    started_at         TEXT NOT NULL,
    finished_at        TEXT,
    rerun_of           TEXT REFERENCES runs_v2(id) DEFERRABLE INITIALLY DEFERRED,
    legacy             TEXT -- runs copied from 0001 only: {"engine_command", "out_dir"}, which their context leaves out
);

CREATE TABLE datasets_v2 (
    run    INTEGER NOT NULL REFERENCES runs_v2(seq) ON DELETE CASCADE,
    name   TEXT NOT NULL,
    path   TEXT NOT NULL,
    kind   TEXT NOT NULL CHECK (kind IN ('dir', 'file')),
    digest BLOB NOT NULL,
    files  INTEGER NOT NULL,
    bytes  INTEGER NOT NULL,
    PRIMARY KEY (run, name)
) WITHOUT ROWID;

CREATE TABLE outputs_v2 (
    run    INTEGER NOT NULL REFERENCES runs_v2(seq) ON DELETE CASCADE,
    path   TEXT NOT NULL,
    digest BLOB NOT NULL,
    bytes  INTEGER NOT NULL,
    PRIMARY KEY (run, path)
) WITHOUT ROWID;

CREATE TABLE run_labels_v2 (
    run   INTEGER NOT NULL REFERENCES runs_v2(seq) ON DELETE CASCADE,
    key   TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (run, key)
) WITHOUT ROWID;

-- The chain names each run by the 16 bytes of its ID, so that a run
-- deleted behind repro's back can still be named.
CREATE TABLE chain_v2 (
    seq    INTEGER PRIMARY KEY,
    run_id BLOB NOT NULL,
    prev   BLOB NOT NULL,
    hash   BLOB NOT NULL
);

-- Copy 0001's rows. A 0001 run's engine command and output directory
-- (its own ID, digest and paths in them) stay with the run, in legacy,
-- so that runs launched the same way share a context here too.
INSERT OR IGNORE INTO run_contexts (image_repo, body)
SELECT image_repo, json_object(
    'image', image, 'image_repo', image_repo, 'image_tag', image_tag,
    'image_config_digest', image_config_digest, 'image_platform', image_platform,
    'code_dir', code_dir, 'code_branch', code_branch, 'code_remote', code_remote,
    'code_mount', json(iif(code_mount, 'true', 'false')),
    'workdir', workdir, 'env', json(env), 'out_dir', '', 'memory', memory, 'gpu_request', gpu_request,
    'host', json_object('user', host_user, 'hostname', host_name, 'os', host_os, 'arch', host_arch, 'gpus', json(gpus)),
    'engine', json_object('name', engine, 'version', engine_version, 'command', json('[]')),
    'repro_version', repro_version)
FROM runs ORDER BY started_at, id;

INSERT INTO runs_v2 (id, name, status, exit_code, signal, oom_killed, error, context,
    image_digest, image_index_digest, code_commit, code_dirty, code_changed, code_tree, code_patch,
    argv, outputs_digest, metrics, started_at, finished_at, rerun_of, legacy)
SELECT r.id, r.name, r.status, r.exit_code, r.signal, r.oom_killed, r.error, c.id,
    iif(r.image_digest GLOB 'sha256:*' AND length(r.image_digest) = 71 AND NOT substr(r.image_digest, 8) GLOB '*[^0-9a-f]*', unhex(substr(r.image_digest, 8)), r.image_digest),
    iif(r.image_index_digest GLOB 'sha256:*' AND length(r.image_index_digest) = 71 AND NOT substr(r.image_index_digest, 8) GLOB '*[^0-9a-f]*', unhex(substr(r.image_index_digest, 8)), r.image_index_digest),
    iif(length(r.code_commit) IN (40, 64) AND NOT r.code_commit GLOB '*[^0-9a-f]*', unhex(r.code_commit), r.code_commit),
    r.code_dirty, r.code_changed, r.code_tree, r.code_patch, r.argv,
    iif(r.outputs_digest GLOB 'sha256:*' AND length(r.outputs_digest) = 71 AND NOT substr(r.outputs_digest, 8) GLOB '*[^0-9a-f]*', unhex(substr(r.outputs_digest, 8)), r.outputs_digest),
    r.metrics, r.started_at, r.finished_at, r.rerun_of,
    json_object('engine_command', json(r.engine_command), 'out_dir', r.out_dir)
FROM runs r JOIN run_contexts c ON c.body = json_object(
    'image', r.image, 'image_repo', r.image_repo, 'image_tag', r.image_tag,
    'image_config_digest', r.image_config_digest, 'image_platform', r.image_platform,
    'code_dir', r.code_dir, 'code_branch', r.code_branch, 'code_remote', r.code_remote,
    'code_mount', json(iif(r.code_mount, 'true', 'false')),
    'workdir', r.workdir, 'env', json(r.env), 'out_dir', '', 'memory', r.memory, 'gpu_request', r.gpu_request,
    'host', json_object('user', r.host_user, 'hostname', r.host_name, 'os', r.host_os, 'arch', r.host_arch, 'gpus', json(r.gpus)),
    'engine', json_object('name', r.engine, 'version', r.engine_version, 'command', json('[]')),
    'repro_version', r.repro_version)
ORDER BY r.started_at, r.id;

INSERT INTO datasets_v2 (run, name, path, kind, digest, files, bytes)
SELECT n.seq, d.name, d.path, d.kind,
    iif(d.digest GLOB 'sha256:*' AND length(d.digest) = 71 AND NOT substr(d.digest, 8) GLOB '*[^0-9a-f]*', unhex(substr(d.digest, 8)), d.digest),
    d.files, d.bytes
FROM datasets d JOIN runs_v2 n ON n.id = d.run_id;

INSERT INTO outputs_v2 (run, path, digest, bytes)
SELECT n.seq, o.path,
    iif(o.digest GLOB 'sha256:*' AND length(o.digest) = 71 AND NOT substr(o.digest, 8) GLOB '*[^0-9a-f]*', unhex(substr(o.digest, 8)), o.digest),
    o.bytes
FROM outputs o JOIN runs_v2 n ON n.id = o.run_id;

INSERT INTO run_labels_v2 (run, key, value)
SELECT n.seq, l.key, l.value FROM run_labels l JOIN runs_v2 n ON n.id = l.run_id;

INSERT INTO chain_v2 (seq, run_id, prev, hash)
SELECT c.seq, unhex(c.run_id),
    iif(c.prev GLOB 'sha256:*' AND length(c.prev) = 71 AND NOT substr(c.prev, 8) GLOB '*[^0-9a-f]*', unhex(substr(c.prev, 8)), c.prev),
    iif(c.hash GLOB 'sha256:*' AND length(c.hash) = 71 AND NOT substr(c.hash, 8) GLOB '*[^0-9a-f]*', unhex(substr(c.hash, 8)), c.hash)
FROM chain c;

DROP TABLE chain;
DROP TABLE run_labels;
DROP TABLE outputs;
DROP TABLE datasets;
DROP TABLE runs;
ALTER TABLE runs_v2 RENAME TO runs;
ALTER TABLE datasets_v2 RENAME TO datasets;
ALTER TABLE outputs_v2 RENAME TO outputs;
ALTER TABLE run_labels_v2 RENAME TO run_labels;
ALTER TABLE chain_v2 RENAME TO chain;

CREATE INDEX runs_started_at ON runs(started_at);
CREATE INDEX runs_image_digest ON runs(image_digest, started_at);
CREATE INDEX runs_image_index_digest ON runs(image_index_digest, started_at) WHERE image_index_digest != '';
CREATE INDEX runs_code_commit ON runs(code_commit, started_at);
CREATE INDEX runs_outputs_digest ON runs(outputs_digest) WHERE outputs_digest != '';
CREATE INDEX runs_name ON runs(name, started_at) WHERE name IS NOT NULL;
CREATE INDEX runs_rerun_of ON runs(rerun_of) WHERE rerun_of IS NOT NULL;
CREATE INDEX runs_running ON runs(status) WHERE status = 'running';
CREATE INDEX datasets_digest ON datasets(digest);
CREATE INDEX datasets_name ON datasets(name);
CREATE INDEX outputs_digest ON outputs(digest);
CREATE INDEX run_labels_kv ON run_labels(key, value);

-- A digest as text, the way repro prints it.
CREATE VIEW runs_view AS
SELECT r.seq, r.id, r.name, r.status, r.exit_code, r.signal, r.oom_killed, r.error,
    c.image_repo, json_extract(c.body, '$.image') AS image, json_extract(c.body, '$.image_tag') AS image_tag,
    iif(typeof(r.image_digest) = 'blob', 'sha256:' || lower(hex(r.image_digest)), r.image_digest) AS image_digest,
    iif(typeof(r.code_commit) = 'blob', lower(hex(r.code_commit)), r.code_commit) AS code_commit,
    r.code_dirty, r.argv,
    iif(typeof(r.outputs_digest) = 'blob', 'sha256:' || lower(hex(r.outputs_digest)), r.outputs_digest) AS outputs_digest,
    r.metrics, r.started_at, r.finished_at, r.rerun_of, c.body AS context
FROM runs r JOIN run_contexts c ON c.id = r.context;
