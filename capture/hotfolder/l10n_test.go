package hotfolder

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sohoa/sohoa/internal/l10n/l10ntest"
	"github.com/sohoa/sohoa/queue"
)

// TestServeErrorsTranslated: the folder errors Serve returns at once read in both languages.
func TestServeErrorsTranslated(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{"missing folder": filepath.Join(dir, "none"), "not a folder": file} {
		w := New(nil, queue.User{}, "", path, Options{})
		err := w.Serve(t.Context())
		l10ntest.Translated(t, name, err)
	}
}
