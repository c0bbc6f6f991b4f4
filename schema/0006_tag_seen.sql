-- 0006: tag_events holds a row only when a tag's target changes. Seeing
-- a tag at the digest it already points at (each run's resolve, a push
-- of the same image) updates when it was last seen and how often.
ALTER TABLE tag_events ADD COLUMN last_seen TEXT NOT NULL DEFAULT '';
ALTER TABLE tag_events ADD COLUMN seen INTEGER NOT NULL DEFAULT 1;

-- Rows written before: each run of rows of one tag at one digest is
-- folded into its first row.
CREATE TEMP TABLE tag_runs AS
SELECT id, at, first_value(id) OVER (PARTITION BY repository, tag, grp ORDER BY at, id) AS keep
FROM (
    SELECT id, repository, tag, at,
        sum(changed) OVER (PARTITION BY repository, tag ORDER BY at, id ROWS UNBOUNDED PRECEDING) AS grp
    FROM (
        SELECT id, repository, tag, at,
            CASE WHEN lag(digest) OVER (PARTITION BY repository, tag ORDER BY at, id) = digest THEN 0 ELSE 1 END AS changed
        FROM tag_events
    )
);
CREATE TEMP TABLE tag_keep AS SELECT keep AS id, count(*) AS seen, max(at) AS last_seen FROM tag_runs GROUP BY keep;
CREATE UNIQUE INDEX temp.tag_keep_id ON tag_keep(id);
UPDATE tag_events SET seen = k.seen, last_seen = k.last_seen FROM tag_keep k WHERE k.id = tag_events.id;
DELETE FROM tag_events WHERE id NOT IN (SELECT id FROM tag_keep);
DROP TABLE tag_runs;
DROP TABLE tag_keep;
