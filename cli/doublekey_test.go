package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// as runs one command signed in as another user.
func (r *runner) as(user, pw string, args ...string) result {
	r.t.Helper()
	u, p := r.env["SOHOA_USER"], r.env["SOHOA_PASSWORD"]
	r.env["SOHOA_USER"], r.env["SOHOA_PASSWORD"] = user, pw
	defer func() { r.env["SOHOA_USER"], r.env["SOHOA_PASSWORD"] = u, p }()
	return r.run("", args...)
}

// TestDoubleKeyCLI: a double-blind batch is keyed by two clerks through sohoa dkey; neither
// sees the other's value, the mismatch is listed only for a third person, who decides it.
func TestDoubleKeyCLI(t *testing.T) {
	r := newRunner(t)
	r.withAdmin()
	for _, u := range []string{"lan", "minh", "son"} {
		r.env["SOHOA_NEW_PASSWORD"] = "mật-khẩu-" + u
		role := "clerk"
		if u == "son" {
			role = "supervisor"
		}
		r.must("user", "add", "--username", u, "--name", "Người "+u, "--role", role)
	}
	delete(r.env, "SOHOA_NEW_PASSWORD")
	res := r.must("batch", "new", "--type", "birth", "--double-blind", "--json")
	var b jsonBatch
	if err := json.Unmarshal([]byte(res.stdout), &b); err != nil || !b.DoubleBlind {
		t.Fatalf("batch new --double-blind: %s (%v)", res.stdout, err)
	}
	dir := t.TempDir()
	img := image.NewGray(image.Rect(0, 0, 200, 280))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	if err := os.WriteFile(filepath.Join(dir, "ks.png"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	r.must("import", "--batch", b.ID, dir)
	res = r.must("list", "--batch", b.ID, "--json")
	var docs []struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &docs); err != nil || len(docs) != 1 {
		t.Fatalf("list: %s (%v)", res.stdout, err)
	}
	docID := docs[0].ID
	doc := fmt.Sprint(docID)
	pw := func(u string) string { return "mật-khẩu-" + u }
	mustAs := func(u string, args ...string) result {
		t.Helper()
		res := r.as(u, pw(u), args...)
		if res.code != 0 {
			t.Fatalf("%s: sohoa %v: exit %d\n%s%s", u, args, res.code, res.stdout, res.stderr)
		}
		return res
	}
	mustAs("lan", "dkey", "key", "--doc", doc, "--field", "full_name", "--value", "nguyễn văn đức")
	mustAs("lan", "dkey", "key", "--doc", doc, "--field", "personal_id", "--value", "001 098 012 345")
	// Minh's view holds nothing of Lan's.
	res = mustAs("minh", "dkey", "show", "--doc", doc)
	if strings.Contains(res.stdout, "Đức") || strings.Contains(res.stdout, "012345") {
		t.Fatalf("minh sees lan's values:\n%s", res.stdout)
	}
	// Keying around the passes is refused.
	if res := r.as("minh", pw("minh"), "key", "--doc", doc, "--field", "full_name", "--value", "x"); res.code == 0 || !strings.Contains(res.stderr, "lượt") {
		t.Fatalf("plain key on a double-blind batch: exit %d %s", res.code, res.stderr)
	}
	mustAs("minh", "dkey", "key", "--doc", doc, "--field", "full_name", "--value", "Nguyễn Văn Đức")
	mustAs("minh", "dkey", "key", "--doc", doc, "--field", "personal_id", "--value", "001098012354")
	res = mustAs("lan", "dkey", "show", "--doc", doc, "--json")
	if !strings.Contains(res.stdout, "Nguyễn Văn Đức") || !strings.Contains(res.stdout, "001098012345") || strings.Contains(res.stdout, "012354") {
		t.Fatalf("lan's own view:\n%s", res.stdout)
	}
	// A pass is finished as the keying screen finishes a document: validated first. Lan's
	// pass lacks the other required fields.
	if res := r.as("lan", pw("lan"), "dkey", "done", "--doc", doc); res.code != 1 || !strings.Contains(res.stderr, "date_of_birth") {
		t.Fatalf("dkey done with required fields missing: exit %d\n%s", res.code, res.stderr)
	}
	for _, u := range []string{"lan", "minh"} {
		for _, kv := range [][2]string{{"document_number", "15/2020/KS"}, {"date_of_birth", "12/03/1998"}, {"gender", "Nam"},
			{"registration_place", "Phường Ba Đình, Thành phố Hà Nội"}, {"registration_date", "20/03/1998"},
			{"issue_date", "20/03/1998"}, {"signer_name", "Trần Văn Ký"}} {
			mustAs(u, "dkey", "key", "--doc", doc, "--field", kv[0], "--value", kv[1])
		}
	}
	mustAs("lan", "dkey", "done", "--doc", doc)
	res = mustAs("minh", "dkey", "done", "--doc", doc, "--json")
	var rec struct {
		Compared  bool     `json:"compared"`
		Matched   int      `json:"matched"`
		Conflicts []string `json:"conflicts"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &rec); err != nil || !rec.Compared || rec.Matched != 8 || len(rec.Conflicts) != 1 || rec.Conflicts[0] != "personal_id" {
		t.Fatalf("done: %s (%v)", res.stdout, err)
	}
	res = mustAs("son", "dkey", "status", "--batch", b.ID, "--json")
	if !strings.Contains(res.stdout, `"open_conflicts": 1`) || !strings.Contains(res.stdout, `"ready": false`) {
		t.Fatalf("status: %s", res.stdout)
	}
	// The keyers see no conflict to decide and may not decide it.
	res = mustAs("lan", "dkey", "conflicts", "--batch", b.ID, "--json")
	if strings.TrimSpace(res.stdout) != "[]" {
		t.Fatalf("lan's conflicts: %s", res.stdout)
	}
	res = r.as("lan", pw("lan"), "dkey", "resolve", "--doc", doc, "--field", "personal_id", "--value", "001098012345")
	if res.code != 1 || !strings.Contains(res.stderr, "không được quyết định") || strings.Contains(res.stderr, "001098") {
		t.Fatalf("lan resolves: exit %d %s", res.code, res.stderr)
	}
	res = mustAs("son", "dkey", "conflicts", "--batch", b.ID)
	if !strings.Contains(res.stdout, "001098012345") || !strings.Contains(res.stdout, "001098012354") || !strings.Contains(res.stdout, "lan") {
		t.Fatalf("supervisor's conflicts:\n%s", res.stdout)
	}
	mustAs("son", "dkey", "resolve", "--doc", doc, "--field", "personal_id", "--value", "001098012345")
	res = mustAs("son", "dkey", "status", "--batch", b.ID, "--json")
	if !strings.Contains(res.stdout, `"ready": true`) {
		t.Fatalf("status after deciding: %s", res.stdout)
	}
	res = r.must("audit", "--json", "--limit", "0")
	for _, v := range []string{"Đức", "001098"} {
		if strings.Contains(res.stdout, v) {
			t.Errorf("audit log holds a value %q", v)
		}
	}
	for _, a := range []string{"doublekey.compare", "doublekey.resolve", "doublekey.finish"} {
		if !strings.Contains(res.stdout, a) {
			t.Errorf("audit log lacks %s", a)
		}
	}
}
