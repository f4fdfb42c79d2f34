package server_test

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/sohoa/sohoa/sync/server"
	"github.com/sohoa/sohoa/sync/store"
	"github.com/sohoa/sohoa/sync/synctest"
)

// Issue 14 item 5: after a batch of records with names, ID numbers and places is synced, the
// whole central data folder (database, WAL, blobs, temp and upload folders, keys) holds none
// of them: the field values are sealed in the database and the blobs (the signed PDFs embed
// record.json) are sealed by EncryptedBlobs, the default for a new data folder, so no window
// of any blob's plaintext is found either. On a store made with --plain-blobs the same search
// finds every window: it looks in the right place. The committed blobs still read back whole.
func TestCentralDataFolderHoldsNoPersonalData(t *testing.T) {
	pki, err := synctest.NewPKI("Người Duyệt Thử")
	if err != nil {
		t.Fatal(err)
	}
	personal := []string{nameAn, norm.NFD.String(nameAn), nameAnHat, nameNgoc, idNumber, idNumber2, birthplace, mother}
	for _, plain := range []bool{true, false} {
		var blobs store.BlobStore
		e := newEnv(t, sqliteBackend, func(c *server.Config) {
			c.Verifier = server.SignatureVerifier{Roots: pki.Roots()}
			fk, err := server.LoadOrCreateDataKey(filepath.Join(c.DataDir, server.DataKeyFile))
			if err != nil {
				t.Fatal(err)
			}
			c.FieldKey = fk
			if blobs, _, err = server.OpenBlobs(context.Background(), c.DataDir, server.BlobOptions{Keys: fk.BlobKeys(), Plain: plain}); err != nil {
				t.Fatal(err)
			}
			c.Blobs = blobs
		})
		if _, sealed := blobs.(*store.EncryptedBlobs); sealed == plain {
			t.Fatalf("plain=%v: blob store %T", plain, blobs)
		}
		ws := e.enroll("HN-01")
		f := fieldsBatch(t, ws, 1, pki)
		e.uploadAll(ws.Token, f, e.putManifest(ws.Token, f).Missing)
		if resp, raw := e.do("POST", "/v1/batches/"+f.id+"/commit", ws.Token, nil, nil); resp.StatusCode != 200 {
			t.Fatalf("commit: %d %s", resp.StatusCode, raw)
		}
		for name, want := range f.blobs {
			rc, err := blobs.Open(context.Background(), name)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("blob %s reads back %d bytes (%v), want %d", name[:12], len(got), err, len(want))
			}
		}
		var all [][]byte
		files := 0
		filepath.WalkDir(e.dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			all, files = append(all, b), files+1
			return nil
		})
		hay := bytes.Join(all, []byte{0})
		if !bytes.Contains(hay, []byte(f.id)) {
			t.Fatalf("the batch id is not in the %d files read: the search looks in the wrong place", files)
		}
		var hits []string
		for _, p := range personal {
			if bytes.Contains(hay, []byte(p)) {
				hits = append(hits, p)
			}
		}
		if !plain && len(hits) > 0 {
			t.Fatalf("encrypted data folder: %d files hold %s", files, strings.Join(hits, ", "))
		}
		// record.json sits in the PDFs' compressed streams, where a grep of a plain store does
		// not see it either: so also look for the blobs' own bytes, 32-byte windows of each.
		found, windows := 0, 0
		for _, b := range f.blobs {
			for i := 0; i < 8; i++ {
				off := i * (len(b) - 32) / 7
				windows++
				if bytes.Contains(hay, b[off:off+32]) {
					found++
				}
			}
		}
		switch {
		case plain && found != windows:
			t.Fatalf("plain blobs: %d of %d windows of the blobs found: the search looks in the wrong place", found, windows)
		case !plain && found != 0:
			t.Fatalf("encrypted data folder: %d of %d windows of the blobs' plaintext found", found, windows)
		}
		t.Logf("plain=%v: %d files, %d bytes; %d of %d personal values, %d of %d blob windows found", plain, files, len(hay),
			len(hits), len(personal), found, windows)
	}
}
