package queue

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"time"
)

// Orphan blobs. A blob is written before the row that names it (durability order), so a crash
// between the two leaves a blob no row names: a page image, or a signed PDF, which holds
// personal data. SweepBlobs removes them once they are older than OrphanGrace by their file
// time, and never a blob that a page (working or original image), a signed document or a
// stored batch manifest names.
//
// Why the grace period makes this safe: every row that names a blob is committed right after
// the blob was stored by BlobStore.Put (seconds, in the same operation), and Put gives an
// existing file a fresh time when it is asked to store the same bytes again. So a blob whose
// time is older than the grace period is not on its way to any row, in this process or in
// another one; one younger than it is left alone, as are temporary files being written now
// (tmp/, removed only once older than the grace period too). The reference is checked again
// in the database, and the file time again, just before each removal.
//
// When: Open runs the sweep at most once a day (the time of the last complete sweep is the
// time of the blob folder's .swept file), and only while the audit anchor agrees with the
// database: a store whose history is in doubt keeps every file as evidence. The sweep also
// makes every blob file 0600.

// OrphanGrace is how old (by file time) an unreferenced blob or temporary file must be before
// the sweep removes it.
const OrphanGrace = 24 * time.Hour

const (
	sweepEvery  = 24 * time.Hour
	sweepMarker = ".swept"
)

// SweepResult counts what a sweep saw and did.
type SweepResult struct {
	Blobs       int // blob files seen
	Referenced  int // kept: named by a row
	Young       int // kept: unreferenced but younger than the grace period
	Removed     int // unreferenced and older than the grace period
	TempRemoved int // temporary files older than the grace period
	ModeFixed   int // files made 0600
}

// ErrSweepAnchor: the sweep did not run because the audit anchor does not agree with the
// database (see CheckAudit).
var ErrSweepAnchor = errors.New("blob sweep skipped: the audit anchor does not agree with the database")

// maybeSweep runs SweepBlobs from Open when the last one is a day old. Failures only mean
// orphans wait for the next one.
func (s *Store) maybeSweep(ctx context.Context) {
	marker := filepath.Join(s.Blobs.dir, sweepMarker)
	fixMode(marker, 0o600)
	if st, err := os.Stat(marker); err == nil && time.Since(st.ModTime()) < sweepEvery {
		return
	}
	if _, err := s.SweepBlobs(ctx, OrphanGrace); err != nil {
		return
	}
	if f, err := os.OpenFile(marker, os.O_CREATE|os.O_WRONLY, 0o600); err == nil {
		f.Close()
		now := time.Now()
		os.Chtimes(marker, now, now)
	}
}

// referencedBlobs is the set of blob hashes some row names.
func (s *Store) referencedBlobs(ctx context.Context) (map[string]bool, error) {
	return referencedBlobsIn(ctx, s.r)
}

// referencedBlobsIn is referencedBlobs of the database db (the store's, or a backup copy's).
func referencedBlobsIn(ctx context.Context, db querier) (map[string]bool, error) {
	ref := map[string]bool{}
	rows, err := db.QueryContext(ctx, blobRefQuery)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			rows.Close()
			return nil, err
		}
		ref[h] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = db.QueryContext(ctx, `SELECT manifest FROM batch_manifests`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, err
		}
		var m struct {
			Documents []struct {
				PDF   string `json:"pdf_sha256"`
				Pages []struct {
					SHA256 string `json:"sha256"`
				} `json:"pages"`
			} `json:"documents"`
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, errors.New("blob sweep: a stored manifest does not parse; keeping every blob")
		}
		for _, d := range m.Documents {
			ref[d.PDF] = true
			for _, p := range d.Pages {
				ref[p.SHA256] = true
			}
		}
	}
	return ref, rows.Err()
}

// stillReferenced asks the database again about one blob, just before it is removed.
func (s *Store) stillReferenced(ctx context.Context, h string) (bool, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM pages WHERE blob_sha256 = ?1 OR original_sha256 = ?1) +
		(SELECT count(*) FROM signed_documents WHERE pdf_sha256 = ?1) +
		(SELECT count(*) FROM batch_manifests WHERE instr(CAST(manifest AS TEXT), ?1) > 0)`, h).Scan(&n)
	return n > 0, err
}

// SweepBlobs removes unreferenced blob files and temporary files older than grace (by file
// time), and makes every blob file 0600. It refuses (ErrSweepAnchor) while the audit anchor
// does not agree with the database.
func (s *Store) SweepBlobs(ctx context.Context, grace time.Duration) (SweepResult, error) {
	var res SweepResult
	if err := s.anchorAgrees(ctx); err != nil {
		return res, err
	}
	ref, err := s.referencedBlobs(ctx)
	if err != nil {
		return res, err
	}
	cutoff := time.Now().Add(-grace)
	fans, err := os.ReadDir(s.Blobs.dir)
	if err != nil {
		return res, err
	}
	for _, fan := range fans {
		if !fan.IsDir() || !isFanOut(fan.Name()) {
			continue
		}
		sub := filepath.Join(s.Blobs.dir, fan.Name())
		files, err := os.ReadDir(sub)
		if err != nil {
			return res, err
		}
		for _, f := range files {
			if err := ctx.Err(); err != nil {
				return res, err
			}
			h := f.Name()
			if f.IsDir() || !validHash(h) || h[:2] != fan.Name() {
				continue
			}
			path := filepath.Join(sub, h)
			info, err := f.Info()
			if err != nil {
				continue // removed meanwhile
			}
			res.Blobs++
			if info.Mode().Perm() != 0o600 {
				if fixMode(path, 0o600) == nil {
					res.ModeFixed++
				}
			}
			if ref[h] {
				res.Referenced++
				continue
			}
			if !info.ModTime().Before(cutoff) {
				res.Young++
				continue
			}
			if again, err := s.stillReferenced(ctx, h); err != nil {
				return res, err
			} else if again {
				res.Referenced++
				continue
			}
			if st, err := os.Stat(path); err != nil || !st.ModTime().Before(cutoff) {
				res.Young++
				continue
			}
			if err := os.Remove(path); err == nil {
				res.Removed++
			}
		}
	}
	tmp := filepath.Join(s.Blobs.dir, "tmp")
	if entries, err := os.ReadDir(tmp); err == nil {
		for _, e := range entries {
			if info, err := e.Info(); err == nil && info.ModTime().Before(cutoff) {
				if os.Remove(filepath.Join(tmp, e.Name())) == nil {
					res.TempRemoved++
				}
			}
		}
	}
	return res, nil
}

// anchorAgrees is nil when the head file verifies and names an event of the database's chain.
func (s *Store) anchorAgrees(ctx context.Context) error {
	if s.key == nil {
		return ErrSweepAnchor
	}
	s.anchor.flush()
	h, err := s.key.readHead(s.dir)
	if err != nil {
		return ErrSweepAnchor
	}
	if err := s.CheckAuditHead(ctx, AuditHead{Seq: h.Seq, Hash: h.Hash}); err != nil {
		return ErrSweepAnchor
	}
	return nil
}
