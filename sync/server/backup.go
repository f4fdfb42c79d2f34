package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/sohoa/sohoa/internal/durable"
	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/sync/store"
)

// Backup of the central server's SQLite default (issue 13 item 5): `sohoa-central backup DEST`
// while the server runs. The backup folder holds central.db (SQLite's online backup API: one
// consistent state), every blob the copy's committed batches name (read and hash-checked
// through the blob store), the receipt key and TLS files, and backup.json with every file's
// size and SHA-256; written under a temporary name, fsynced, renamed last. The field data key
// (DataKeyFile) is NOT in it: that key is kept apart from the database on purpose, so back it
// up apart (restore keeps the one in the data folder). PostgreSQL: pg_dump
// (sync/README.md).
//
// `sohoa-central restore SRC` (server stopped: refused while a sohoa-central process holds the
// data folder's lock) checks the backup in a folder beside the data
// folder before it replaces anything — every file against the manifest, every blob against its
// hash, PRAGMA integrity_check, every blob a committed batch names present — then renames the
// data folder aside (DATA.before-restore-TIME) and the checked copy into its place.

// CentralBackupManifest is backup.json of a central backup.
type CentralBackupManifest struct {
	Format    string              `json:"format"`
	CreatedAt string              `json:"created_at"`
	Database  CentralBackupFile   `json:"database"`
	Files     []CentralBackupFile `json:"files"`
	Blobs     []CentralBackupFile `json:"blobs"` // Name is the SHA-256
}

// CentralBackupFile is one file of a central backup.
type CentralBackupFile struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

const (
	centralBackupFormat   = "sohoa-central-backup/1"
	centralBackupManifest = "backup.json"
	maxBackupBlob         = 1 << 34
)

// backupKeyFiles are the data folder's files a backup carries (when present).
var backupKeyFiles = []string{ReceiptKeyFile, TLSCertFile, TLSKeyFile}

// ErrBackupDamaged: a central backup does not match its manifest or fails a check.
var ErrBackupDamaged = errors.New("central backup damaged")

// ErrDataDirInUse: restore refused, a sohoa-central process has the data folder open
// (LockDataDir).
var ErrDataDirInUse = errors.New("central data folder in use")

func backupDamaged(file string) error {
	return &l10n.Error{Key: "queue.backup.fileDamaged", Args: l10n.Args{"File": file}, Kind: ErrBackupDamaged}
}

// Backup writes a backup of the central SQLite store and its blobs into dest (must not exist).
//
// keys is the blob store's key provider when blobs is an encrypted store (OpenBlobs with a
// data key): the backup's blobs are then written encrypted under the same keys, never as
// plaintext; nil for a plain store.
func Backup(ctx context.Context, st store.Store, blobs store.BlobStore, keys store.KeyProvider, dataDir, dest string) (CentralBackupManifest, error) {
	m := CentralBackupManifest{Format: centralBackupFormat, CreatedAt: time.Now().UTC().Format(time.RFC3339Nano)}
	dest = filepath.Clean(dest)
	if _, err := os.Lstat(dest); err == nil {
		return m, l10n.New("queue.backup.destExists", l10n.Args{"Dir": dest})
	}
	parent := filepath.Dir(dest)
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return m, err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dest)+".partial-")
	if err != nil {
		return m, err
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	for _, name := range backupKeyFiles {
		f, err := copyFileChecked(filepath.Join(dataDir, name), filepath.Join(tmp, name), nil)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return m, err
		}
		m.Files = append(m.Files, f)
	}
	dbPath := filepath.Join(tmp, CentralDBFile)
	sums, err := store.BackupSQLite(ctx, st, dbPath)
	if err != nil {
		return m, err
	}
	if m.Database, err = hashOf(dbPath, CentralDBFile); err != nil {
		return m, err
	}
	dst, err := backupBlobs(ctx, filepath.Join(tmp, "blobs"), keys)
	if err != nil {
		return m, err
	}
	for _, sum := range sums {
		r, err := blobs.Open(ctx, sum)
		if err != nil {
			return m, l10n.Wrap(err, "queue.backup.blobUnreadable", l10n.Args{"Hash": short(sum)})
		}
		n, err := dst.Put(ctx, sum, r, maxBackupBlob)
		r.Close()
		if err != nil {
			return m, l10n.Wrap(err, "queue.backup.blobUnreadable", l10n.Args{"Hash": short(sum)})
		}
		m.Blobs = append(m.Blobs, CentralBackupFile{Name: sum, Size: n, SHA256: sum})
	}
	if err := writeManifest(tmp, m); err != nil {
		return m, err
	}
	if err := os.Rename(tmp, dest); err != nil {
		return m, err
	}
	done = true
	return m, durable.SyncDir(parent)
}

func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12]
	}
	return sum
}

func writeManifest(dir string, m CentralBackupManifest) error {
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	p := filepath.Join(dir, centralBackupManifest)
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(append(raw, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return durable.SyncDir(dir)
}

func hashOf(path, name string) (CentralBackupFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return CentralBackupFile{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return CentralBackupFile{Name: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, err
}

// copyFileChecked copies src to dst (0600, fsynced); with want, it fails unless the copy
// matches it. It returns what it copied.
func copyFileChecked(src, dst string, want *CentralBackupFile) (CentralBackupFile, error) {
	name := filepath.Base(dst)
	in, err := os.Open(src)
	if err != nil {
		if want != nil && errors.Is(err, os.ErrNotExist) {
			return CentralBackupFile{}, backupDamaged(want.Name)
		}
		return CentralBackupFile{}, err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return CentralBackupFile{}, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	got := CentralBackupFile{Name: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}
	if err != nil {
		return got, err
	}
	if want != nil && (got.Size != want.Size || got.SHA256 != want.SHA256) {
		return got, backupDamaged(want.Name)
	}
	return got, nil
}

// readCentralManifest reads a central backup's manifest.
func readCentralManifest(src string) (CentralBackupManifest, error) {
	var m CentralBackupManifest
	raw, err := os.ReadFile(filepath.Join(src, centralBackupManifest))
	if errors.Is(err, os.ErrNotExist) {
		return m, &l10n.Error{Key: "queue.backup.notABackup", Args: l10n.Args{"Dir": src, "File": centralBackupManifest}, Kind: ErrBackupDamaged}
	}
	if err != nil {
		return m, err
	}
	if json.Unmarshal(raw, &m) != nil || m.Format != centralBackupFormat || m.Database.Name != CentralDBFile {
		return m, &l10n.Error{Key: "queue.backup.manifestDamaged", Args: l10n.Args{"File": centralBackupManifest}, Kind: ErrBackupDamaged}
	}
	for _, f := range m.Files {
		if f.Name != ReceiptKeyFile && f.Name != TLSCertFile && f.Name != TLSKeyFile {
			return m, &l10n.Error{Key: "queue.backup.manifestDamaged", Args: l10n.Args{"File": centralBackupManifest}, Kind: ErrBackupDamaged}
		}
	}
	return m, nil
}

// CheckCentralBackup checks a central backup as RestoreCentral does, restoring nothing.
// keys decrypts an encrypted backup's blobs (the data key's BlobKeys); nil for a plain one.
func CheckCentralBackup(ctx context.Context, src string, keys store.KeyProvider) (CentralBackupManifest, error) {
	stage, err := os.MkdirTemp("", "sohoa-central-check-")
	if err != nil {
		return CentralBackupManifest{}, err
	}
	defer os.RemoveAll(stage)
	return stageCentral(ctx, src, filepath.Join(stage, "data"), "", keys)
}

// RestoreCentral replaces the central data folder dataDir (server stopped) with the backup in
// src, after checking it completely beside dataDir; it returns where the old folder was put
// ("" when there was none). The old folder's data key is carried into the new one.
// keys is as for CheckCentralBackup.
func RestoreCentral(ctx context.Context, src, dataDir string, keys store.KeyProvider) (CentralBackupManifest, string, error) {
	dataDir = filepath.Clean(dataDir)
	parent := filepath.Dir(dataDir)
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return CentralBackupManifest{}, "", err
	}
	stage, err := os.MkdirTemp(parent, "."+filepath.Base(dataDir)+".restore-")
	if err != nil {
		return CentralBackupManifest{}, "", err
	}
	cleanup := true
	defer func() {
		if cleanup {
			os.RemoveAll(stage)
		}
	}()
	dir := filepath.Join(stage, "data")
	m, err := stageCentral(ctx, src, dir, dataDir, keys)
	if err != nil {
		return m, "", l10n.Wrap(err, "queue.restore.refused")
	}
	previous := ""
	if _, err := os.Lstat(dataDir); err == nil {
		lock, err := LockDataDir(dataDir, true)
		if err != nil {
			return m, "", l10n.Wrap(err, "queue.restore.refused")
		}
		defer lock.Close()
		previous = fmt.Sprintf("%s.before-restore-%s", dataDir, time.Now().UTC().Format("20060102T150405Z"))
		if err := os.Rename(dataDir, previous); err != nil {
			return m, "", l10n.Wrap(err, "queue.restore.refused")
		}
	}
	if err := os.Rename(dir, dataDir); err != nil {
		if previous != "" {
			if rerr := os.Rename(previous, dataDir); rerr != nil {
				cleanup = false
				return m, previous, l10n.Wrap(err, "queue.restore.swapFailed", l10n.Args{"Previous": previous, "Staged": dir})
			}
		}
		return m, "", l10n.Wrap(err, "queue.restore.refused")
	}
	return m, previous, durable.SyncDir(parent)
}

// stageCentral copies and checks the backup src into dir; keyFrom, when set, is the data
// folder whose data key the copy keeps.
func stageCentral(ctx context.Context, src, dir, keyFrom string, keys store.KeyProvider) (CentralBackupManifest, error) {
	m, err := readCentralManifest(src)
	if err != nil {
		return m, err
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		return m, err
	}
	if _, err := copyFileChecked(filepath.Join(src, CentralDBFile), filepath.Join(dir, CentralDBFile), &m.Database); err != nil {
		return m, err
	}
	for i := range m.Files {
		f := m.Files[i]
		if _, err := copyFileChecked(filepath.Join(src, f.Name), filepath.Join(dir, f.Name), &f); err != nil {
			return m, err
		}
	}
	if keyFrom != "" {
		if _, err := copyFileChecked(filepath.Join(keyFrom, DataKeyFile), filepath.Join(dir, DataKeyFile), nil); err != nil && !errors.Is(err, os.ErrNotExist) {
			return m, err
		}
	}
	rawFrom := store.OpenLocalBlobsReadOnly(filepath.Join(src, "blobs"))
	format, _, err := rawFrom.Format(ctx)
	if err != nil {
		return m, err
	}
	var from store.BlobStore = rawFrom
	sealed := format == store.FormatSealedV1
	if sealed {
		if keys == nil {
			return m, &l10n.Error{Key: "queue.backup.needsKey", Kind: ErrBackupDamaged}
		}
		from = store.NewEncryptedBlobs(rawFrom, keys)
	}
	var toKeys store.KeyProvider
	if sealed {
		toKeys = keys
	}
	to, err := backupBlobs(ctx, filepath.Join(dir, "blobs"), toKeys)
	if err != nil {
		return m, err
	}
	for _, b := range m.Blobs {
		if err := ctx.Err(); err != nil {
			return m, err
		}
		r, err := from.Open(ctx, b.SHA256)
		if err != nil {
			return m, &l10n.Error{Key: "queue.backup.blobDamaged", Args: l10n.Args{"Hash": short(b.SHA256)}, Err: err, Kind: ErrBackupDamaged}
		}
		_, err = to.Put(ctx, b.SHA256, r, maxBackupBlob)
		r.Close()
		if err != nil {
			return m, &l10n.Error{Key: "queue.backup.blobDamaged", Args: l10n.Args{"Hash": short(b.SHA256)}, Err: err, Kind: ErrBackupDamaged}
		}
	}
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, CentralDBFile))
	if err != nil {
		return m, &l10n.Error{Key: "queue.backup.cannotOpen", Err: err, Kind: ErrBackupDamaged}
	}
	defer st.Close()
	if err := store.IntegrityCheck(ctx, st); err != nil {
		return m, &l10n.Error{Key: "queue.backup.integrity", Err: err, Kind: ErrBackupDamaged}
	}
	sums, err := store.CommittedBlobs(ctx, st)
	if err != nil {
		return m, &l10n.Error{Key: "queue.backup.integrity", Err: err, Kind: ErrBackupDamaged}
	}
	for _, sum := range sums {
		if ok, err := to.Has(ctx, sum); err != nil || !ok {
			return m, &l10n.Error{Key: "queue.backup.blobDamaged", Args: l10n.Args{"Hash": short(sum)}, Err: store.ErrNotFound, Kind: ErrBackupDamaged}
		}
	}
	return m, durable.SyncDir(dir)
}

// backupBlobs opens a backup's (or a restore's) blob folder: encrypted under keys (and
// marked so) when keys is set, else plain (and marked plain, so a server opening the
// restored folder keeps it plain rather than guessing).
func backupBlobs(ctx context.Context, dir string, keys store.KeyProvider) (store.BlobStore, error) {
	lb, err := store.NewLocalBlobs(dir)
	if err != nil {
		return nil, err
	}
	format := store.FormatPlain
	if keys != nil {
		format = store.FormatSealedV1
	}
	if err := lb.SetFormat(ctx, format); err != nil {
		return nil, err
	}
	if keys == nil {
		return lb, nil
	}
	return store.NewEncryptedBlobs(lb, keys), nil
}
