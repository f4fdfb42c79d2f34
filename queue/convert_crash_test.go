package queue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

const crashToken = "tok-crash-0123456789"

// convertChild is the child of TestConvertCrashSafe: it signs in, switches encryption on
// if it is not yet, writes the recovery words beside the data folder (by a rename, so that a
// kill never leaves half of them), and converts.
func convertChild(t *testing.T, dir string) {
	ctx := context.Background()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := s.Authenticate(ctx, "admin", adminPW)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := s.EncryptionState(ctx); st == EncryptionOff {
		words, err := s.EnableEncryption(ctx, admin, adminPW)
		if err != nil {
			t.Fatal(err)
		}
		// Written whole or not at all: a kill in the middle of a plain WriteFile left a
		// truncated words file, which the parent then took for the recovery key.
		tmp := dir + ".words.tmp"
		if err := os.WriteFile(tmp, []byte(words), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, dir+".words"); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.ConvertToEncrypted(ctx, nil); err != nil {
		t.Fatal(err)
	}
	s.Close()
}

// TestConvertCrashSafe: the plaintext → encrypted conversion is killed (SIGKILL) at random
// moments, at least 50 times over fresh copies of a plaintext store; after every kill the
// store opens, integrity_check is ok, the audit chain verifies, and every blob and the sync
// token read back whole, with the password (and, once the words were written, the recovery
// key). Runs of the child go on until one finishes the conversion.
func TestConvertCrashSafe(t *testing.T) {
	if dir := os.Getenv("SOHOA_CONVERT_CRASH_DIR"); dir != "" {
		convertChild(t, dir)
		return
	}
	kills := 50
	if testing.Short() {
		kills = 8
	}
	ctx := context.Background()
	fixture := filepath.Join(t.TempDir(), "fixture")
	s, err := Open(fixture)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := s.CreateUser(ctx, nil, "admin", "Quản Trị Viên", adminPW, []Role{RoleAdmin, RoleClerk})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.CreateBatch(ctx, admin, BatchSpec{Office: "HN-01"})
	if _, _, err := s.AddDocument(ctx, admin, NewDocument{BatchID: b.ID, Origin: "a.png", SourceHash: "a",
		Pages: []PageInput{pngPage(t, 40, 30, 200), pngPage(t, 40, 30, 90)}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSetting(ctx, admin, "sync.token", crashToken); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(14, 10))
	for i := range 60 {
		data := make([]byte, 4<<10+rng.IntN(60<<10))
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		if i == 0 {
			data = make([]byte, 3*blobChunk+77) // one blob of several chunks
		}
		if _, err := s.Blobs.Put(data); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	if err := s.Blobs.eachBlob(func(h, _ string) error { names = append(names, h); return nil }); err != nil {
		t.Fatal(err)
	}
	s.Close()

	child := func(dir string, after time.Duration) (finished bool) {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run=^TestConvertCrashSafe$", "-test.count=1")
		cmd.Env = append(os.Environ(), "SOHOA_CONVERT_CRASH_DIR="+dir)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("child failed: %v\n%s", err, out.String())
			}
			return true
		case <-time.After(after):
			cmd.Process.Kill()
			err := <-done
			var ee *exec.ExitError
			if err == nil {
				return true // it finished as it was killed
			}
			if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("child: %v\n%s", err, out.String())
			}
			return false
		}
	}

	// One uninterrupted run gives the span the kills are drawn from.
	span := func() time.Duration {
		dir := filepath.Join(t.TempDir(), "whole")
		copyDir(t, fixture, dir)
		start := time.Now()
		if !child(dir, time.Hour) {
			t.Fatal("the whole run did not finish")
		}
		checkConverted(t, dir, names, true)
		return time.Since(start)
	}()

	killed, states := 0, map[EncryptionState]int{}
	for round := 0; killed < kills; round++ {
		dir := filepath.Join(t.TempDir(), fmt.Sprintf("round%d", round))
		copyDir(t, fixture, dir)
		for killed < kills {
			if child(dir, time.Duration(rng.Int64N(int64(span)))) {
				break
			}
			killed++
			states[checkConverted(t, dir, names, false)]++
		}
		checkConverted(t, dir, names, false)
	}
	t.Logf("%d kills over a %v conversion; state after a kill: %v", killed, span.Round(time.Millisecond), states)
}

// checkConverted opens the store in dir and checks it whole; finished: the conversion must
// have finished. It returns the state found.
func checkConverted(t *testing.T, dir string, names []string, finished bool) EncryptionState {
	t.Helper()
	ctx := context.Background()
	s, err := Open(dir)
	if err != nil {
		t.Fatalf("open after a kill: %v", err)
	}
	defer s.Close()
	if err := s.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.VerifyAudit(ctx); err != nil {
		t.Fatalf("audit after a kill: %v", err)
	}
	st, err := s.EncryptionState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if finished && st != EncryptionOn {
		t.Fatalf("state %q after a finished conversion", st)
	}
	if st != EncryptionOff {
		if _, err := s.Authenticate(ctx, "admin", adminPW); err != nil {
			t.Fatalf("sign-in after a kill (state %s): %v", st, err)
		}
	}
	plain := 0
	for _, h := range names {
		if _, err := s.Blobs.Get(h); err != nil {
			t.Fatalf("blob after a kill (state %s): %v", st, err)
		}
		f, _ := os.Open(s.Blobs.Path(h))
		head := make([]byte, len(blobMagic))
		io.ReadFull(f, head)
		f.Close()
		if !isEncryptedBlob(head) {
			plain++
		}
	}
	if st == EncryptionOn && plain > 0 {
		t.Fatalf("%d plaintext blobs in a store that is on", plain)
	}
	if v, err := s.Setting(ctx, "sync.token"); err != nil || v != crashToken {
		t.Fatalf("token after a kill (state %s): %v", st, err)
	}
	if words, err := os.ReadFile(dir + ".words"); err == nil && st != EncryptionOff {
		s.Lock()
		if err := s.UnlockWithRecovery(ctx, string(words)); err != nil {
			t.Fatalf("recovery after a kill: %v", err)
		}
		if _, err := s.Blobs.Get(names[0]); err != nil {
			t.Fatalf("blob with the recovery key: %v", err)
		}
	}
	return st
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o700)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}
