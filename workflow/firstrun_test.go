package workflow_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/records"
	"github.com/sohoa/sohoa/sync/synctest"
	"github.com/sohoa/sohoa/workflow"
)

// TestEnrollSelfSignedShowsFingerprint: enrolling with a self-signed server and no
// fingerprint stops before anything is sent, with the certificate's SHA-256 (what
// `sohoa-central status` prints) and the way on in the message; enrolling again with it
// pins it, and the one-time code still works (the first attempt did not use it).
func TestEnrollSelfSignedShowsFingerprint(t *testing.T) {
	ctx := context.Background()
	pki, err := synctest.NewPKI("Phạm Văn Kiểm")
	if err != nil {
		t.Fatal(err)
	}
	c, err := synctest.NewCentral(ctx, t.TempDir(), pki.Roots())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	st, err := queue.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	admin, err := st.CreateUser(ctx, nil, "quan.tri", "Nguyễn Văn Quản", "mật-khẩu-dài", []queue.Role{queue.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	w, err := workflow.New(st)
	if err != nil {
		t.Fatal(err)
	}
	code, err := c.EnrollCode(ctx, "HN-01")
	if err != nil {
		t.Fatal(err)
	}

	fp, err := workflow.ServerFingerprint(ctx, c.URL())
	if err != nil || fp != c.Pin {
		t.Fatalf("ServerFingerprint = %q, %v; want %s", fp, err, c.Pin)
	}

	_, err = w.Enroll(ctx, admin, workflow.EnrollInput{Server: c.URL(), Code: code}, nil)
	var ue *workflow.UntrustedServerError
	if !errors.As(err, &ue) {
		t.Fatalf("enroll with a self-signed server: %v, want an UntrustedServerError", err)
	}
	if ue.Fingerprint != c.Pin {
		t.Fatalf("fingerprint %s, want the server's %s", ue.Fingerprint, c.Pin)
	}
	for _, lang := range []string{l10n.Vi, l10n.En} {
		msg := l10n.Text(lang, err)
		if !strings.Contains(msg, c.Pin) || !strings.Contains(msg, "--fingerprint") || !strings.Contains(msg, "sohoa-central status") {
			t.Errorf("%s message does not give the fingerprint, --fingerprint and where to read it: %s", lang, msg)
		}
	}
	if v, _ := st.Setting(ctx, "sync.server_url"); v != "" {
		t.Fatalf("a failed enrollment stored the server %q", v)
	}

	res, err := w.Enroll(ctx, admin, workflow.EnrollInput{Server: c.URL(), Code: code, Fingerprint: ue.Fingerprint}, nil)
	if err != nil {
		t.Fatalf("enroll with the fingerprint shown: %v", err)
	}
	if res.Fingerprint != c.Pin || res.Office != "HN-01" {
		t.Fatalf("enrolled %+v", res)
	}

	// A wrong fingerprint is the other error: not a question of trust on first use.
	code2, _ := c.EnrollCode(ctx, "HN-01")
	_, err = w.Enroll(ctx, admin, workflow.EnrollInput{Server: c.URL(), Code: code2, Fingerprint: strings.Repeat("ab", 32)}, nil)
	if err == nil || errors.As(err, &ue) {
		t.Fatalf("enroll with a wrong fingerprint: %v", err)
	}
}

// TestCheckSystemAndSampleBatch: the checks find this machine's Tesseract and its vie, eng and
// osd data (make setup installs them) and name the package of a missing language; the sample
// batch is an ordinary batch of generated documents that OCR can read.
func TestCheckSystemAndSampleBatch(t *testing.T) {
	ctx := context.Background()
	checks := workflow.CheckSystem(ctx, nil)
	byName := map[string]workflow.Check{}
	for _, c := range checks {
		byName[c.Name] = c
		if c.Message(l10n.Vi) == "" || c.Message(l10n.En) == "" || strings.Contains(c.Message(l10n.En), "workflow.check") {
			t.Errorf("check %s has no message", c.Name)
		}
	}
	for _, name := range []string{"tesseract", "lang.vie", "lang.eng", "lang.osd", "fonts"} {
		if c, ok := byName[name]; !ok || !c.OK || c.Fix != "" {
			t.Errorf("check %s = %+v, want found", name, c)
		}
	}
	if !strings.HasPrefix(byName["tesseract"].Detail, "tesseract 5") {
		t.Errorf("tesseract version %q", byName["tesseract"].Detail)
	}
	// A tessdata folder without Vietnamese: the check says so and gives the package.
	dir := t.TempDir()
	src := filepath.Join(byName["lang.eng"].Detail, "eng.traineddata")
	if err := os.Symlink(src, filepath.Join(dir, "eng.traineddata")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TESSDATA_PREFIX", dir)
	for _, c := range workflow.CheckSystem(ctx, nil) {
		switch c.Name {
		case "lang.vie":
			if c.OK || c.Fix != "sudo apt install tesseract-ocr-vie" || !strings.Contains(c.Message(l10n.Vi), "tiếng Việt") {
				t.Errorf("missing vie: %+v %q", c, c.Message(l10n.Vi))
			}
		case "lang.eng":
			if !c.OK {
				t.Errorf("eng in TESSDATA_PREFIX not found: %+v", c)
			}
		}
	}

	st, err := queue.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := records.Register(ctx, st); err != nil {
		t.Fatal(err)
	}
	admin, err := st.CreateUser(ctx, nil, "quan.tri", "Nguyễn Văn Quản", "mật-khẩu-dài", []queue.Role{queue.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	w, err := workflow.New(st)
	if err != nil {
		t.Fatal(err)
	}
	b, res, err := w.SampleBatch(ctx, admin, "Lô mẫu", nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Documents != workflow.SampleDocuments || res.Failed != 0 || res.Pages < res.Documents {
		t.Fatalf("sample import: %+v", res)
	}
	docs, err := st.Documents(ctx, b.ID)
	if err != nil || len(docs) != workflow.SampleDocuments {
		t.Fatalf("sample batch has %d documents (%v)", len(docs), err)
	}
	noRole := queue.User{Username: "xem"}
	if _, _, err := w.SampleBatch(ctx, noRole, "x", nil); err == nil {
		t.Fatal("a user without a role made a sample batch")
	}
}
