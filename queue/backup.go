package queue

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/sohoa/sohoa/internal/durable"
	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/internal/sqlitedb"
)

// Backup and restore of a workstation's data folder (issue 13 item 5).
//
// A backup is a folder with four things: the database (BackupDBFile, a copy made with
// SQLite's online backup API, so it is one consistent state even while another process or
// goroutine writes), the audit key and signed head file (anchor.go), the blobs every row of
// that copy names (read through BlobStore.Get, written through BlobStore.Put, so they are
// checked against their hashes on the way and follow whatever the blob store does with
// its files), and a manifest (BackupManifestFile) with each file's size and SHA-256. Every
// file and folder is fsynced, the folder is written under a temporary name and renamed to
// its name last: a backup folder that exists under its name is complete.
//
// Order, and why the copy is consistent: the head file is read first, then the database is
// copied. The head file only ever names an event that was committed before it was written
// (Store.write), so the copied database holds the anchored event: the rule of anchor.go (the
// database at or ahead of its anchor) holds in the copy. Blobs are written before the rows
// that name them (blobs.go), so every blob a copied row names exists when the copy is taken;
// the blob sweep removes only blobs no row names and older than a day, which a row of the
// copy named a moment ago is not.
//
// Restore copies a backup into a new folder beside the data folder, opens it there and checks
// it — SQLite's integrity check, every blob a row names present and matching its hash, the
// audit chain, its seals and the signed head (CheckAudit) — and only then swaps folders: the
// data folder is renamed aside (DATA.before-restore-TIME, kept for the user to delete), the
// checked copy renamed into its place. A refused backup replaces nothing.

// Files of a backup folder.
const (
	BackupManifestFile = "backup.json"
	BackupDBFile       = DBFile
	backupFormat       = "sohoa-backup/1"
)

// BackupFile is one file of a backup: its name in the backup folder, size and SHA-256.
type BackupFile struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// BackupBlob is one blob of a backup.
type BackupBlob struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	// Stored is the SHA-256 of the file as stored when the store is encrypted: the backup
	// holds the ciphertext (never the plaintext), checked against this without the data key;
	// the data key (in the copied database's key slots) authenticates it on first read.
	Stored string `json:"stored_sha256,omitempty"`
}

// BackupManifest describes a backup folder (BackupManifestFile). It holds hashes and counts,
// no field value.
type BackupManifest struct {
	Format    string      `json:"format"`
	CreatedAt string      `json:"created_at"`
	Database  BackupFile  `json:"database"`
	AuditKey  *BackupFile `json:"audit_key,omitempty"`
	AuditHead *BackupFile `json:"audit_head,omitempty"`
	// Anchored is the event the copied head file names; Head the newest event of the copied
	// database (at or after Anchored).
	Anchored AuditHead    `json:"anchored"`
	Head     AuditHead    `json:"head"`
	Batches  int          `json:"batches"`
	Pages    int          `json:"pages"`
	Blobs    []BackupBlob `json:"blobs"`
}

// errInUse: a store is open on the data folder.
var errInUse = &l10n.Error{Key: "queue.restore.inUse", Kind: ErrDataFolderInUse}

// Errors of backup and restore.
var (
	ErrDataFolderInUse   = errors.New("data folder in use")
	ErrBackupExists      = errors.New("backup destination exists")
	ErrNotABackup        = errors.New("not a SoHoa backup")
	ErrBackupDamaged     = errors.New("backup damaged")
	ErrRestoreIncomplete = errors.New("restore incomplete")
)

// blobRefQuery names every blob a row refers to directly; stored manifests are read apart.
const blobRefQuery = `SELECT blob_sha256 FROM pages UNION SELECT original_sha256 FROM pages
		UNION SELECT pdf_sha256 FROM signed_documents`

// afterBackupDB, when set (tests), runs between the database copy and the blob copy.
var afterBackupDB func()

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Backup writes a consistent copy of the store into dest, a folder that must not exist yet,
// while the store stays in use, and records it in the audit log (after the copy: the event
// is not in it). Administrators only (the copy holds every record). It returns the manifest
// it wrote.
func (s *Store) Backup(ctx context.Context, actor User, dest string) (BackupManifest, error) {
	var m BackupManifest
	if err := Require(actor, ActionManageSettings); err != nil {
		return m, err
	}
	dest = filepath.Clean(dest)
	if _, err := os.Lstat(dest); err == nil {
		return m, &l10n.Error{Key: "queue.backup.destExists", Args: l10n.Args{"Dir": dest}, Kind: ErrBackupExists}
	} else if !errors.Is(err, os.ErrNotExist) {
		return m, err
	}
	parent := filepath.Dir(dest)
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return m, fmt.Errorf("backup folder: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dest)+".partial-")
	if err != nil {
		return m, fmt.Errorf("backup folder: %w", err)
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	m = BackupManifest{Format: backupFormat, CreatedAt: s.stamp()}

	// 1. The anchor's files, before the database (see above).
	s.anchor.flush()
	if m.AuditKey, err = copySmallFile(filepath.Join(s.dir, AuditKeyFile), tmp); err != nil {
		return m, err
	}
	if m.AuditHead, err = copySmallFile(filepath.Join(s.dir, AuditHeadFile), tmp); err != nil {
		return m, err
	}
	if m.AuditHead != nil && s.key != nil {
		h, err := s.key.readHead(tmp)
		if err != nil {
			return m, err
		}
		m.Anchored = AuditHead{Seq: h.Seq, Hash: h.Hash}
	}

	// 2. The database, through the online backup API, then what the copy names.
	dbPath := filepath.Join(tmp, BackupDBFile)
	refs, err := s.backupDB(ctx, dbPath, &m)
	if err != nil {
		return m, err
	}
	if m.Database, err = hashFile(dbPath, BackupDBFile, true); err != nil {
		return m, err
	}
	if afterBackupDB != nil {
		afterBackupDB()
	}

	// 3. The blobs, checked against their hashes as they are read.
	dst, err := NewBlobStore(filepath.Join(tmp, "blobs"))
	if err != nil {
		return m, err
	}
	dirs := map[string]bool{dst.dir: true}
	for _, h := range refs {
		if err := ctx.Err(); err != nil {
			return m, err
		}
		data, err := s.Blobs.Get(h) // decrypted and checked against its hash
		if err != nil {
			return m, l10n.Wrap(err, "queue.backup.blobUnreadable", l10n.Args{"Hash": h[:12]})
		}
		bb := BackupBlob{SHA256: h, Size: int64(len(data))}
		if s.Blobs.Encrypted() {
			// An encrypted store's backup carries the blob as stored: what was just
			// authenticated, never its plaintext.
			raw, err := os.ReadFile(s.Blobs.Path(h))
			if err != nil || !isEncryptedBlob(raw) {
				return m, l10n.Wrap(errors.Join(err, ErrBlobCorrupt), "queue.backup.blobUnreadable", l10n.Args{"Hash": h[:12]})
			}
			bb.Stored = HashBytes(raw)
			err = dst.putStored(h, raw, dirs)
			clear(data)
			if err != nil {
				return m, err
			}
		} else if err := dst.put(h, data, nil, false, dirs); err != nil {
			return m, err
		}
		m.Blobs = append(m.Blobs, bb)
	}
	if err := syncDirs(dirs); err != nil {
		return m, err
	}

	// 4. The manifest, then the folder under its name.
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return m, err
	}
	mf, err := writeTemp(tmp, ".backup-*", append(raw, '\n'))
	if err != nil {
		return m, err
	}
	if err := os.Rename(mf, filepath.Join(tmp, BackupManifestFile)); err != nil {
		return m, err
	}
	if err := durable.SyncDir(tmp); err != nil {
		return m, err
	}
	if err := os.Rename(tmp, dest); err != nil {
		return m, fmt.Errorf("backup folder: %w", err)
	}
	done = true
	if err := durable.SyncDir(parent); err != nil {
		return m, err
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		return s.audit(tx, actor.Username, "store.backup", "workstation",
			fmt.Sprintf("head=%d anchored=%d pages=%d blobs=%d db_sha256=%s", m.Head.Seq, m.Anchored.Seq, m.Pages, len(m.Blobs), m.Database.SHA256))
	})
	return m, err
}

// backupDB copies the database into path with SQLite's online backup API in one step (one
// read transaction of the source: a single consistent state; writers go on meanwhile, WAL),
// and returns the blobs the copy names, sorted.
func (s *Store) backupDB(ctx context.Context, path string, m *BackupManifest) ([]string, error) {
	if err := createPrivate(path); err != nil {
		return nil, err
	}
	dst, err := sql.Open("sqlite3", "file:"+path+"?_foreign_keys=off")
	if err != nil {
		return nil, err
	}
	defer dst.Close()
	dst.SetMaxOpenConns(1)
	dconn, err := dst.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer dconn.Close()
	sconn, err := s.r.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer sconn.Close()
	err = sqlitedb.Backup(dconn, sconn)
	if err != nil {
		return nil, err
	}
	sconn.Close()
	// One self-contained file: no WAL beside it.
	if _, err := dconn.ExecContext(ctx, `PRAGMA journal_mode=DELETE`); err != nil {
		return nil, err
	}
	err = dconn.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM batches), (SELECT count(*) FROM pages)`).Scan(&m.Batches, &m.Pages)
	if err != nil {
		return nil, err
	}
	if err := dconn.QueryRowContext(ctx, `SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1`).Scan(&m.Head.Seq, &m.Head.Hash); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	ref, err := referencedBlobsIn(ctx, dconn)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ref))
	for h := range ref {
		if validHash(h) {
			out = append(out, h)
		}
	}
	sort.Strings(out)
	return out, nil
}

// copySmallFile copies src (a key or head file) into folder dir durably; nil when src does
// not exist.
func copySmallFile(src, dir string) (*BackupFile, error) {
	data, err := os.ReadFile(src)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	name := filepath.Base(src)
	tmp, err := writeTemp(dir, "."+name+"-*", data)
	if err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		os.Remove(tmp)
		return nil, err
	}
	return &BackupFile{Name: name, Size: int64(len(data)), SHA256: HashBytes(data)}, nil
}

// hashFile hashes a file (fsyncing it first when sync).
func hashFile(path, name string, sync bool) (BackupFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if !sync {
		f, err = os.Open(path)
	}
	if err != nil {
		return BackupFile{}, err
	}
	defer f.Close()
	if sync {
		if err := f.Sync(); err != nil {
			return BackupFile{}, err
		}
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return BackupFile{}, err
	}
	return BackupFile{Name: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// ReadBackupManifest reads and checks the form of a backup folder's manifest.
func ReadBackupManifest(src string) (BackupManifest, error) {
	var m BackupManifest
	raw, err := os.ReadFile(filepath.Join(src, BackupManifestFile))
	if errors.Is(err, os.ErrNotExist) {
		return m, &l10n.Error{Key: "queue.backup.notABackup", Args: l10n.Args{"Dir": src, "File": BackupManifestFile}, Kind: ErrNotABackup}
	}
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(raw, &m); err != nil || m.Format == "" {
		return m, &l10n.Error{Key: "queue.backup.manifestDamaged", Args: l10n.Args{"File": BackupManifestFile}, Kind: ErrBackupDamaged}
	}
	if m.Format != backupFormat {
		return m, l10n.New("queue.backup.format", l10n.Args{"Format": m.Format})
	}
	if m.Database.Name != BackupDBFile || !validHash(m.Database.SHA256) {
		return m, &l10n.Error{Key: "queue.backup.manifestDamaged", Args: l10n.Args{"File": BackupManifestFile}, Kind: ErrBackupDamaged}
	}
	for _, f := range []*BackupFile{m.AuditKey, m.AuditHead} {
		if f != nil && (f.Name != AuditKeyFile && f.Name != AuditHeadFile || !validHash(f.SHA256)) {
			return m, &l10n.Error{Key: "queue.backup.manifestDamaged", Args: l10n.Args{"File": BackupManifestFile}, Kind: ErrBackupDamaged}
		}
	}
	for _, b := range m.Blobs {
		if !validHash(b.SHA256) {
			return m, &l10n.Error{Key: "queue.backup.manifestDamaged", Args: l10n.Args{"File": BackupManifestFile}, Kind: ErrBackupDamaged}
		}
	}
	return m, nil
}

// damaged is the error for a backup file that does not match its manifest.
func damaged(file string) error {
	return &l10n.Error{Key: "queue.backup.fileDamaged", Args: l10n.Args{"File": file}, Kind: ErrBackupDamaged}
}

// copyChecked copies src to dst (0600, fsynced) and fails unless it matches f.
func copyChecked(src, dst string, f BackupFile) error {
	in, err := os.Open(src)
	if errors.Is(err, os.ErrNotExist) {
		return damaged(f.Name)
	}
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if n != f.Size || hex.EncodeToString(h.Sum(nil)) != f.SHA256 {
		return damaged(f.Name)
	}
	return nil
}

// RestoreResult says what a restore did.
type RestoreResult struct {
	Manifest BackupManifest
	// Previous is where the data folder that was replaced now is ("" when there was none).
	Previous string
	// Report is the audit check of the restored store (its notes, e.g. events after the
	// anchor).
	Report AuditReport
}

// CheckBackup checks a backup folder as Restore does (copying it into a folder in the
// system's temporary folder, removed afterwards) without restoring it.
func CheckBackup(ctx context.Context, src string) (BackupManifest, AuditReport, error) {
	stage, err := os.MkdirTemp("", "sohoa-backup-check-")
	if err != nil {
		return BackupManifest{}, AuditReport{}, err
	}
	defer os.RemoveAll(stage)
	dir := filepath.Join(stage, "data")
	return stageBackup(ctx, src, dir, false)
}

// Restore replaces the data folder dataDir with the backup in src, after checking the backup
// completely in a new folder beside dataDir. Nothing is replaced when a check fails (the
// error says which, wrapped in queue.restore.refused). No store may be open on dataDir.
func Restore(ctx context.Context, src, dataDir string) (RestoreResult, error) {
	var res RestoreResult
	dataDir = filepath.Clean(dataDir)
	parent := filepath.Dir(dataDir)
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return res, err
	}
	stage, err := os.MkdirTemp(parent, "."+filepath.Base(dataDir)+".restore-")
	if err != nil {
		return res, err
	}
	dir := filepath.Join(stage, "data")
	cleanup := true
	defer func() {
		if cleanup {
			os.RemoveAll(stage)
		}
	}()
	res.Manifest, res.Report, err = stageBackup(ctx, src, dir, true)
	if err != nil {
		return res, l10n.Wrap(err, "queue.restore.refused")
	}
	if err := ctx.Err(); err != nil {
		return res, l10n.Wrap(err, "queue.restore.refused")
	}
	// The swap: the old folder aside, the checked copy into its place, while no store is open
	// on the old folder (the app or a command using it would go on writing into the folder
	// set aside) and none can open it.
	if _, err := os.Lstat(dataDir); err == nil {
		lock, err := lockFile(dataDir, true)
		if err != nil {
			return res, l10n.Wrap(err, "queue.restore.refused")
		}
		defer lock.Close()
		res.Previous = fmt.Sprintf("%s.before-restore-%s", dataDir, time.Now().UTC().Format("20060102T150405Z"))
		if err := os.Rename(dataDir, res.Previous); err != nil {
			return res, l10n.Wrap(err, "queue.restore.refused")
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return res, l10n.Wrap(err, "queue.restore.refused")
	}
	if err := os.Rename(dir, dataDir); err != nil {
		if res.Previous != "" {
			if rerr := os.Rename(res.Previous, dataDir); rerr != nil {
				cleanup = false
				return res, &l10n.Error{Key: "queue.restore.swapFailed", Args: l10n.Args{"Previous": res.Previous, "Staged": dir}, Err: err, Kind: ErrRestoreIncomplete}
			}
		}
		return res, l10n.Wrap(err, "queue.restore.refused")
	}
	if err := durable.SyncDir(parent); err != nil {
		return res, err
	}
	return res, nil
}

// stageBackup copies the backup src into dir (which must not exist), checking every file
// against the manifest, then opens it as a store and checks it: SQLite's integrity check,
// every blob a row names, the audit chain and anchor. When restoring, a store.restore event
// then records it in the copy's log. The store is closed again.
func stageBackup(ctx context.Context, src, dir string, restoring bool) (BackupManifest, AuditReport, error) {
	var rep AuditReport
	m, err := ReadBackupManifest(src)
	if err != nil {
		return m, rep, err
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		return m, rep, err
	}
	if err := copyChecked(filepath.Join(src, BackupDBFile), filepath.Join(dir, DBFile), m.Database); err != nil {
		return m, rep, err
	}
	if m.AuditKey == nil {
		// A store is sealed with its key from the first Open on: a backup without it cannot
		// be checked, and opening it would refuse (ErrAuditKeyMissing) or make a new key.
		return m, rep, damaged(AuditKeyFile)
	}
	for _, f := range []*BackupFile{m.AuditKey, m.AuditHead} {
		if f == nil {
			continue
		}
		if err := copyChecked(filepath.Join(src, f.Name), filepath.Join(dir, f.Name), *f); err != nil {
			return m, rep, err
		}
	}
	from := &BlobStore{dir: filepath.Join(src, "blobs")} // read only: nothing is created in src
	to, err := NewBlobStore(filepath.Join(dir, "blobs"))
	if err != nil {
		return m, rep, err
	}
	dirs := map[string]bool{to.dir: true}
	for _, b := range m.Blobs {
		if err := ctx.Err(); err != nil {
			return m, rep, err
		}
		if b.Stored != "" { // ciphertext: checked as stored, copied as it is
			raw, err := os.ReadFile(from.Path(b.SHA256))
			if err == nil && (HashBytes(raw) != b.Stored || !isEncryptedBlob(raw)) {
				err = ErrBlobCorrupt
			}
			if err != nil {
				return m, rep, &l10n.Error{Key: "queue.backup.blobDamaged", Args: l10n.Args{"Hash": b.SHA256[:12]}, Err: err, Kind: ErrBackupDamaged}
			}
			if err := to.putStored(b.SHA256, raw, dirs); err != nil {
				return m, rep, err
			}
			continue
		}
		data, err := from.Get(b.SHA256)
		if err != nil {
			return m, rep, &l10n.Error{Key: "queue.backup.blobDamaged", Args: l10n.Args{"Hash": b.SHA256[:12]}, Err: err, Kind: ErrBackupDamaged}
		}
		if err := to.put(b.SHA256, data, nil, false, dirs); err != nil {
			return m, rep, err
		}
	}
	if err := syncDirs(dirs); err != nil {
		return m, rep, err
	}
	if err := durable.SyncDir(dir); err != nil {
		return m, rep, err
	}
	// Open the copy where it is: migrations of an older backup run here, on the copy.
	st, err := Open(dir)
	if err != nil {
		return m, rep, &l10n.Error{Key: "queue.backup.cannotOpen", Err: err, Kind: ErrBackupDamaged}
	}
	defer st.Close()
	if rep, err = st.checkRestored(ctx); err != nil || !restoring {
		return m, rep, err
	}
	err = st.write(ctx, func(tx *sql.Tx) error {
		return st.audit(tx, "system", "store.restore", "workstation",
			fmt.Sprintf("backup_created_at=%s head=%d db_sha256=%s", m.CreatedAt, m.Head.Seq, m.Database.SHA256))
	})
	return m, rep, err
}

// checkRestored runs the checks of a restored copy.
func (s *Store) checkRestored(ctx context.Context) (AuditReport, error) {
	if err := s.IntegrityCheck(ctx); err != nil {
		return AuditReport{}, &l10n.Error{Key: "queue.backup.integrity", Err: err, Kind: ErrBackupDamaged}
	}
	ref, err := s.referencedBlobs(ctx)
	if err != nil {
		return AuditReport{}, err
	}
	hashes := make([]string, 0, len(ref))
	for h := range ref {
		hashes = append(hashes, h)
	}
	sort.Strings(hashes)
	for _, h := range hashes {
		if !validHash(h) {
			continue
		}
		err := s.Blobs.Verify(h)
		if errors.Is(err, ErrStoreLocked) {
			// An encrypted copy is checked without the data key: present and in the
			// encrypted form (its stored bytes were checked against the manifest).
			err = s.Blobs.verifyStoredForm(h)
		}
		if err != nil {
			return AuditReport{}, &l10n.Error{Key: "queue.backup.blobDamaged", Args: l10n.Args{"Hash": h[:12]}, Err: err, Kind: ErrBackupDamaged}
		}
	}
	rep, err := s.CheckAudit(ctx)
	if err != nil {
		return rep, err
	}
	if err := rep.Err(); err != nil {
		return rep, &l10n.Error{Key: "queue.backup.audit", Err: err, Kind: ErrBackupDamaged}
	}
	return rep, nil
}
