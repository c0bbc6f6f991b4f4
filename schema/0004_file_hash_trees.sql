-- 0004: a dataset directory's state as a whole, beside its per-file hash
-- record: a digest of every file's path and stat data, and the directory's
-- version then, kept only while every file's digest is trusted. An
-- unchanged directory is then known by one walk and one small row, without
-- reading its record (8 MB for 100,000 files). A row of its own, so that
-- reading it never touches the record's pages.

CREATE TABLE file_hash_trees (
    root   TEXT PRIMARY KEY REFERENCES file_hashes (root) ON DELETE CASCADE,
    state  BLOB NOT NULL, -- sha256 of each file's path and stat data, in path order
    digest TEXT NOT NULL  -- the directory's version in that state
) WITHOUT ROWID;
