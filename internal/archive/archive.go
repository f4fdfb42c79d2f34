// Package archive holds the archive metadata of Circular 05/2025/TT-BNV (Bộ Nội vụ, 14 May
// 2025, "quy định nghiệp vụ lưu trữ tài liệu lưu trữ số"): a batch may be an archive file
// (hồ sơ lưu trữ) with the circular's file-level data, and each of its documents (tài liệu
// lưu trữ) its document-level data. It is plain data (no store, no PDF): queue stores it,
// the manifest and the submission package carry it, and the PDF/A XMP writer can take it as
// Properties.
//
// Sources, and what is certain and what is not:
//
//   - The file-level list is the circular's (its article on the data of an archive file, as
//     published with the circular: baochinhphu.vn, 15 May 2025, "Bộ Nội vụ ban hành quy định
//     nghiệp vụ lưu trữ tài liệu lưu trữ số"): mã hồ sơ; tiêu đề hồ sơ; thời hạn lưu trữ;
//     mức độ tiếp cận; ngôn ngữ; thời gian bắt đầu; thời gian kết thúc; từ khóa; tổng số tài
//     liệu trong hồ sơ; số lượng tờ (digitised files); số lượng trang; tình trạng vật lý
//     (digitised files); ký hiệu thông tin; mức độ tin cậy; mã hồ sơ gốc giấy (digitised
//     files); chế độ lập tài liệu lưu trữ dự phòng; tình trạng lập tài liệu lưu trữ dự phòng;
//     tệp tin hồ sơ. Every one is a field of File (the file's own files are the package's
//     PDFs).
//   - The document-level list and the value codes (retention "vĩnh viễn" or a number of
//     years; access open / conditional / restricted; reliability original digital / digitised
//     / mixed) follow the metadata annex of Circular 02/2019/TT-BNV, which 05/2025 replaces
//     and whose document data it keeps in substance. They were not checked against the
//     official annex of 05/2025 here (no copy of it was at hand): an archivist should compare
//     DocumentFields and the codes below with it before a real submission; the codes live in
//     one table each (Retention*, Access*, Reliability*) so a correction is one line.
package archive

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sohoa/sohoa/internal/l10n"
)

// Codes of "mức độ tiếp cận" (access level).
const (
	AccessOpen        = "mo"           // tiếp cận mở / công khai
	AccessConditional = "co-dieu-kien" // tiếp cận có điều kiện
	AccessRestricted  = "han-che"      // hạn chế tiếp cận (mật)
)

// Codes of "mức độ tin cậy" (reliability).
const (
	ReliabilityDigitalOriginal = "goc-so" // gốc điện tử
	ReliabilityDigitised       = "so-hoa" // số hóa từ tài liệu giấy
	ReliabilityMixed           = "hon-hop"
)

// RetentionPermanent is "vĩnh viễn"; any other retention is a number of years ("10", "20", "70").
const RetentionPermanent = "vinh-vien"

// Codes of "chế độ lập tài liệu lưu trữ dự phòng" (backup regime) and its status.
const (
	BackupYes = "co"    // có lập dự phòng
	BackupNo  = "khong" // không lập
)

var (
	accessCodes      = []string{AccessOpen, AccessConditional, AccessRestricted}
	reliabilityCodes = []string{ReliabilityDigitalOriginal, ReliabilityDigitised, ReliabilityMixed}
	backupCodes      = []string{BackupYes, BackupNo}
)

// File is the data of an archive file (hồ sơ lưu trữ). Documents and Pages are counted from
// the batch when the file is exported or signed; the others are entered (or come from the
// defaults of the office and record type).
type File struct {
	FileCode          string   `json:"file_code,omitempty" xml:"MaHoSo"`
	Title             string   `json:"title,omitempty" xml:"TieuDeHoSo"`
	Retention         string   `json:"retention,omitempty" xml:"ThoiHanLuuTru"`
	AccessLevel       string   `json:"access_level,omitempty" xml:"MucDoTiepCan"`
	Language          string   `json:"language,omitempty" xml:"NgonNgu"`
	StartDate         string   `json:"start_date,omitempty" xml:"ThoiGianBatDau"` // YYYY-MM-DD
	EndDate           string   `json:"end_date,omitempty" xml:"ThoiGianKetThuc"`
	Keywords          []string `json:"keywords,omitempty" xml:"TuKhoa>Tu"`
	Documents         int      `json:"documents,omitempty" xml:"TongSoTaiLieu"`
	Sheets            int      `json:"sheets,omitempty" xml:"SoLuongTo"`
	Pages             int      `json:"pages,omitempty" xml:"SoLuongTrang"`
	PhysicalCondition string   `json:"physical_condition,omitempty" xml:"TinhTrangVatLy"`
	InfoSymbol        string   `json:"info_symbol,omitempty" xml:"KyHieuThongTin"`
	Reliability       string   `json:"reliability,omitempty" xml:"MucDoTinCay"`
	PaperFileCode     string   `json:"paper_file_code,omitempty" xml:"MaHoSoGocGiay"`
	BackupRegime      string   `json:"backup_regime,omitempty" xml:"CheDoDuPhong"`
	BackupStatus      string   `json:"backup_status,omitempty" xml:"TinhTrangDuPhong"`
}

// Document is the data of one document (tài liệu lưu trữ) of an archive file. ID and Seq are
// derived (file code and order); Pages is counted.
type Document struct {
	ID                string   `json:"id,omitempty" xml:"MaDinhDanh"`
	Seq               int      `json:"seq,omitempty" xml:"SoThuTu"`
	TypeName          string   `json:"type_name,omitempty" xml:"TenLoai"`
	Number            string   `json:"number,omitempty" xml:"So"`
	Symbol            string   `json:"symbol,omitempty" xml:"KyHieu"`
	Date              string   `json:"date,omitempty" xml:"NgayThang"` // YYYY-MM-DD
	Issuer            string   `json:"issuer,omitempty" xml:"CoQuanBanHanh"`
	Summary           string   `json:"summary,omitempty" xml:"TrichYeu"`
	Language          string   `json:"language,omitempty" xml:"NgonNgu"`
	Pages             int      `json:"pages,omitempty" xml:"SoLuongTrang"`
	Keywords          []string `json:"keywords,omitempty" xml:"TuKhoa>Tu"`
	AccessLevel       string   `json:"access_level,omitempty" xml:"MucDoTiepCan"`
	Reliability       string   `json:"reliability,omitempty" xml:"MucDoTinCay"`
	Autograph         string   `json:"autograph,omitempty" xml:"ButTich"`
	PhysicalCondition string   `json:"physical_condition,omitempty" xml:"TinhTrangVatLy"`
	InfoSymbol        string   `json:"info_symbol,omitempty" xml:"KyHieuThongTin"`
	Note              string   `json:"note,omitempty" xml:"GhiChu"`
}

// ErrInvalid is what every validation error matches (errors.Is).
var ErrInvalid = errors.New("invalid archive metadata")

// FieldError is a field that does not validate: Field is its JSON name ("document." in front
// for a document's), Why one of required, code, date, order, text, language, retention,
// count, tooMany. It says itself in the user's language, the field by its circular name.
type FieldError struct {
	Field, Why string
}

func invalid(field, why string) error { return &FieldError{Field: field, Why: why} }

// Localize is the message in lang.
func (e *FieldError) Localize(lang string) string {
	name, doc := strings.CutPrefix(e.Field, "document.")
	field := l10n.T(lang, "archive.field."+name)
	if doc {
		field = l10n.T(lang, "archive.ofDocument", l10n.Args{"Field": field})
	}
	return l10n.T(lang, "archive.invalid."+e.Why, l10n.Args{"Field": field})
}

func (e *FieldError) Error() string {
	vi, en := e.Localize(l10n.Vi), e.Localize(l10n.En)
	return vi + " / " + en
}

// Is makes every FieldError match ErrInvalid.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

var (
	codeRe = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N}._/-]{0,63}$`)
	langRe = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)
)

const maxText = 1000

func checkText(field, v string, max int) error {
	if !utf8.ValidString(v) || utf8.RuneCountInString(v) > max || strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 && r != '\n' }) {
		return invalid(field, "text")
	}
	return nil
}

func checkDate(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return t, invalid(field, "date")
	}
	return t, nil
}

func checkCode(field, v string, codes []string) error {
	if v == "" {
		return nil
	}
	for _, c := range codes {
		if v == c {
			return nil
		}
	}
	return invalid(field, "code")
}

func checkCommon(prefix, lang string, keywords []string, access, reliability string) error {
	if lang != "" && !langRe.MatchString(lang) {
		return invalid(prefix+"language", "language")
	}
	if len(keywords) > 50 {
		return invalid(prefix+"keywords", "tooMany")
	}
	for _, k := range keywords {
		if strings.TrimSpace(k) == "" {
			return invalid(prefix+"keywords", "required")
		}
		if err := checkText(prefix+"keywords", k, 100); err != nil {
			return err
		}
	}
	if err := checkCode(prefix+"access_level", access, accessCodes); err != nil {
		return err
	}
	return checkCode(prefix+"reliability", reliability, reliabilityCodes)
}

// Validate checks the form of every field that is set (values may be partial: defaults, or a
// file still being entered). Complete checks that the fields a submission needs are there.
func (f File) Validate() error {
	if f.FileCode != "" && !codeRe.MatchString(f.FileCode) {
		return invalid("file_code", "code")
	}
	if f.PaperFileCode != "" && !codeRe.MatchString(f.PaperFileCode) {
		return invalid("paper_file_code", "code")
	}
	for _, fv := range [][2]string{{"title", f.Title}, {"physical_condition", f.PhysicalCondition}, {"info_symbol", f.InfoSymbol}, {"backup_status", f.BackupStatus}} {
		if err := checkText(fv[0], fv[1], maxText); err != nil {
			return err
		}
	}
	if f.Retention != "" && f.Retention != RetentionPermanent {
		if n, err := strconv.Atoi(f.Retention); err != nil || n < 1 || n > 200 {
			return invalid("retention", "retention")
		}
	}
	start, err := checkDate("start_date", f.StartDate)
	if err != nil {
		return err
	}
	end, err := checkDate("end_date", f.EndDate)
	if err != nil {
		return err
	}
	if !start.IsZero() && !end.IsZero() && end.Before(start) {
		return invalid("end_date", "order")
	}
	if f.Documents < 0 || f.Sheets < 0 || f.Pages < 0 {
		return invalid("sheets", "count")
	}
	if err := checkCode("backup_regime", f.BackupRegime, backupCodes); err != nil {
		return err
	}
	return checkCommon("", f.Language, f.Keywords, f.AccessLevel, f.Reliability)
}

// Complete checks that the file can be submitted: Validate, and the fields every archive
// file must have (code, title, retention, access level, language, dates).
func (f File) Complete() error {
	if err := f.Validate(); err != nil {
		return err
	}
	for _, fv := range [][2]string{{"file_code", f.FileCode}, {"title", f.Title}, {"retention", f.Retention},
		{"access_level", f.AccessLevel}, {"language", f.Language}, {"start_date", f.StartDate}, {"end_date", f.EndDate}} {
		if fv[1] == "" {
			return invalid(fv[0], "required")
		}
	}
	return nil
}

// Validate checks the form of every field of a document that is set.
func (d Document) Validate() error {
	for _, fv := range [][2]string{{"document.type_name", d.TypeName}, {"document.number", d.Number}, {"document.symbol", d.Symbol},
		{"document.issuer", d.Issuer}, {"document.summary", d.Summary}, {"document.autograph", d.Autograph},
		{"document.physical_condition", d.PhysicalCondition}, {"document.info_symbol", d.InfoSymbol}, {"document.note", d.Note}} {
		if err := checkText(fv[0], fv[1], maxText); err != nil {
			return err
		}
	}
	if _, err := checkDate("document.date", d.Date); err != nil {
		return err
	}
	return checkCommon("document.", d.Language, d.Keywords, d.AccessLevel, d.Reliability)
}

// Merge returns base with every field set in over replacing it (defaults, then the batch's
// own values).
func Merge(base, over File) File {
	out := base
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&out.FileCode, over.FileCode)
	set(&out.Title, over.Title)
	set(&out.Retention, over.Retention)
	set(&out.AccessLevel, over.AccessLevel)
	set(&out.Language, over.Language)
	set(&out.StartDate, over.StartDate)
	set(&out.EndDate, over.EndDate)
	set(&out.PhysicalCondition, over.PhysicalCondition)
	set(&out.InfoSymbol, over.InfoSymbol)
	set(&out.Reliability, over.Reliability)
	set(&out.PaperFileCode, over.PaperFileCode)
	set(&out.BackupRegime, over.BackupRegime)
	set(&out.BackupStatus, over.BackupStatus)
	if len(over.Keywords) > 0 {
		out.Keywords = append([]string(nil), over.Keywords...)
	}
	if over.Sheets > 0 {
		out.Sheets = over.Sheets
	}
	return out
}

// DocumentFor fills a document's derived data: its order in the file, its identifier (the
// file code and the order, "HS-01.003"), its pages, and the file's language, access level
// and reliability where the document has none of its own.
func DocumentFor(f File, d Document, seq, pages int) Document {
	d.Seq, d.Pages = seq, pages
	if f.FileCode != "" {
		d.ID = fmt.Sprintf("%s.%03d", f.FileCode, seq)
	}
	if d.Language == "" {
		d.Language = f.Language
	}
	if d.AccessLevel == "" {
		d.AccessLevel = f.AccessLevel
	}
	if d.Reliability == "" {
		d.Reliability = f.Reliability
	}
	return d
}

// Property is one metadata value for a PDF's XMP packet: Name in the SoHoa archive schema
// (namespace Namespace, prefix "sohoa-archive"), its value as text.
type Property struct {
	Name  string
	Value string
}

// Namespace is the XMP namespace of the archive properties.
const Namespace = "https://sohoa.vn/ns/archive/1.0/"

// Properties lists the file's and the document's set values as XMP properties, in a fixed
// order (file_* then document_*), for the PDF/A writer (sign.DocumentInput.Archive).
func Properties(f File, d Document) []Property {
	var out []Property
	add := func(name, v string) {
		if v != "" {
			out = append(out, Property{Name: name, Value: v})
		}
	}
	num := func(n int) string {
		if n == 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	add("fileCode", f.FileCode)
	add("fileTitle", f.Title)
	add("retention", f.Retention)
	add("fileAccessLevel", f.AccessLevel)
	add("fileLanguage", f.Language)
	add("startDate", f.StartDate)
	add("endDate", f.EndDate)
	add("fileKeywords", strings.Join(f.Keywords, "; "))
	add("fileDocuments", num(f.Documents))
	add("fileSheets", num(f.Sheets))
	add("filePages", num(f.Pages))
	add("filePhysicalCondition", f.PhysicalCondition)
	add("fileInfoSymbol", f.InfoSymbol)
	add("fileReliability", f.Reliability)
	add("paperFileCode", f.PaperFileCode)
	add("backupRegime", f.BackupRegime)
	add("backupStatus", f.BackupStatus)
	add("documentID", d.ID)
	add("documentSeq", num(d.Seq))
	add("documentTypeName", d.TypeName)
	add("documentNumber", d.Number)
	add("documentSymbol", d.Symbol)
	add("documentDate", d.Date)
	add("documentIssuer", d.Issuer)
	add("documentSummary", d.Summary)
	add("documentLanguage", d.Language)
	add("documentPages", num(d.Pages))
	add("documentKeywords", strings.Join(d.Keywords, "; "))
	add("documentAccessLevel", d.AccessLevel)
	add("documentReliability", d.Reliability)
	add("documentAutograph", d.Autograph)
	add("documentPhysicalCondition", d.PhysicalCondition)
	add("documentInfoSymbol", d.InfoSymbol)
	add("documentNote", d.Note)
	return out
}
