package queue

// The conversion of a plaintext store to an encrypted one, in place (docs/ENCRYPTION.md).
// Every step leaves a store that opens and reads whole, whenever the process is killed:
//
//  1. EnableEncryption: data key, slots and state 'converting' in one transaction. Before it
//     commits the store is plaintext and untouched; after it, reads accept plaintext and
//     encrypted blobs alike, and new writes are encrypted.
//  2. Secret settings sealed, in one transaction.
//  3. Each plaintext blob re-written encrypted under the same name: a temporary file,
//     fsynced, renamed over the old one (atomic), the folder fsynced. A blob is old or new,
//     never half; leftovers in blobs/tmp are removed.
//  4. The database's free pages and WAL, which may still hold an old plaintext value, are
//     wiped: secure_delete is on, VACUUM rewrites the file, a TRUNCATE checkpoint empties
//     the WAL. (SQLite makes VACUUM atomic.)
//  5. State 'on' in one transaction: from then on a plaintext blob file is damage.
//
// Any step run again does nothing it has done before, so the conversion resumes where a
// crash stopped it (the next sign-in of an administrator calls ConvertToEncrypted again).

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// ConvertProgress is reported during a conversion: Done of Total blobs so far.
type ConvertProgress struct {
	Done, Total int
}

// ConvertToEncrypted converts what a store in state converting still holds in plaintext
// (the steps above) and sets it on. The store must be unlocked (EnableEncryption, or an
// administrator signed in). progress may be nil; it is called from this goroutine. A store
// that is on already, or plaintext (EnableEncryption comes first), returns nil at once.
func (s *Store) ConvertToEncrypted(ctx context.Context, progress func(ConvertProgress)) error {
	st, err := s.EncryptionState(ctx)
	if err != nil || st != EncryptionConverting {
		return err
	}
	key, err := s.dataKey()
	if err != nil {
		return err
	}
	// 2. Secret settings, personal columns, the search index (cells.go).
	_, wasBlind, err := s.encryptionFlags(ctx)
	if err != nil {
		return err
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		if err := s.sealDatabaseTx(tx, key); err != nil {
			return err
		}
		for k := range SecretSettings {
			v, err := settingTx(tx, k)
			if err != nil {
				return err
			}
			if v == "" || len(v) >= len(sealedPrefix) && v[:len(sealedPrefix)] == sealedPrefix {
				continue
			}
			sealed, err := sealSetting(key, k, v)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(`UPDATE settings SET value = ? WHERE key = ?`, sealed, k); err != nil {
				return err
			}
		}
		// Blind tokens from now on: set before the commit, while this transaction holds the
		// only write connection, so that no other write indexes a plain body in between.
		s.cells.setState(true, true)
		return nil
	})
	if err != nil {
		s.cells.setState(true, wasBlind)
		return fmt.Errorf("seal database: %w", err)
	}
	// 3. Blobs.
	if err := s.Blobs.clearTmp(); err != nil {
		return err
	}
	names, err := s.Blobs.plainBlobs()
	if err != nil {
		return err
	}
	for i, h := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.Blobs.encryptInPlace(h, key); err != nil {
			return err
		}
		if progress != nil {
			progress(ConvertProgress{Done: i + 1, Total: len(names)})
		}
	}
	if progress != nil && len(names) == 0 {
		progress(ConvertProgress{})
	}
	// 4. Wipe old pages.
	if _, err := s.w.ExecContext(ctx, `VACUUM`); err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	if _, err := s.w.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	// 5. On.
	err = s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.Exec(`UPDATE store_encryption SET state = 'on', finished_at = ? WHERE id = 1`, s.stamp()); err != nil {
			return err
		}
		return s.audit(tx, "system", "store.encrypt", "store", fmt.Sprintf("state=on blobs=%d", len(names)))
	})
	if err != nil {
		return err
	}
	s.Blobs.setSealed(true)
	return nil
}

// clearTmp removes what a crashed write left in the temporary folder (possibly plaintext).
func (b *BlobStore) clearTmp() error {
	dir := filepath.Join(b.dir, "tmp")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("blob temp folder: %w", err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("blob temp folder: %w", err)
		}
	}
	return nil
}

// plainBlobs lists the blob files that are not encrypted, in name order.
func (b *BlobStore) plainBlobs() ([]string, error) {
	var out []string
	err := b.eachBlob(func(h, path string) error {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		head := make([]byte, len(blobMagic))
		n, _ := f.Read(head)
		f.Close()
		if !isEncryptedBlob(head[:n]) {
			out = append(out, h)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// eachBlob calls fn for every blob file (named by a valid hash in its fan-out folder).
func (b *BlobStore) eachBlob(fn func(h, path string) error) error {
	dirs, err := os.ReadDir(b.dir)
	if err != nil {
		return fmt.Errorf("blob folder: %w", err)
	}
	for _, d := range dirs {
		if !d.IsDir() || !isFanOut(d.Name()) {
			continue
		}
		sub := filepath.Join(b.dir, d.Name())
		files, err := os.ReadDir(sub)
		if err != nil {
			return fmt.Errorf("blob folder: %w", err)
		}
		for _, f := range files {
			if !f.Type().IsRegular() || !validHash(f.Name()) || f.Name()[:2] != d.Name() {
				continue
			}
			if err := fn(f.Name(), filepath.Join(sub, f.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// encryptInPlace re-writes plaintext blob h encrypted (atomically, by rename). A plaintext
// file that does not match its name is left as it is: it is damage the audit reports, and
// encrypting it would hide that (once the store is on, it reads as ErrBlobCorrupt).
func (b *BlobStore) encryptInPlace(h string, key *[32]byte) error {
	data, err := os.ReadFile(b.Path(h))
	if err != nil {
		return err
	}
	if isEncryptedBlob(data) || HashBytes(data) != h {
		return nil
	}
	return b.put(h, data, key, true, nil)
}
