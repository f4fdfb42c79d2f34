//go:build unix

package server

import (
	"errors"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/sohoa/sohoa/internal/l10n"
)

// LockDataDir locks the central data folder: shared (every sohoa-central command that opens
// it, serve included), or exclusive (restore, which refuses while anything holds it). The
// lock is DIR/.lock, released when the file is closed (or the process ends).
func LockDataDir(dir string, exclusive bool) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	how := unix.LOCK_SH // waits for a restore in progress
	if exclusive {
		how = unix.LOCK_EX | unix.LOCK_NB
	}
	if err := unix.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, &l10n.Error{Key: "queue.restore.inUse", Kind: ErrDataDirInUse}
		}
		return nil, err
	}
	return f, nil
}
