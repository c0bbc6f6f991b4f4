package runlog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Tag event actions.
const (
	ActionPush    = "push"    // repro build pushed the tag
	ActionPromote = "promote" // repro promote moved the tag
	ActionResolve = "resolve" // repro run saw the tag point at the digest
)

// Image is an image repro built (or ran) and the facts about its making.
type Image struct {
	Digest       string            `json:"digest"`
	Repository   string            `json:"repository"`
	MediaType    string            `json:"media_type,omitempty"`
	Labels       map[string]string `json:"labels"`
	BaseName     string            `json:"base_name,omitempty"`
	BaseDigest   string            `json:"base_digest,omitempty"`
	SourceCommit string            `json:"source_commit,omitempty"`
	Created      string            `json:"created,omitempty"`
	RecordedAt   time.Time         `json:"recorded_at"`
}

// TagEvent says that a tag pointed at a digest from a moment on.
type TagEvent struct {
	Repository string    `json:"repository"`
	Tag        string    `json:"tag"`
	Digest     string    `json:"digest"`
	Action     string    `json:"action"`
	At         time.Time `json:"at"`        // when the tag moved to Digest
	LastSeen   time.Time `json:"last_seen"` // when it was last seen there
	Seen       int64     `json:"seen"`      // how many times it was seen there
}

// tagNowSQL selects the event that says where a repository's tag points
// now (id, digest): the latest.
const tagNowSQL = `SELECT id, digest FROM tag_events WHERE repository = ? AND tag = ? ORDER BY at DESC, id DESC LIMIT 1`

// RecordImage stores an image (if img is not nil) and tag events in one
// transaction. Events with a zero time get the ledger's clock.
func (l *Ledger) RecordImage(ctx context.Context, img *Image, events []TagEvent) error {
	now := l.stamp()
	return l.write(ctx, func(tx *txn) error {
		if img != nil {
			labels := js(img.Labels, "{}")
			if _, err := tx.ExecContext(ctx, `INSERT INTO images (digest, repository, media_type, labels, base_name, base_digest, source_commit, created, recorded_at)
				VALUES (?,?,?,?,?,?,?,?,?)
				ON CONFLICT(digest) DO UPDATE SET labels = excluded.labels, base_name = excluded.base_name,
					base_digest = excluded.base_digest, source_commit = excluded.source_commit, created = excluded.created,
					media_type = excluded.media_type`,
				img.Digest, img.Repository, img.MediaType, labels, img.BaseName, img.BaseDigest, img.SourceCommit, img.Created, now); err != nil {
				return err
			}
		}
		// A row when a tag moves; seeing it where it already points
		// only counts.
		for _, e := range events {
			at := now
			if !e.At.IsZero() {
				at = e.At.UTC().Format(TimeFormat)
			}
			var (
				id     int64
				digest string
			)
			err := tx.QueryRowContext(ctx, tagNowSQL, e.Repository, e.Tag).Scan(&id, &digest)
			switch {
			case err == nil && digest == e.Digest:
				_, err = tx.ExecContext(ctx, `UPDATE tag_events SET seen = seen + 1, last_seen = `+tx.b.greatest("last_seen", "?")+` WHERE id = ?`, at, id)
			case err == nil || errors.Is(err, sql.ErrNoRows):
				_, err = tx.ExecContext(ctx, `INSERT INTO tag_events (repository, tag, digest, action, at, last_seen) VALUES (?,?,?,?,?,?)`,
					e.Repository, e.Tag, e.Digest, e.Action, at, at)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// GetImage returns the recorded image with this digest, or nil.
func (l *Ledger) GetImage(ctx context.Context, digest string) (*Image, error) {
	if l.db == nil {
		return nil, nil
	}
	var (
		img           Image
		labels, recAt string
	)
	err := l.db.QueryRowContext(ctx, `SELECT digest, repository, media_type, labels, base_name, base_digest, source_commit, created, recorded_at FROM images WHERE digest = ?`, digest).
		Scan(&img.Digest, &img.Repository, &img.MediaType, &labels, &img.BaseName, &img.BaseDigest, &img.SourceCommit, &img.Created, &recAt)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, explain(err)
	}
	if err := json.Unmarshal([]byte(labels), &img.Labels); err != nil {
		return nil, fmt.Errorf("image %s: damaged labels: %w", digest, err)
	}
	img.RecordedAt, _ = time.Parse(TimeFormat, recAt)
	return &img, nil
}

// TagHistory returns the tag events of a repository (of one tag if tag is
// not empty), oldest first. With a non-zero at, it returns for each tag
// only the event in force at that moment.
func (l *Ledger) TagHistory(ctx context.Context, repository, tag string, at time.Time) ([]TagEvent, error) {
	if l.db == nil {
		return []TagEvent{}, nil
	}
	cond, args := "repository = ?", []any{repository}
	if tag != "" {
		cond, args = cond+" AND tag = ?", append(args, tag)
	}
	q := "SELECT repository, tag, digest, action, at, last_seen, seen FROM tag_events WHERE " + cond
	if !at.IsZero() {
		// The latest event at or before the moment, per tag.
		args = append(args, at.UTC().Format(TimeFormat))
		q = `SELECT repository, tag, digest, action, at, last_seen, seen FROM (
			SELECT *, row_number() OVER (PARTITION BY tag ORDER BY at DESC, id DESC) AS n
			FROM tag_events WHERE ` + cond + ` AND at <= ?) AS latest WHERE n = 1`
	}
	q += ` ORDER BY at, tag`
	rows, err := l.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, explain(err)
	}
	defer rows.Close()
	events := []TagEvent{}
	for rows.Next() {
		var e TagEvent
		var when, seen string
		if err := rows.Scan(&e.Repository, &e.Tag, &e.Digest, &e.Action, &when, &seen, &e.Seen); err != nil {
			return nil, err
		}
		if e.At, err = time.Parse(TimeFormat, when); err != nil {
			return nil, fmt.Errorf("tag event %s:%s: %w", e.Repository, e.Tag, err)
		}
		if e.LastSeen, err = time.Parse(TimeFormat, seen); err != nil {
			return nil, fmt.Errorf("tag event %s:%s: last seen: %w", e.Repository, e.Tag, err)
		}
		events = append(events, e)
	}
	return events, rows.Err()
}
