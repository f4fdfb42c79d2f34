package cli

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/internal/archive"
	"github.com/sohoa/sohoa/sync/wire"
	"software.sslmate.com/src/go-pkcs12"
)

// TestArchiveFileSignedAndExported: defaults per record type, a batch made an archive file,
// a document's own data; incomplete or malformed data refused (in Vietnamese, before the PIN
// is asked); once complete the data is in the signed manifest, and `archive export` writes
// the submission package (XML, CSV, the signed PDFs with their hashes) as a folder and a zip.
func TestArchiveFileSignedAndExported(t *testing.T) {
	r := approvedBatch(t)
	write := func(name, body string) string {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Defaults for birth records (administrator); a clerk may not set them.
	defaults := write("mac-dinh.json", `{"retention":"vinh-vien","access_level":"co-dieu-kien","language":"vi","reliability":"so-hoa","backup_regime":"khong"}`)
	if res := r.signIn("thu").run("", "archive", "defaults", "--type", "birth", defaults); res.code != 1 {
		t.Fatalf("clerk sets defaults: %+v", res)
	}
	r.signIn("admin").must("archive", "defaults", "--type", "birth", defaults)
	var show struct {
		ArchiveFile bool         `json:"archive_file"`
		Complete    bool         `json:"complete"`
		Missing     string       `json:"missing"`
		Data        archive.File `json:"data"`
	}
	json.Unmarshal([]byte(r.signIn("thu").must("archive", "show", "--batch", r.batch).stdout), &show)
	if show.ArchiveFile || show.Data.Retention != "vinh-vien" {
		t.Fatalf("show before set: %+v", show)
	}
	// Malformed: refused with the field named in Vietnamese; unknown fields refused.
	if res := r.run("", "archive", "set", "--batch", r.batch, write("sai.json", `{"start_date":"2024-13-01"}`)); res.code != 1 ||
		!strings.Contains(res.stderr, "thời gian bắt đầu phải là ngày dạng NNNN-TT-NN") {
		t.Fatalf("bad date: %+v", res)
	}
	if res := r.run("", "archive", "set", "--batch", r.batch, write("sai2.json", `{"titel":"x"}`)); res.code != 1 {
		t.Fatalf("unknown field: %+v", res)
	}
	// Incomplete: the batch is an archive file now, and signing is refused before the PIN.
	r.must("archive", "set", "--batch", r.batch, write("hs.json", `{"file_code":"HN01-KS-2026-001","title":"Hồ sơ khai sinh phường Ba Đình năm 2026"}`))
	json.Unmarshal([]byte(r.must("archive", "show", "--batch", r.batch).stdout), &show)
	if !show.ArchiveFile || show.Complete || !strings.Contains(show.Missing, "thiếu thời gian bắt đầu") {
		t.Fatalf("show incomplete: %+v", show)
	}
	key, cert, ca, _ := testCert(t, approverName)
	const pin = "mật khẩu p12"
	p12, err := pkcs12.Modern.Encode(key, cert, []*x509.Certificate{ca}, pin)
	if err != nil {
		t.Fatal(err)
	}
	p12File := write("ky.p12", string(p12))
	r.signIn("admin").must("user", "cert", "add", "--username", "kiemsoat", "--cert", certPEM(t, cert))
	if res := r.signIn("kiemsoat").run("", "sign", "--batch", r.batch, "--p12", p12File, "--pin-stdin"); res.code != 1 ||
		!strings.Contains(res.stderr, "thiếu thời gian bắt đầu") {
		t.Fatalf("sign incomplete archive file: %+v", res)
	}
	r.signIn("thu").must("archive", "set", "--batch", r.batch, write("hs2.json", `{"file_code":"HN01-KS-2026-001",
		"title":"Hồ sơ khai sinh phường Ba Đình năm 2026","start_date":"2026-01-05","end_date":"2026-03-31","keywords":["khai sinh","Ba Đình"],
		"sheets":1,"physical_condition":"tốt","paper_file_code":"KS-2026-01"}`))
	r.must("archive", "doc", "--doc", r.doc, write("tl.json", `{"type_name":"Tờ khai đăng ký khai sinh","date":"2026-01-05","issuer":"UBND phường Ba Đình","summary":"Đăng ký khai sinh"}`))
	if res := r.signIn("kiemsoat").run(pin+"\n", "sign", "--batch", r.batch, "--p12", p12File, "--pin-stdin"); res.code != 0 {
		t.Fatalf("sign: %+v", res)
	}
	if res := r.signIn("thu").run("", "archive", "set", "--batch", r.batch, write("hs3.json", `{"title":"khác"}`)); res.code != 1 {
		t.Fatalf("archive data changed after signing: %+v", res)
	}
	// The signed manifest carries it.
	st := openStore(t, r.data)
	raw, _, err := st.BatchManifest(context.Background(), r.batch)
	if err != nil {
		t.Fatal(err)
	}
	var m wire.Manifest
	if err := json.Unmarshal(raw, &m); err != nil || m.Archive == nil || m.Archive.FileCode != "HN01-KS-2026-001" ||
		m.Archive.Retention != "vinh-vien" || m.Archive.Documents != 1 || m.Archive.Pages != 1 ||
		m.Documents[0].Archive == nil || m.Documents[0].Archive.ID != "HN01-KS-2026-001.001" || m.Documents[0].Archive.Issuer != "UBND phường Ba Đình" ||
		m.Documents[0].Archive.AccessLevel != "co-dieu-kien" {
		t.Fatalf("manifest archive: %+v %v", m.Archive, err)
	}
	sdocs, _ := st.SignedDocuments(context.Background(), r.batch)
	st.Close()

	// The package, as a folder and as a zip.
	dir := filepath.Join(t.TempDir(), "goi-nop-luu")
	if res := r.must("archive", "export", "--batch", r.batch, "--out", dir); !strings.Contains(res.stdout, "1 tài liệu") {
		t.Fatalf("export: %s", res.stdout)
	}
	pdf, err := os.ReadFile(filepath.Join(dir, "TaiLieu", "HN01-KS-2026-001.001.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(pdf)
	if hex.EncodeToString(sum[:]) != sdocs[0].PDFSHA256 {
		t.Fatal("the package's PDF is not the signed one")
	}
	if out, err := exec.Command("pdfsig", "-nocert", filepath.Join(dir, "TaiLieu", "HN01-KS-2026-001.001.pdf")).CombinedOutput(); err != nil ||
		!strings.Contains(string(out), "Signature is Valid") {
		t.Fatalf("pdfsig: %v %s", err, out)
	}
	// The archive data is in the signed PDF's own XMP metadata too (poppler reads it).
	if out, err := exec.Command("pdfinfo", "-meta", filepath.Join(dir, "TaiLieu", "HN01-KS-2026-001.001.pdf")).CombinedOutput(); err != nil ||
		!strings.Contains(string(out), "https://sohoa.vn/ns/archive/1.0/") || !strings.Contains(string(out), "HN01-KS-2026-001") {
		t.Fatalf("archive data not in the PDF's XMP: %v\n%s", err, out)
	}
	x, err := os.ReadFile(filepath.Join(dir, "HoSo.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var px struct {
		File struct {
			Code      string   `xml:"MaHoSo"`
			Title     string   `xml:"TieuDeHoSo"`
			Retention string   `xml:"ThoiHanLuuTru"`
			Keywords  []string `xml:"TuKhoa>Tu"`
		} `xml:"HoSo"`
		Docs []struct {
			ID     string `xml:"MaDinhDanh"`
			File   string `xml:"TepTin"`
			SHA256 string `xml:"SHA256"`
		} `xml:"DanhSachTaiLieu>TaiLieu"`
	}
	if err := xml.Unmarshal(x, &px); err != nil || px.File.Code != "HN01-KS-2026-001" || px.File.Title != "Hồ sơ khai sinh phường Ba Đình năm 2026" ||
		px.File.Retention != "vinh-vien" || len(px.File.Keywords) != 2 || len(px.Docs) != 1 || px.Docs[0].SHA256 != sdocs[0].PDFSHA256 ||
		px.Docs[0].File != "TaiLieu/HN01-KS-2026-001.001.pdf" {
		t.Fatalf("HoSo.xml: %+v %v\n%s", px, err, x)
	}
	docCSV, _ := os.ReadFile(filepath.Join(dir, "TaiLieu.csv"))
	if !strings.HasPrefix(string(docCSV), "\ufeffMaDinhDanh,") || !strings.Contains(string(docCSV), "HN01-KS-2026-001.001,1,Tờ khai đăng ký khai sinh") {
		t.Fatalf("TaiLieu.csv:\n%s", docCSV)
	}
	zipFile := filepath.Join(t.TempDir(), "goi.zip")
	r.must("archive", "export", "--batch", r.batch, "--out", zipFile)
	zr, err := zip.OpenReader(zipFile)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if f.Name == "HoSo.xml" {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			if string(b) != string(x) {
				t.Fatal("the zip's HoSo.xml differs from the folder's")
			}
		}
	}
	if strings.Join(names, " ") != "HoSo.xml HoSo.csv TaiLieu.csv TaiLieu/HN01-KS-2026-001.001.pdf" {
		t.Fatalf("zip holds %v", names)
	}
	if res := r.run("", "archive", "export", "--batch", r.batch, "--out", zipFile); res.code != 1 {
		t.Fatalf("export over an existing file: %+v", res)
	}
}
