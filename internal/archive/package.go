package archive

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sohoa/sohoa/internal/durable"
)

// The submission package (gói nộp lưu) of one archive file: the file's data and the list of
// its documents as XML (HoSo.xml) and CSV (HoSo.csv: one row; TaiLieu.csv: one row per
// document, UTF-8 with a byte order mark so that spreadsheet programs read the diacritics),
// and each document's signed PDF under TaiLieu/, named by the document's identifier, with its
// SHA-256 in the lists. The XML element names are the circular's data names without
// diacritics (MaHoSo, TieuDeHoSo, …). This is SoHoa's layout of the circular's data; where the
// receiving archive's system prescribes its own package structure, it maps from this one.

// PackageXMLNamespace is the namespace of HoSo.xml.
const PackageXMLNamespace = "https://sohoa.vn/ns/archive-package/1.0"

// PackageDocument is one document of a package: its data and its signed PDF.
type PackageDocument struct {
	Document
	PDF []byte
}

type xmlPackage struct {
	XMLName   xml.Name      `xml:"GoiNopLuu"`
	Namespace string        `xml:"xmlns,attr"`
	Circular  string        `xml:"CanCu,attr"`
	File      File          `xml:"HoSo"`
	Documents []xmlDocument `xml:"DanhSachTaiLieu>TaiLieu"`
}

type xmlDocument struct {
	Document
	FileName string `xml:"TepTin"`
	SHA256   string `xml:"SHA256"`
	Size     int    `xml:"KichThuoc"`
}

// ErrEmptyPackage: a package needs at least one document.
var ErrEmptyPackage = errors.New("archive package: no document")

// pdfName is where a document's PDF goes in the package.
func pdfName(d Document) string {
	id := d.ID
	if id == "" {
		id = fmt.Sprintf("%03d", d.Seq)
	}
	return "TaiLieu/" + strings.ReplaceAll(id, "/", "_") + ".pdf"
}

// Package builds the package's files, by name in the order they are written.
func Package(f File, docs []PackageDocument) ([]string, map[string][]byte, error) {
	if len(docs) == 0 {
		return nil, nil, ErrEmptyPackage
	}
	if err := f.Complete(); err != nil {
		return nil, nil, err
	}
	p := xmlPackage{Namespace: PackageXMLNamespace, Circular: "05/2025/TT-BNV", File: f}
	files := map[string][]byte{}
	var names []string
	for _, d := range docs {
		if err := d.Validate(); err != nil {
			return nil, nil, err
		}
		name := pdfName(d.Document)
		if _, dup := files[name]; dup {
			return nil, nil, fmt.Errorf("archive package: two documents named %s", name)
		}
		sum := sha256.Sum256(d.PDF)
		p.Documents = append(p.Documents, xmlDocument{Document: d.Document, FileName: name, SHA256: hex.EncodeToString(sum[:]), Size: len(d.PDF)})
		files[name] = d.PDF
		names = append(names, name)
	}
	var x bytes.Buffer
	x.WriteString(xml.Header)
	enc := xml.NewEncoder(&x)
	enc.Indent("", "  ")
	if err := enc.Encode(p); err != nil {
		return nil, nil, err
	}
	x.WriteByte('\n')
	fileCSV, err := csvOf([]string{"MaHoSo", "TieuDeHoSo", "ThoiHanLuuTru", "MucDoTiepCan", "NgonNgu", "ThoiGianBatDau", "ThoiGianKetThuc",
		"TuKhoa", "TongSoTaiLieu", "SoLuongTo", "SoLuongTrang", "TinhTrangVatLy", "KyHieuThongTin", "MucDoTinCay", "MaHoSoGocGiay",
		"CheDoDuPhong", "TinhTrangDuPhong"}, [][]string{{f.FileCode, f.Title, f.Retention, f.AccessLevel, f.Language, f.StartDate, f.EndDate,
		strings.Join(f.Keywords, "; "), strconv.Itoa(f.Documents), strconv.Itoa(f.Sheets), strconv.Itoa(f.Pages), f.PhysicalCondition,
		f.InfoSymbol, f.Reliability, f.PaperFileCode, f.BackupRegime, f.BackupStatus}})
	if err != nil {
		return nil, nil, err
	}
	var rows [][]string
	for _, d := range p.Documents {
		rows = append(rows, []string{d.ID, strconv.Itoa(d.Seq), d.TypeName, d.Number, d.Symbol, d.Date, d.Issuer, d.Summary, d.Language,
			strconv.Itoa(d.Pages), strings.Join(d.Keywords, "; "), d.AccessLevel, d.Reliability, d.Autograph, d.PhysicalCondition,
			d.InfoSymbol, d.Note, d.FileName, d.SHA256})
	}
	docCSV, err := csvOf([]string{"MaDinhDanh", "SoThuTu", "TenLoai", "So", "KyHieu", "NgayThang", "CoQuanBanHanh", "TrichYeu", "NgonNgu",
		"SoLuongTrang", "TuKhoa", "MucDoTiepCan", "MucDoTinCay", "ButTich", "TinhTrangVatLy", "KyHieuThongTin", "GhiChu", "TepTin", "SHA256"}, rows)
	if err != nil {
		return nil, nil, err
	}
	files["HoSo.xml"], files["HoSo.csv"], files["TaiLieu.csv"] = x.Bytes(), fileCSV, docCSV
	return append([]string{"HoSo.xml", "HoSo.csv", "TaiLieu.csv"}, names...), files, nil
}

func csvOf(header []string, rows [][]string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("\ufeff")
	w := csv.NewWriter(&b)
	if err := w.Write(header); err != nil {
		return nil, err
	}
	for _, r := range rows {
		for i, v := range r {
			// A cell a spreadsheet would run as a formula is written as text.
			if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
				r[i] = "'" + v
			}
		}
		if err := w.Write(r); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return b.Bytes(), w.Error()
}

// WritePackage writes the package to out: a zip file when out ends in .zip, else a new
// folder. It writes under a temporary name beside out, fsynced, and renames it last; out must
// not exist.
func WritePackage(out string, f File, docs []PackageDocument) error {
	names, files, err := Package(f, docs)
	if err != nil {
		return err
	}
	if _, err := os.Lstat(out); err == nil {
		return fmt.Errorf("%s exists already", out)
	}
	dir := filepath.Dir(out)
	if strings.EqualFold(filepath.Ext(out), ".zip") {
		tmp, err := os.CreateTemp(dir, "."+filepath.Base(out)+"-*")
		if err != nil {
			return err
		}
		ok := false
		defer func() {
			if !ok {
				tmp.Close()
				os.Remove(tmp.Name())
			}
		}()
		z := zip.NewWriter(tmp)
		for _, n := range names {
			method := zip.Deflate
			if strings.HasSuffix(n, ".pdf") {
				method = zip.Store // signed PDFs are compressed already
			}
			w, err := z.CreateHeader(&zip.FileHeader{Name: n, Method: method})
			if err != nil {
				return err
			}
			if _, err := w.Write(files[n]); err != nil {
				return err
			}
		}
		if err := z.Close(); err != nil {
			return err
		}
		if err := tmp.Sync(); err != nil {
			return err
		}
		if err := tmp.Close(); err != nil {
			return err
		}
		if err := os.Rename(tmp.Name(), out); err != nil {
			return err
		}
		ok = true
		return durable.SyncDir(dir)
	}
	tmp, err := os.MkdirTemp(dir, "."+filepath.Base(out)+"-*")
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Mkdir(filepath.Join(tmp, "TaiLieu"), 0o700); err != nil {
		return err
	}
	for _, n := range names {
		if err := writeSynced(filepath.Join(tmp, filepath.FromSlash(n)), files[n]); err != nil {
			return err
		}
	}
	if err := durable.SyncDir(filepath.Join(tmp, "TaiLieu")); err != nil {
		return err
	}
	if err := durable.SyncDir(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, out); err != nil {
		return err
	}
	ok = true
	return durable.SyncDir(dir)
}

func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
