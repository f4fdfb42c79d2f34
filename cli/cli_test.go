package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/queue"
)

func writePNG(t *testing.T, path string, w, h int) {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for x := 10; x < w-10; x++ {
		img.SetGray(x, h/2, color.Gray{0})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestUsersNeedAdminAndNoPasswordArgument(t *testing.T) {
	r := newRunner(t)
	// Nothing works before the administrator exists, and the message says what to do.
	res := r.run("", "list")
	if res.code == 0 || !strings.Contains(res.stderr, "sohoa user add") {
		t.Fatalf("list before setup: %+v", res)
	}
	// The first user must be an admin.
	r.env["SOHOA_NEW_PASSWORD"] = "12345678"
	if res := r.run("", "user", "add", "--username", "thu", "--role", "clerk"); res.code == 0 {
		t.Fatal("first user as clerk accepted")
	}
	// A password on the command line is not an option.
	if res := r.run("", "user", "add", "--username", "thu", "--password", "12345678"); res.code != 2 {
		t.Fatalf("--password flag: %+v", res)
	}
	delete(r.env, "SOHOA_NEW_PASSWORD")
	// The first admin from stdin.
	if res := r.run("mật-khẩu-quản-trị\n", "user", "add", "--username", "admin", "--role", "admin", "--password-stdin"); res.code != 0 {
		t.Fatalf("admin from stdin: %+v", res)
	}
	// Now adding a user needs the admin's sign-in: admin password then new password on stdin.
	if res := r.run("12345678\n", "user", "add", "--username", "thu", "--role", "clerk", "--password-stdin"); res.code == 0 {
		t.Fatal("user added without signing in")
	}
	res = r.run("mật-khẩu-quản-trị\nmột-mật-khẩu\n", "user", "add", "--user", "admin", "--username", "thu", "--name", "Nguyễn Thị Thu", "--role", "clerk", "--password-stdin")
	if res.code != 0 {
		t.Fatalf("add clerk: %+v", res)
	}
	// The clerk cannot add users.
	r.env["SOHOA_USER"], r.env["SOHOA_PASSWORD"], r.env["SOHOA_NEW_PASSWORD"] = "thu", "một-mật-khẩu", "abcdefgh"
	res = r.run("", "user", "add", "--username", "lan", "--role", "clerk")
	if res.code == 0 || !strings.Contains(res.stderr, "vai trò") {
		t.Fatalf("clerk adding user: %+v", res)
	}
	// A wrong password is refused in Vietnamese by default and in English when asked.
	r.env["SOHOA_PASSWORD"] = "sai"
	if res := r.run("", "list"); res.code != 1 || !strings.Contains(res.stderr, "Sai tên đăng nhập hoặc mật khẩu") {
		t.Fatalf("wrong password: %+v", res)
	}
	r.env["SOHOA_LANG"] = "en"
	if res := r.run("", "list"); res.code != 1 || !strings.Contains(res.stderr, "Wrong user name or password") {
		t.Fatalf("wrong password (en): %+v", res)
	}
}

func TestBatchImportListExportSearch(t *testing.T) {
	r := newRunner(t)
	r.withAdmin()
	if res := r.run("", "batch", "new", "--type", "khong-co"); res.code != 1 || !strings.Contains(res.stderr, "khong-co") {
		t.Fatalf("unknown type: %+v", res)
	}
	res := r.must("batch", "new", "--type", "generic", "--name", "Lô thử", "--office", "HN", "--json")
	var b jsonBatch
	if err := json.Unmarshal([]byte(res.stdout), &b); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writePNG(t, filepath.Join(dir, "trang 1.png"), 200, 100)
	writePNG(t, filepath.Join(dir, "trang 2.png"), 220, 100)
	res = r.must("import", "--batch", b.ID, dir, "--json")
	var stored []jsonImportEvent
	for _, line := range strings.Split(strings.TrimSpace(res.stdout), "\n") {
		var ev jsonImportEvent
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if ev.Event == "stored" {
			stored = append(stored, ev)
		}
	}
	if len(stored) != 2 || stored[0].File != filepath.Join(dir, "trang 1.png") || len(stored[0].Pages) != 1 || stored[0].Pages[0].Width != 200 {
		t.Fatalf("import events: %+v", stored)
	}
	// The same folder again: nothing is stored twice.
	res = r.must("import", "--batch", b.ID[:8], dir)
	if !strings.Contains(res.stdout, "bỏ qua 2") {
		t.Fatalf("re-import: %s", res.stdout)
	}
	res = r.must("list", "--json")
	var bl []jsonBatch
	json.Unmarshal([]byte(res.stdout), &bl)
	if len(bl) != 1 || bl[0].Documents != 2 || bl[0].Pages != 2 || bl[0].OCRDone != 0 {
		t.Fatalf("list: %+v", bl)
	}
	// Fields come from keying (issue 4); set one through the store to see it in search and export.
	st, err := queue.Open(r.data)
	if err != nil {
		t.Fatal(err)
	}
	admin, _ := st.Authenticate(t.Context(), "admin", "mật-khẩu-quản-trị")
	if err := st.SetField(t.Context(), admin, stored[1].DocumentID, "full_name", "Hoàng Thị Ánh", queue.SourceKeyed, 100); err != nil {
		t.Fatal(err)
	}
	st.Close()
	res = r.must("search", "hoang", "thi", "anh", "--json")
	var hits []map[string]any
	json.Unmarshal([]byte(res.stdout), &hits)
	if len(hits) != 1 || hits[0]["field"] != "full_name" || hits[0]["snippet"] != "Hoàng Thị Ánh" {
		t.Fatalf("search: %s", res.stdout)
	}
	res = r.must("export", "--batch", b.ID, "--format", "json")
	var exp queue.BatchExport
	if err := json.Unmarshal([]byte(res.stdout), &exp); err != nil {
		t.Fatal(err)
	}
	if len(exp.Documents) != 2 || exp.Documents[0].Pages[0].Origin.File != "trang 1.png" || exp.Documents[1].Fields["full_name"] != "Hoàng Thị Ánh" {
		t.Fatalf("export json: %+v", exp)
	}
	out := filepath.Join(t.TempDir(), "lô.csv")
	r.must("export", "--batch", b.ID, "--format", "csv", "--out", out)
	data, _ := os.ReadFile(out)
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || recs[0][7] != "origin_file" || recs[1][7] != "trang 1.png" || recs[2][len(recs[2])-1] != "Hoàng Thị Ánh" {
		t.Fatalf("csv: %q", recs)
	}
	if res := r.run("", "export", "--batch", b.ID, "--format", "xml"); res.code != 2 || !strings.Contains(res.stderr, "xml") {
		t.Fatalf("bad format: %+v", res)
	}
	if res := r.run("", "import", "--batch", "00000000", dir); res.code != 1 || !strings.Contains(res.stderr, "00000000") {
		t.Fatalf("missing batch: %+v", res)
	}
	r.must("audit", "--verify")
	res = r.must("types")
	if !strings.Contains(res.stdout, "generic") {
		t.Fatalf("types: %s", res.stdout)
	}
}
