-- 0003: how many runs used each image, kept as runs are recorded, so that
-- repro images answers from one row per image instead of counting every
-- run (about a second at a million runs).

CREATE TABLE image_usage (
    image_repo   TEXT NOT NULL,
    image_digest BLOB NOT NULL, -- as runs.image_digest stores it
    runs         INTEGER NOT NULL,
    last_started TEXT NOT NULL,
    PRIMARY KEY (image_repo, image_digest)
) WITHOUT ROWID;

INSERT INTO image_usage (image_repo, image_digest, runs, last_started)
SELECT c.image_repo, r.image_digest, count(*), max(r.started_at)
FROM runs r JOIN run_contexts c ON c.id = r.context
GROUP BY c.image_repo, r.image_digest;

CREATE TRIGGER runs_image_usage_insert AFTER INSERT ON runs BEGIN
    INSERT INTO image_usage (image_repo, image_digest, runs, last_started)
    VALUES ((SELECT image_repo FROM run_contexts WHERE id = NEW.context), NEW.image_digest, 1, NEW.started_at)
    ON CONFLICT (image_repo, image_digest) DO UPDATE
        SET runs = runs + 1, last_started = max(last_started, excluded.last_started);
END;

-- repro never deletes a run; a run deleted by hand (which repro verify
-- reports) is taken out of the count too.
CREATE TRIGGER runs_image_usage_delete AFTER DELETE ON runs BEGIN
    UPDATE image_usage SET runs = runs - 1
    WHERE image_repo = (SELECT image_repo FROM run_contexts WHERE id = OLD.context)
      AND image_digest = OLD.image_digest;
    DELETE FROM image_usage WHERE runs <= 0;
END;
