package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/queue"
)

// reviewRunner is a data folder with an administrator, a clerk and two supervisors, and a
// birth-certificate batch the clerk imported, OCR'd and extracted from one generated page.
type reviewRunner struct {
	*runner
	batch string
	doc   string // the document's number
	truth map[string]string
}

const (
	approverName = "Nguyễn Ĩnh Tĩnh (Phó phòng)"
	testPassword = "mật-khẩu-đủ-dài"
)

func (r *runner) addUser(name, full, roles string) {
	r.t.Helper()
	r.env["SOHOA_NEW_PASSWORD"] = testPassword
	r.must("user", "add", "--username", name, "--name", full, "--role", roles)
	delete(r.env, "SOHOA_NEW_PASSWORD")
}

// signIn signs the following commands in as user name.
func (r *runner) signIn(name string) *runner {
	if name == "admin" {
		r.env["SOHOA_PASSWORD"] = "mật-khẩu-quản-trị"
	} else {
		r.env["SOHOA_PASSWORD"] = testPassword
	}
	r.env["SOHOA_USER"] = name
	return r
}

func newReviewRunner(t *testing.T) *reviewRunner {
	r := newRunner(t)
	r.withAdmin()
	r.addUser("thu", "Lê Thị Thu", "clerk")
	r.addUser("kiemsoat", approverName, "supervisor")
	r.addUser("kiemsoat2", "Trần Văn Bình", "supervisor")
	r.signIn("thu")
	var b jsonBatch
	if err := json.Unmarshal([]byte(r.must("batch", "new", "--type", "birth", "--office", "HN-01", "--json").stdout), &b); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	truth := writeBirthPage(t, dir)
	r.must("import", "--batch", b.ID, dir)
	r.must("ocr", "--batch", b.ID, "--workers", "1")
	res := r.must("extract", "--batch", b.ID, "--json")
	var ev struct {
		Document int64 `json:"document"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(res.stdout)), &ev); err != nil {
		t.Fatalf("extract: %q", res.stdout)
	}
	return &reviewRunner{runner: r, batch: b.ID, doc: fmt.Sprint(ev.Document), truth: truth}
}

func (r *reviewRunner) state() string {
	r.t.Helper()
	var bs []jsonBatch
	if err := json.Unmarshal([]byte(r.must("list", "--json").stdout), &bs); err != nil {
		r.t.Fatal(err)
	}
	for _, b := range bs {
		if b.ID == r.batch {
			return b.State
		}
	}
	r.t.Fatalf("batch %s not listed", r.batch)
	return ""
}

// TestReviewFlowCLI: submit is blocked by a hard validation error (without printing the
// value); a clerk cannot approve; a supervisor who keyed cannot approve (four-eyes); a return
// with a comment reaches the clerk; a sample must be accepted before approval.
func TestReviewFlowCLI(t *testing.T) {
	r := newReviewRunner(t)
	bad := "003" + strings.Repeat("4", 9)
	if res := r.signIn("thu").run("", "key", "--doc", r.doc, "--field", "personal_id", "--value", bad); res.code != 1 {
		t.Fatalf("key with a bad ID exited %d", res.code)
	}
	res := r.run("", "submit", "--batch", r.batch, "--confirm-warnings")
	if res.code != 1 || !strings.Contains(res.stderr, "personal_id") || !strings.Contains(res.stderr, "không gửi duyệt được") {
		t.Fatalf("submit with a bad ID: %+v", res)
	}
	if strings.Contains(res.stdout+res.stderr, bad) {
		t.Fatal("submit printed the personal value")
	}
	if s := r.state(); s != "capturing" {
		t.Fatalf("state after refused submit: %s", s)
	}
	// A supervisor corrects the ID: from now on they may not approve this batch.
	id := r.truth["personal_id"]
	if id == "" {
		t.Fatal("generated document has no personal_id")
	}
	r.signIn("kiemsoat2").must("key", "--doc", r.doc, "--field", "personal_id", "--value", id)
	res = r.signIn("thu").run("", "submit", "--batch", r.batch, "--confirm-warnings")
	if res.code != 0 || !strings.Contains(res.stdout, "đã gửi duyệt (lượt 1)") {
		t.Fatalf("submit: %+v", res)
	}
	if res := r.run("", "approve", "--batch", r.batch); res.code != 1 || !strings.Contains(res.stderr, "không được phép") {
		t.Fatalf("clerk approves: %+v", res)
	}
	if res := r.signIn("kiemsoat2").run("", "approve", "--batch", r.batch); res.code != 1 || !strings.Contains(res.stderr, "bốn mắt") {
		t.Fatalf("keyer approves: %+v", res)
	}
	// The review queue lists the batch.
	var q []map[string]any
	json.Unmarshal([]byte(r.signIn("kiemsoat").must("review", "--json").stdout), &q)
	if len(q) != 1 || q[0]["batch"] != r.batch || q[0]["documents"] != float64(1) {
		t.Fatalf("review queue: %v", q)
	}
	comment := "Ngày sinh chưa khớp với bản gốc, kiểm tra lại"
	if res := r.run("", "return", "--batch", r.batch); res.code != 2 {
		t.Fatalf("return without comment: %+v", res)
	}
	r.must("return", "--batch", r.batch, "--comment", comment)
	if s := r.state(); s != "returned" {
		t.Fatalf("state %s", s)
	}
	res = r.signIn("thu").must("comments", "--batch", r.batch)
	if !strings.Contains(res.stdout, comment) || !strings.Contains(res.stdout, approverName) {
		t.Fatalf("clerk sees: %s", res.stdout)
	}
	audit := r.signIn("admin").must("audit", "--limit", "50").stdout
	if strings.Contains(audit, "bản gốc") || !strings.Contains(audit, fmt.Sprintf("comment_len=%d", len([]rune(comment)))) {
		t.Fatalf("audit log and the comment:\n%s", audit)
	}
	r.signIn("thu").must("submit", "--batch", r.batch, "--confirm-warnings")
	// The whole batch is sampled (100%): approval waits for the accept.
	r.signIn("kiemsoat").must("review", "--batch", r.batch, "--sample", "100", "--seed", "7")
	if res := r.run("", "approve", "--batch", r.batch); res.code != 1 || !strings.Contains(res.stderr, "mẫu") {
		t.Fatalf("approve with an open sample: %+v", res)
	}
	r.must("review", "--batch", r.batch, "--accept", "all-sampled")
	r.must("approve", "--batch", r.batch)
	if s := r.state(); s != "approved" {
		t.Fatalf("state %s", s)
	}
}

type jsonSampled struct {
	Document int64    `json:"document"`
	Sampled  string   `json:"sampled"`
	Reasons  []string `json:"reasons"`
	Decision string   `json:"decision"`
}

func (r *reviewRunner) sample(args ...string) jsonSampled {
	r.t.Helper()
	var ds []jsonSampled
	out := r.must(append([]string{"review", "--batch", r.batch, "--json"}, args...)...).stdout
	if err := json.Unmarshal([]byte(out), &ds); err != nil || len(ds) != 1 {
		r.t.Fatalf("review --json: %q %v", out, err)
	}
	return ds[0]
}

// TestReviewSampleStoredCLI (finding 6): the document returned in round 1 is in the round-2
// sample whatever percentage is asked, each `sohoa review` call sees the same stored sample,
// approval waits for it, and `sohoa review --doc` shows each field's provenance.
func TestReviewSampleStoredCLI(t *testing.T) {
	r := newReviewRunner(t)
	r.signIn("thu").must("submit", "--batch", r.batch, "--confirm-warnings")
	r.signIn("kiemsoat")
	if d := r.sample("--sample", "100", "--seed", "1"); d.Sampled == "" {
		t.Fatalf("100%% sample: %+v", d)
	}
	r.must("review", "--batch", r.batch, "--return-doc", r.doc, "--comment", "Ngày sinh mờ")
	r.must("return", "--batch", r.batch, "--comment", "Sửa hồ sơ bị trả lại")
	r.signIn("thu").must("submit", "--batch", r.batch, "--confirm-warnings")

	r.signIn("kiemsoat")
	first := r.sample("--sample", "0")
	if !slicesContains(first.Reasons, "returned") || first.Sampled == "" {
		t.Fatalf("round 2, 0%% sample: %+v", first)
	}
	again := r.sample("--sample", "100", "--seed", "77")
	if fmt.Sprint(again.Reasons) != fmt.Sprint(first.Reasons) {
		t.Fatalf("second review call redrew the sample: %+v, then %+v", first, again)
	}
	res := r.must("review", "--batch", r.batch, "--sample", "50")
	if !strings.Contains(res.stdout, "đã lấy mẫu") || !strings.Contains(res.stdout, "trả lại ở lần duyệt trước") {
		t.Fatalf("review output: %s", res.stdout)
	}
	if res := r.run("", "approve", "--batch", r.batch); res.code != 1 || !strings.Contains(res.stderr, "mẫu") {
		t.Fatalf("approve with the returned document undecided: %+v", res)
	}
	// Provenance of the fields: OCR values with their confidence, read by extraction.
	res = r.must("review", "--batch", r.batch, "--doc", r.doc)
	if !strings.Contains(res.stdout, "full_name") || !strings.Contains(res.stdout, "OCR") {
		t.Fatalf("review --doc: %s", res.stdout)
	}
	// Low confidence is marked by the one threshold (queue.LowFieldConfidence).
	var prov []struct {
		Key     string `json:"key"`
		Current struct {
			Source        string  `json:"source"`
			Confidence    float64 `json:"confidence"`
			OCRConfidence float64 `json:"ocr_confidence"`
			Low           bool    `json:"low_confidence"`
		} `json:"current"`
	}
	if err := json.Unmarshal([]byte(r.must("review", "--batch", r.batch, "--doc", r.doc, "--json").stdout), &prov); err != nil || len(prov) == 0 {
		t.Fatalf("review --doc --json: %v", err)
	}
	for _, p := range prov {
		c := p.Current
		want := (c.Source == "ocr" && c.Confidence < queue.LowFieldConfidence) || (c.Source == "ocr-accepted" && c.OCRConfidence < queue.LowFieldConfidence)
		if c.Low != want {
			t.Errorf("%s (%s, %.2f) marked low confidence %v", p.Key, c.Source, c.Confidence, c.Low)
		}
	}
	r.must("review", "--batch", r.batch, "--accept", "all-sampled")
	r.must("approve", "--batch", r.batch)
}

func slicesContains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
