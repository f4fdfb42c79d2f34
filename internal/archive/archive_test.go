package archive

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/internal/l10n"
)

func complete() File {
	return File{FileCode: "HN01-KS-2026-001", Title: "Hồ sơ khai sinh", Retention: RetentionPermanent, AccessLevel: AccessOpen,
		Language: "vi", StartDate: "2026-01-01", EndDate: "2026-12-31", Keywords: []string{"khai sinh"}, Reliability: ReliabilityDigitised,
		BackupRegime: BackupNo}
}

// TestValidate: each rule refuses what it should, names the field in both languages, and
// matches ErrInvalid.
func TestValidate(t *testing.T) {
	if err := complete().Complete(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		edit  func(*File)
		field string
		vi    string
	}{
		{func(f *File) { f.FileCode = "" }, "file_code", "thiếu mã hồ sơ"},
		{func(f *File) { f.FileCode = "HS 01" }, "file_code", "mã hồ sơ không hợp lệ"},
		{func(f *File) { f.Retention = "mãi mãi" }, "retention", "thời hạn lưu trữ phải là"},
		{func(f *File) { f.Retention = "0" }, "retention", "thời hạn lưu trữ phải là"},
		{func(f *File) { f.AccessLevel = "mat" }, "access_level", "mức độ tiếp cận không hợp lệ"},
		{func(f *File) { f.Language = "Tiếng Việt" }, "language", "ngôn ngữ phải là mã ngôn ngữ"},
		{func(f *File) { f.StartDate = "05/01/2026" }, "start_date", "thời gian bắt đầu phải là ngày"},
		{func(f *File) { f.EndDate = "2025-12-31" }, "end_date", "thời gian kết thúc trước thời gian bắt đầu"},
		{func(f *File) { f.Keywords = []string{" "} }, "keywords", "thiếu từ khóa"},
		{func(f *File) { f.Sheets = -1 }, "sheets", "số lượng tờ không được âm"},
		{func(f *File) { f.Reliability = "cao" }, "reliability", "mức độ tin cậy không hợp lệ"},
		{func(f *File) { f.BackupRegime = "có" }, "backup_regime", "chế độ lập tài liệu lưu trữ dự phòng không hợp lệ"},
		{func(f *File) { f.Title = strings.Repeat("a", 1001) }, "title", "tiêu đề hồ sơ quá dài"},
		{func(f *File) { f.Title = "a\x00b" }, "title", "tiêu đề hồ sơ quá dài hoặc có ký tự điều khiển"},
	}
	for _, c := range cases {
		f := complete()
		c.edit(&f)
		err := f.Complete()
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != c.field || !errors.Is(err, ErrInvalid) {
			t.Fatalf("%s: %v", c.field, err)
		}
		if vi := l10n.Text("vi", err); !strings.Contains(vi, c.vi) {
			t.Errorf("%s: vi %q, want %q", c.field, vi, c.vi)
		}
		if en := l10n.Text("en", err); en == "" || strings.Contains(en, "archive.") {
			t.Errorf("%s: en %q", c.field, en)
		}
	}
	// Partial data validates (defaults), but is not complete.
	if err := (File{Retention: "10"}).Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (File{Retention: "10"}).Complete(); err == nil {
		t.Fatal("partial file complete")
	}
	d := Document{Date: "2026-02-30"}
	if err := d.Validate(); !errors.Is(err, ErrInvalid) || !strings.Contains(l10n.Text("vi", err), "ngày tháng năm của tài liệu (tài liệu)") {
		t.Fatalf("document date: %v", l10n.Text("vi", err))
	}
}

func TestMergeAndDocumentFor(t *testing.T) {
	base := File{Retention: "20", AccessLevel: AccessOpen, Language: "vi", Keywords: []string{"a"}}
	got := Merge(base, File{Retention: RetentionPermanent, FileCode: "X1", Sheets: 3})
	if got.Retention != RetentionPermanent || got.AccessLevel != AccessOpen || got.FileCode != "X1" || got.Sheets != 3 || got.Keywords[0] != "a" {
		t.Fatalf("merge: %+v", got)
	}
	d := DocumentFor(got, Document{AccessLevel: AccessRestricted}, 7, 2)
	if d.ID != "X1.007" || d.Seq != 7 || d.Pages != 2 || d.Language != "vi" || d.AccessLevel != AccessRestricted {
		t.Fatalf("document: %+v", d)
	}
	props := Properties(got, d)
	if len(props) == 0 || props[0] != (Property{"fileCode", "X1"}) {
		t.Fatalf("properties: %+v", props)
	}
	for _, p := range props {
		if p.Value == "" {
			t.Fatalf("empty property %s", p.Name)
		}
	}
}

// TestPackageRefusals: no document, incomplete data, a target that exists.
func TestPackageRefusals(t *testing.T) {
	if _, _, err := Package(complete(), nil); !errors.Is(err, ErrEmptyPackage) {
		t.Fatal(err)
	}
	if _, _, err := Package(File{FileCode: "X"}, []PackageDocument{{PDF: []byte("%PDF")}}); !errors.Is(err, ErrInvalid) {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "p")
	docs := []PackageDocument{{Document: Document{ID: "HN01-KS-2026-001.001", Seq: 1, Summary: "=1+1"}, PDF: []byte("%PDF-1.7")}}
	if err := WritePackage(out, complete(), docs); err != nil {
		t.Fatal(err)
	}
	csv, _ := os.ReadFile(filepath.Join(out, "TaiLieu.csv"))
	if !strings.Contains(string(csv), ",'=1+1,") {
		t.Fatalf("a formula cell was not neutralised:\n%s", csv)
	}
	if err := WritePackage(out, complete(), docs); err == nil {
		t.Fatal("package written over an existing folder")
	}
}
