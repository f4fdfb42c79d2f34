//go:build unix

package queue

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// lockFile is the data folder's lock (LockFile): every open Store holds a shared lock on
// it, Restore takes it exclusively, so a data folder is never replaced under a running app
// or command.
func lockFile(dir string, exclusive bool) (*os.File, error) {
	path := dir + string(os.PathSeparator) + LockFile
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := fixMode(path, 0o600); err != nil {
		f.Close()
		return nil, err
	}
	how := unix.LOCK_SH
	if exclusive {
		how = unix.LOCK_EX | unix.LOCK_NB
	}
	if err := unix.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, errInUse
		}
		return nil, err
	}
	return f, nil
}
