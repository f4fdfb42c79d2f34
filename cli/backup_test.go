package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/queue"
)

// TestBackupWhileImporting: `sohoa backup` taken while another process (the real command, this
// test binary in its sohoa role) imports a folder of page images, then `sohoa restore` into another
// data folder: the restored store passes `sohoa audit --verify` (chain, anchor, integrity)
// and holds every page the importer had reported stored before the backup began, with its
// blob intact.
func TestBackupWhileImporting(t *testing.T) {
	src := t.TempDir()
	for i := 0; i < 40; i++ {
		writePNG(t, filepath.Join(src, fmt.Sprintf("trang-%02d.png", i)), 800+i, 1100)
	}
	r := newRunner(t)
	r.withAdmin()
	var b jsonBatch
	json.Unmarshal([]byte(r.must("batch", "new", "--json").stdout), &b)

	cmd := exec.Command(os.Args[0], "import", "--batch", b.ID, src, "--json", "--data", r.data)
	cmd.Env = append(os.Environ(), "SOHOA_CLI_CHILD=1", "SOHOA_USER=admin", "SOHOA_PASSWORD="+r.env["SOHOA_PASSWORD"])
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	events := make(chan jsonImportEvent, 64)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var ev jsonImportEvent
			if json.Unmarshal(sc.Bytes(), &ev) == nil && ev.Event == "stored" {
				events <- ev
			}
		}
	}()
	acked := map[int64]string{} // page ID -> blob, reported before the backup began
	for ev := range events {
		for _, p := range ev.Pages {
			acked[p.ID] = p.SHA256
		}
		if len(acked) >= 3 {
			break
		}
	}
	dest := filepath.Join(t.TempDir(), "sao-lưu")
	res := r.must("backup", dest, "--json")
	// The import goes on; once the backup is done it is stopped (what it stored after the
	// backup began does not matter here).
	cmd.Process.Kill()
	later := 0
	for ev := range events {
		later += len(ev.Pages)
	}
	cmd.Wait()
	var m jsonBackup
	if err := json.Unmarshal([]byte(res.stdout), &m); err != nil {
		t.Fatal(err)
	}
	t.Logf("pages reported before the backup: %d, in the backup: %d, reported after it began (until killed): %d", len(acked), m.Pages, later)
	if m.Pages < len(acked) {
		t.Fatalf("backup holds %d pages, %d were acknowledged before it", m.Pages, len(acked))
	}

	// Restore into a second data folder, then check it with the command a user would run.
	r2 := newRunner(t)
	r2.env["SOHOA_USER"], r2.env["SOHOA_PASSWORD"] = "admin", r.env["SOHOA_PASSWORD"]
	if res := r2.must("restore", dest, "--check"); !strings.Contains(res.stdout, "dùng được") {
		t.Fatalf("restore --check: %s", res.stdout)
	}
	if res := r2.must("restore", dest); !strings.Contains(res.stdout, "đã khôi phục") || !strings.Contains(res.stdout, ".before-restore-") {
		t.Fatalf("restore: %s", res.stdout)
	}
	r2.must("audit", "--verify")
	checkStore(t, r2.data, b.ID, acked)
	st, err := queue.Open(r2.data)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	bt, err := st.Batch(t.Context(), b.ID)
	if err != nil || bt.Pages != m.Pages {
		t.Fatalf("restored batch: %d pages, backup %d (%v)", bt.Pages, m.Pages, err)
	}
}

// TestRestoreDamagedBackupCLI: a damaged backup is refused in the user's language, exit 1,
// and the data folder is untouched (the next command works as before).
func TestRestoreDamagedBackupCLI(t *testing.T) {
	r := newRunner(t)
	r.withAdmin()
	r.must("batch", "new", "--name", "Lô một")
	dest := filepath.Join(t.TempDir(), "b")
	r.must("backup", dest)
	if res := r.run("", "backup", dest); res.code != 1 || !strings.Contains(res.stderr, "đã có") {
		t.Fatalf("backup over an existing folder: %+v", res)
	}
	db := filepath.Join(dest, queue.BackupDBFile)
	raw, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)-10] ^= 1
	os.WriteFile(db, raw, 0o600)
	res := r.run("", "restore", dest)
	if res.code != 1 || !strings.Contains(res.stderr, "sohoa restore: không khôi phục, dữ liệu hiện có vẫn giữ nguyên: tệp sohoa.db của bản sao lưu") {
		t.Fatalf("damaged restore (vi): %+v", res)
	}
	r.env["SOHOA_LANG"] = "en"
	res = r.run("", "restore", dest, "--check")
	if res.code != 1 || !strings.Contains(res.stderr, "the backup's file sohoa.db is missing or does not match the manifest") {
		t.Fatalf("damaged check (en): %+v", res)
	}
	if res := r.run("", "restore"); res.code != 2 {
		t.Fatalf("restore without a folder: %+v", res)
	}
	var list []jsonBatch
	json.Unmarshal([]byte(r.must("list", "--json").stdout), &list)
	if len(list) != 1 || list[0].Name != "Lô một" {
		t.Fatalf("store after refused restore: %+v", list)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(r.data), "*"+filepath.Base(r.data)+"*")); len(left) != 1 {
		t.Fatalf("beside the data folder: %v", left)
	}
}
