-- 0010: who ran what. The user and host a run was launched by, read
-- from its context as columns that repro ls --user and --host find
-- through an index (a context is shared by many runs).
ALTER TABLE run_contexts ADD COLUMN host_user TEXT GENERATED ALWAYS AS (json_extract(body, '$.host.user')) VIRTUAL;
ALTER TABLE run_contexts ADD COLUMN host_name TEXT GENERATED ALWAYS AS (json_extract(body, '$.host.hostname')) VIRTUAL;
CREATE INDEX run_contexts_host_name ON run_contexts(host_name);
CREATE INDEX run_contexts_host_user ON run_contexts(host_user);
