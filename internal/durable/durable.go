// Package durable holds the one step of making a file's name durable that the queue, the
// central server and the archive package all take after writing or renaming a file.
package durable

import (
	"fmt"
	"os"
)

// SyncDir fsyncs the folder dir, so that the names created, renamed or removed in it survive
// a power cut (a file's own fsync does not cover its entry in the folder).
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("fsync folder: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync folder: %w", err)
	}
	return nil
}
