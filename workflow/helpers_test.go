package workflow

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/sohoa/sohoa/internal/docgen"
	"github.com/sohoa/sohoa/internal/sanetest"
	"github.com/sohoa/sohoa/ocr"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/records"
)

func TestMain(m *testing.M) {
	ocr.MaybeRunWorker() // OCR runs real Tesseract workers: child processes of this test binary
	os.Exit(m.Run())
}

// SANE reads SANE_CONFIG_DIR at its first initialisation in the process.
var _ = sanetest.Configure("workflow", sanetest.SmallBed)

// fixture is a workstation: a real store in a temporary folder with the bundled record
// types, the office HN-01, an administrator, two clerks and two supervisors.
type fixture struct {
	t                 *testing.T
	dir               string
	w                 *Workflow
	st                *queue.Store
	admin, clerk, lan queue.User
	sup, sup2         queue.User
	ctx               context.Context
	mu                sync.Mutex
	events            []Event
	progress          Progress
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	st, err := queue.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	if _, err := records.Register(ctx, st); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, dir: dir, st: st, ctx: ctx}
	f.admin, err = st.CreateUser(ctx, nil, "quan.tri", "Nguyễn Văn Quản", "mật-khẩu-dài", []queue.Role{queue.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	mk := func(name, full string, roles ...queue.Role) queue.User {
		u, err := st.CreateUser(ctx, &f.admin, name, full, "mật-khẩu-dài", roles)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	f.clerk = mk("nhap.lieu", "Trần Thị Nhập", queue.RoleClerk)
	f.lan = mk("lan", "Lê Thị Lan", queue.RoleClerk)
	f.sup = mk("kiem.soat", "Phạm Văn Kiểm", queue.RoleSupervisor)
	f.sup2 = mk("kiem.soat2", "Đỗ Thị Duyệt", queue.RoleSupervisor)
	if err := st.SetSetting(ctx, f.admin, queue.SettingOffice, "HN-01"); err != nil {
		t.Fatal(err)
	}
	if f.w, err = New(st); err != nil {
		t.Fatal(err)
	}
	f.progress = func(ev Event) {
		f.mu.Lock()
		f.events = append(f.events, ev)
		f.mu.Unlock()
	}
	return f
}

// got returns the events reported so far and forgets them.
func (f *fixture) got() []Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	ev := f.events
	f.events = nil
	return ev
}

func (f *fixture) batch(spec queue.BatchSpec) queue.Batch {
	f.t.Helper()
	if spec.Name == "" {
		spec.Name = "Lô thử"
	}
	b, err := f.st.CreateBatch(f.ctx, f.clerk, spec)
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

// docs writes n generated documents of the record type typ ("" any) as PNG files (one file
// per page: a document of several pages is written as a multi-page TIFF instead) into a new
// folder and returns it with the ground truth.
func (f *fixture) docs(n int, typ string) (string, []docgen.Document) {
	f.t.Helper()
	dir := f.t.TempDir()
	var out []docgen.Document
	for i := 0; len(out) < n && i < 400; i++ {
		d, imgs, err := docgen.Generate(11, i, docgen.Options{DPI: 200, Clean: true})
		if err != nil {
			f.t.Fatal(err)
		}
		if (typ != "" && d.Type != typ) || len(imgs) != 1 {
			continue
		}
		var buf bytes.Buffer
		if err := docgen.EncodePNG(&buf, imgs[0]); err != nil {
			f.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s.png", d.ID)), buf.Bytes(), 0o644); err != nil {
			f.t.Fatal(err)
		}
		out = append(out, d)
	}
	if len(out) < n {
		f.t.Fatalf("generated %d documents of type %q, want %d", len(out), typ, n)
	}
	return dir, out
}

// importDir imports a folder and fails the test on any error.
func (f *fixture) importDir(b queue.Batch, dir string) ImportResult {
	f.t.Helper()
	res, err := f.w.Import(f.ctx, f.clerk, ImportInput{Batch: b.ID, Paths: []string{dir}}, nil)
	if err != nil || res.Failed > 0 {
		f.t.Fatalf("import: %+v %v", res, err)
	}
	return res
}

// pngPage is a small grey page.
func pngPage(t *testing.T, w, h int, shade uint8) queue.PageInput {
	t.Helper()
	var buf bytes.Buffer
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = shade
	}
	img.SetGray(0, 0, color.Gray{Y: shade ^ 0xff})
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return queue.PageInput{Data: buf.Bytes(), Format: "png", Width: w, Height: h, DPI: 200}
}
