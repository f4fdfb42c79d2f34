package server_test

import (
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/sohoa/sohoa/internal/archive"
	"github.com/sohoa/sohoa/sync/server"
	"github.com/sohoa/sohoa/sync/synctest"
	"github.com/sohoa/sohoa/sync/wire"
)

func TestArchiveFileSQLite(t *testing.T)   { testArchiveFile(t, false) }
func TestArchiveFilePostgres(t *testing.T) { testArchiveFile(t, true) }

// archiveFile is an archive file (hồ sơ) as a workstation signs it into the manifest.
func archiveFile(code, title string) *archive.File {
	return &archive.File{FileCode: code, Title: title, Retention: archive.RetentionPermanent, AccessLevel: archive.AccessConditional,
		Language: "vi", StartDate: "2026-03-01", EndDate: "2026-03-31", Keywords: []string{"khai sinh", "Hải Châu"},
		Documents: 2, Sheets: 2, Pages: 2, PhysicalCondition: "Tốt, giấy hơi ố vàng", Reliability: archive.ReliabilityDigitised,
		PaperFileCode: "GIAY-" + code, BackupRegime: archive.BackupYes}
}

// testArchiveFile commits signed batches that are archive files (and one that is not) and
// reads their archive data back: in the batch list and detail, filtered by file code on every
// list, and in both exports; a malformed file code is refused in both languages.
func testArchiveFile(t *testing.T, pg bool) {
	pki, err := synctest.NewPKI("Người Duyệt Thử")
	if err != nil {
		t.Fatal(err)
	}
	e, _, _ := fieldsEnv(t, pg, pki)
	hn, hcm := e.enroll("HN-01"), e.enroll("HCM-02")
	const codeHN, codeHCM = "KS-2026-ĐN01", "KS.2026/HCM-7"
	fileHN := archiveFile(codeHN, "Hồ sơ đăng ký khai sinh tháng 3 năm 2026, phường Hải Châu")
	fileHCM := archiveFile(codeHCM, "Sổ đăng ký khai sinh quyển 7")
	docArchive := func(code string, seq int) *archive.Document {
		return &archive.Document{ID: fmt.Sprintf("%s.%03d", code, seq), Seq: seq, TypeName: "Giấy khai sinh", Date: "2026-03-15",
			Issuer: "UBND phường Hải Châu", Summary: "Trích lục khai sinh", Pages: 1}
	}
	batch := func(ws wire.EnrollAnswer, seq int64, file *archive.File) fixture {
		id := fmt.Sprintf("01934b2c-0000-7000-8000-%012d", seq)
		var docs []testDoc
		for i := 1; i <= 2; i++ {
			docs = append(docs, testDoc{fmt.Sprint(i), recordJSON(t, id, i, ws.Office, "khai-sinh",
				[]kv{{"ho_ten", fmt.Sprintf("Người Thử %d", i)}, {"ngay_dang_ky", fmt.Sprintf("%02d/03/2026", 10+i)}})})
		}
		return signedDocs(t, ws, seq, pki, docs, func(m *wire.Manifest) {
			if file == nil {
				return
			}
			m.Archive = file
			for i := range m.Documents {
				m.Documents[i].Archive = docArchive(file.FileCode, i+1)
			}
		})
	}
	fHN, fPlain, fHCM := batch(hn, 1, fileHN), batch(hn, 2, nil), batch(hcm, 3, fileHCM)
	for _, c := range []struct {
		tok string
		f   fixture
	}{{hn.Token, fHN}, {hn.Token, fPlain}, {hcm.Token, fHCM}} {
		e.syncBatch(c.tok, c.f)
	}
	_, rt := e.readerToken("Lưu trữ lịch sử")
	_, rtHCM := e.readerToken2(t, "Chi cục văn thư HCM", []string{"HCM-02"}, nil)
	q := url.QueryEscape

	// The batch list names the file code; file_code= keeps that file (NFD typed too).
	list := getJSON[server.ReadBatchList](t, e, "/v1/read/batches", rt)
	codes := map[string]string{}
	for _, b := range list.Batches {
		codes[b.ID] = b.FileCode
	}
	if codes[fHN.id] != codeHN || codes[fHCM.id] != codeHCM || codes[fPlain.id] != "" || len(codes) != 3 {
		t.Fatalf("file codes in the batch list: %v", codes)
	}
	for _, code := range []string{codeHN, norm.NFD.String(codeHN)} {
		l := getJSON[server.ReadBatchList](t, e, "/v1/read/batches?file_code="+q(code), rt)
		if len(l.Batches) != 1 || l.Batches[0].ID != fHN.id {
			t.Fatalf("batches?file_code=%q: %+v", code, l.Batches)
		}
	}
	if l := getJSON[server.ReadBatchList](t, e, "/v1/read/batches?file_code="+q(codeHN)+"&office=HCM-02", rt); len(l.Batches) != 0 {
		t.Fatalf("file code of another office: %+v", l.Batches)
	}
	if l := getJSON[server.ReadBatchList](t, e, "/v1/read/batches?file_code="+q(codeHN), rtHCM); len(l.Batches) != 0 {
		t.Fatalf("a reader of HCM-02 sees the HN-01 file: %+v", l.Batches)
	}

	// The batch detail carries the file's data and each document's, as signed.
	d := getJSON[server.ReadBatchDetail](t, e, "/v1/read/batches/"+fHN.id, rt)
	if d.FileCode != codeHN || !reflect.DeepEqual(d.Archive, fileHN) || len(d.DocumentList) != 2 {
		t.Fatalf("batch detail archive = %+v, want %+v", d.Archive, fileHN)
	}
	for i, doc := range d.DocumentList {
		if !reflect.DeepEqual(doc.Archive, docArchive(codeHN, i+1)) {
			t.Fatalf("document %s archive = %+v", doc.ID, doc.Archive)
		}
	}
	if d := getJSON[server.ReadBatchDetail](t, e, "/v1/read/batches/"+fPlain.id, rt); d.Archive != nil || d.FileCode != "" || d.DocumentList[0].Archive != nil {
		t.Fatalf("a batch that is no archive file: %+v", d)
	}

	// Search and export by file code, with a date of the record too.
	rowsOf := func(rows []server.ReadRow) string {
		var out []string
		for _, r := range rows {
			out = append(out, r.FileCode+"/"+r.DocumentID)
		}
		slices.Sort(out)
		return strings.Join(out, ",")
	}
	s := getJSON[server.ReadSearch](t, e, "/v1/read/search?date_field=ngay_dang_ky&date_from=2026-03-12&file_code="+q(codeHCM), rt)
	if got := rowsOf(s.Results); got != codeHCM+"/2" || !reflect.DeepEqual(s.Results[0].Archive, fileHCM) {
		t.Fatalf("search by file code and date: %q %+v", got, s.Results)
	}
	rows := getJSON[[]server.ReadRow](t, e, "/v1/read/export?file_code="+q(codeHN), rt)
	if got := rowsOf(rows); got != codeHN+"/1,"+codeHN+"/2" || !reflect.DeepEqual(rows[0].Archive, fileHN) {
		t.Fatalf("export by file code: %q", got)
	}
	all := getJSON[[]server.ReadRow](t, e, "/v1/read/export", rt)
	want := []string{"/1", "/2", codeHCM + "/1", codeHCM + "/2", codeHN + "/1", codeHN + "/2"}
	slices.Sort(want)
	if got := rowsOf(all); got != strings.Join(want, ",") {
		t.Fatalf("export: %q", got)
	}
	// CSV: the archive columns after the fields, Vietnamese intact, empty for a plain batch.
	recs := getCSV(t, e, "/v1/read/export?format=csv&record_type=khai-sinh", rt)
	head := recs[0]
	if !slices.Equal(head[len(head)-len(server.ArchiveColumns):], server.ArchiveColumns) || len(recs) != 7 {
		t.Fatalf("csv header %q (%d records)", head, len(recs))
	}
	cell := func(r []string, col string) string { return r[slices.Index(head, col)] }
	for _, r := range recs[1:] {
		switch cell(r, "batch_id") {
		case fHN.id:
			for col, want := range map[string]string{"file_code": codeHN, "file_title": fileHN.Title, "file_retention": "vinh-vien",
				"file_access_level": "co-dieu-kien", "file_language": "vi", "file_start_date": "2026-03-01", "file_end_date": "2026-03-31",
				"file_keywords": "khai sinh; Hải Châu", "file_documents": "2", "file_sheets": "2", "file_pages": "2",
				"file_physical_condition": "Tốt, giấy hơi ố vàng", "file_reliability": "so-hoa", "file_paper_file_code": "GIAY-" + codeHN,
				"file_backup_regime": "co", "file_info_symbol": "", "file_backup_status": "", "ho_ten": "Người Thử " + cell(r, "document_id")} {
				if got := cell(r, col); got != want {
					t.Errorf("csv %s of document %s = %q, want %q", col, cell(r, "document_id"), got, want)
				}
			}
		case fPlain.id:
			for _, col := range server.ArchiveColumns {
				if cell(r, col) != "" {
					t.Errorf("csv %s of a plain batch = %q", col, cell(r, col))
				}
			}
		case fHCM.id:
			if cell(r, "file_code") != codeHCM || cell(r, "file_title") != fileHCM.Title {
				t.Errorf("csv HCM row %q", r)
			}
		}
	}
	if recs := getCSV(t, e, "/v1/read/export?format=csv&file_code="+q(codeHCM), rt); len(recs) != 3 {
		t.Fatalf("csv export by file code: %d records", len(recs))
	}

	// A malformed file code: 400 in both languages, on every list.
	for _, bad := range []string{"../x", "a b", "-KS", strings.Repeat("K", 65), "%FF"} {
		v := q(bad)
		if bad == "%FF" {
			v = bad // not UTF-8
		}
		for _, path := range []string{"/v1/read/batches", "/v1/read/search?q=x&", "/v1/read/export"} {
			sep := "?"
			if strings.HasSuffix(path, "&") {
				sep = ""
			}
			resp, body := e.do("GET", path+sep+"file_code="+v, rt, nil, nil)
			we := wantError(t, resp, body, 400, "malformed_request")
			if !strings.Contains(we.MessageVI, "mã hồ sơ không hợp lệ") || !strings.Contains(we.MessageEN, "an archive file code") {
				t.Errorf("file_code=%q on %s: %q / %q", bad, path, we.MessageVI, we.MessageEN)
			}
		}
	}
}

func TestDocumentArchiveFiltersSQLite(t *testing.T)   { testDocumentArchiveFilters(t, false) }
func TestDocumentArchiveFiltersPostgres(t *testing.T) { testDocumentArchiveFilters(t, true) }

// testDocumentArchiveFilters commits signed archive files whose documents carry their
// identifier, number, symbol and date (Circular 05/2025 document data) and finds them with
// doc_code=, doc_number=, doc_symbol=, doc_date_from= and doc_date_to= on search and export,
// alone and with the other filters and a reader's scope; malformed ones are refused in both
// languages.
func testDocumentArchiveFilters(t *testing.T, pg bool) {
	pki, err := synctest.NewPKI("Người Duyệt Thử")
	if err != nil {
		t.Fatal(err)
	}
	e, _, _ := fieldsEnv(t, pg, pki)
	hn, hcm := e.enroll("HN-01"), e.enroll("HCM-02")
	const codeHN, codeHCM = "KS-2026-ĐN01", "QĐ-2026/HUẾ-7"
	type docData struct{ number, symbol, date string }
	batch := func(ws wire.EnrollAnswer, seq int64, code string, data []docData) fixture {
		id := fmt.Sprintf("01934b2c-0000-7000-8000-%012d", seq)
		var docs []testDoc
		for i := range data {
			docs = append(docs, testDoc{fmt.Sprint(i + 1), recordJSON(t, id, i+1, ws.Office, "khai-sinh", []kv{{"ho_ten", fmt.Sprintf("Người Thử %d", i+1)}})})
		}
		return signedDocs(t, ws, seq, pki, docs, func(m *wire.Manifest) {
			if code == "" {
				return
			}
			m.Archive = archiveFile(code, "Hồ sơ quyết định năm 2026")
			for i := range m.Documents {
				m.Documents[i].Archive = &archive.Document{ID: fmt.Sprintf("%s.%03d", code, i+1), Seq: i + 1, TypeName: "Quyết định",
					Number: data[i].number, Symbol: data[i].symbol, Date: data[i].date, Issuer: "UBND phường Hải Châu"}
			}
		})
	}
	fHN := batch(hn, 1, codeHN, []docData{{"15", "QĐ-UBND", "2026-03-10"}, {"16", "QĐ-UBND", "2026-03-20"}})
	fHCM := batch(hcm, 2, codeHCM, []docData{{"15", "TB-UBND", "2026-04-02"}, {"7", "QĐ-UBND", ""}})
	fPlain := batch(hn, 3, "", []docData{{}, {}})
	e.syncBatch(hn.Token, fHN)
	e.syncBatch(hcm.Token, fHCM)
	e.syncBatch(hn.Token, fPlain)
	_, rt := e.readerToken("Lưu trữ lịch sử")
	_, rtHCM := e.readerToken2(t, "Chi cục văn thư HCM", []string{"HCM-02"}, nil)
	q := url.QueryEscape
	name := map[string]string{fHN.id: "HN", fHCM.id: "HCM", fPlain.id: "plain"}
	ids := func(rows []server.ReadRow) string {
		var out []string
		for _, r := range rows {
			out = append(out, name[r.BatchID]+"/"+r.DocumentID)
		}
		slices.Sort(out)
		return strings.Join(out, ",")
	}
	for _, c := range []struct{ query, want string }{
		{"doc_code=" + q(codeHN+".002"), "HN/2"},
		{"doc_code=" + q(norm.NFD.String(codeHCM+".001")), "HCM/1"}, // typed in NFD
		{"doc_code=" + q(codeHN+".003"), ""},
		{"doc_number=15", "HCM/1,HN/1"},
		{"doc_number=15&doc_symbol=" + q("qđ-ubnd"), "HN/1"}, // case does not matter
		{"doc_symbol=" + q(norm.NFD.String("QĐ-UBND")), "HCM/2,HN/1,HN/2"},
		{"doc_symbol=" + q(" QĐ-UBND "), "HCM/2,HN/1,HN/2"},
		{"doc_symbol=" + q("QĐ-UBND") + "&office=HCM-02", "HCM/2"},
		{"doc_symbol=" + q("QĐ-UBND") + "&file_code=" + q(codeHN), "HN/1,HN/2"},
		{"doc_date_from=2026-03-15", "HCM/1,HN/2"}, // a document without a date is in no range
		{"doc_date_to=31/03/2026", "HN/1,HN/2"},
		{"doc_date_from=2026-03-01&doc_date_to=2026-03-10", "HN/1"}, // both ends included
		{"doc_date_from=2026-03-10&doc_date_to=2026-03-10&doc_number=15", "HN/1"},
		{"doc_number=15&q=" + fHCM.id, "HCM/1"},
		{"doc_number=15&field=ho_ten&value=" + q("nguoi thu 1") + "&fold=1", "HCM/1,HN/1"},
	} {
		if got := ids(getJSON[server.ReadSearch](t, e, "/v1/read/search?"+c.query, rt).Results); got != c.want {
			t.Errorf("search %s = %q, want %q", c.query, got, c.want)
		}
		if strings.Contains(c.query, "q=") || strings.Contains(c.query, "field=") {
			continue // search's own filters
		}
		if got := ids(getJSON[[]server.ReadRow](t, e, "/v1/read/export?"+c.query, rt)); got != c.want {
			t.Errorf("export %s = %q, want %q", c.query, got, c.want)
		}
	}
	if got := ids(getJSON[server.ReadSearch](t, e, "/v1/read/search?doc_symbol="+q("QĐ-UBND"), rtHCM).Results); got != "HCM/2" {
		t.Errorf("a reader of HCM-02: %q", got)
	}
	recs := getCSV(t, e, "/v1/read/export?format=csv&record_type=khai-sinh&doc_number=15", rt)
	if len(recs) != 3 || !slices.Contains(recs[0], "ho_ten") {
		t.Fatalf("csv export by document number: %d records, header %q", len(recs), recs[0])
	}
	// The answer's archive data are the document's as signed.
	s := getJSON[server.ReadSearch](t, e, "/v1/read/search?doc_code="+q(codeHN+".001"), rt)
	if len(s.Results) != 1 || s.Results[0].FileCode != codeHN {
		t.Fatalf("search by document code: %+v", s.Results)
	}

	for _, c := range []struct{ query, vi, en string }{
		{"doc_code=" + q("../x"), "mã định danh tài liệu không hợp lệ", "a document identifier"},
		{"doc_code=" + q(strings.Repeat("K", 81)), "mã định danh tài liệu", "a document identifier"},
		{"doc_number=", "doc_number: 1-50 ký tự", "doc_number: 1-50 characters"},
		{"doc_symbol=" + strings.Repeat("Q", 51), "doc_symbol: 1-50 ký tự", "doc_symbol: 1-50 characters"},
		{"doc_date_from=2026-13-01", "doc_date_from: ngày không hợp lệ", "doc_date_from: a date"},
		{"doc_date_from=2026-04-01&doc_date_to=2026-03-01", "doc_date_from không được sau doc_date_to", "doc_date_from must not be after doc_date_to"},
		{"doc_number=15&doc_number=16", "doc_number", "doc_number"},
	} {
		for _, path := range []string{"/v1/read/search?", "/v1/read/export?"} {
			resp, body := e.do("GET", path+c.query, rt, nil, nil)
			we := wantError(t, resp, body, 400, "malformed_request")
			if !strings.Contains(we.MessageVI, c.vi) || !strings.Contains(we.MessageEN, c.en) {
				t.Errorf("%s%s: %q / %q, want %q / %q", path, c.query, we.MessageVI, we.MessageEN, c.vi, c.en)
			}
		}
	}
}
