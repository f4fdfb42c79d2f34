package queue

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// Queue scale: the queries a clerk waits on (the batch list, a search, moving to the next
// document) on a store holding 100,000 documents. The store is generated once per test
// process, on the first benchmark that needs it, with direct batched inserts; plain `go test`
// never builds it.

const (
	scaleDocs     = 100_000
	scaleBatchLen = 500 // documents per batch: 200 batches
)

var (
	scaleOnce  sync.Once
	scaleStore *Store
	scaleDir   string
	scaleErr   error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if scaleStore != nil {
		scaleStore.Close()
	}
	if scaleDir != "" {
		os.RemoveAll(scaleDir)
	}
	os.Exit(code)
}

// scale100k returns the shared 100,000-document store, building it on first use.
func scale100k(b *testing.B) *Store {
	b.Helper()
	scaleOnce.Do(func() {
		// SOHOA_SCALE_KEEP=DIR keeps the generated store in DIR and reuses it in later runs
		// (for looking at query plans); by default it lives in a temporary folder.
		if keep := os.Getenv("SOHOA_SCALE_KEEP"); keep != "" {
			if scaleStore, scaleErr = Open(keep); scaleErr != nil {
				return
			}
			var n int
			if scaleErr = scaleStore.r.QueryRow(`SELECT count(*) FROM documents`).Scan(&n); scaleErr != nil || n == scaleDocs {
				return
			}
		} else {
			if scaleDir, scaleErr = os.MkdirTemp("", "sohoa-scale-"); scaleErr != nil {
				return
			}
			if scaleStore, scaleErr = Open(scaleDir); scaleErr != nil {
				return
			}
		}
		start := time.Now()
		scaleErr = fillScale(context.Background(), scaleStore, scaleDocs, scaleBatchLen, 1)
		fmt.Fprintf(os.Stderr, "queue scale: %d documents generated in %s\n", scaleDocs, time.Since(start).Round(time.Second))
	})
	if scaleErr != nil {
		b.Fatal(scaleErr)
	}
	return scaleStore
}

var (
	scaleFamily = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"}
	scaleMiddle = []string{"Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Ngọc", "Quang", "Xuân", "Thu", "Công", "Kim"}
	scaleGiven  = []string{"Đức", "Anh", "Hùng", "Lan", "Hoa", "Minh", "Tuấn", "Dũng", "Hương", "Mai", "Long", "Nam",
		"Bình", "Phương", "Thảo", "Linh", "Khoa", "Trang", "Hải", "Yến", "Sơn", "Hằng", "Quý", "Nhung"}
	scalePlaces = []string{"Thành phố Hà Nội", "Thành phố Hồ Chí Minh", "Thành phố Đà Nẵng", "Tỉnh Nghệ An", "Tỉnh Thanh Hóa",
		"Thành phố Hải Phòng", "Tỉnh Quảng Ninh", "Thành phố Cần Thơ", "Tỉnh Đắk Lắk", "Thành phố Huế", "Tỉnh Lâm Đồng", "Tỉnh An Giang"}
	scaleWards = []string{"Phường Ba Đình", "Phường Hoàn Kiếm", "Xã Đông Anh", "Phường Bến Thành", "Xã Nghĩa Đàn",
		"Phường Hải Châu", "Xã Tân Phú", "Phường Ninh Kiều", "Xã Cư M'gar", "Phường Thuận Hóa"}
)

func scaleName(r *rand.Rand, female bool) string {
	mid := scaleMiddle[r.IntN(len(scaleMiddle))]
	if female && r.IntN(2) == 0 {
		mid = "Thị"
	}
	return scaleFamily[r.IntN(len(scaleFamily))] + " " + mid + " " + scaleGiven[r.IntN(len(scaleGiven))]
}

// scaleRecord makes the 12 field values and the OCR text of one birth certificate.
func scaleRecord(r *rand.Rand, n int) (fields [][2]string, text string) {
	female := r.IntN(2) == 0
	gender := "Nam"
	if female {
		gender = "Nữ"
	}
	child, mother, father := scaleName(r, female), scaleName(r, true), scaleName(r, false)
	y := 1950 + r.IntN(74)
	dob := fmt.Sprintf("%02d/%02d/%d", 1+r.IntN(28), 1+r.IntN(12), y)
	reg := fmt.Sprintf("%02d/%02d/%d", 1+r.IntN(28), 1+r.IntN(12), y+r.IntN(2))
	place := scaleWards[r.IntN(len(scaleWards))] + ", " + scalePlaces[r.IntN(len(scalePlaces))]
	home := scalePlaces[r.IntN(len(scalePlaces))]
	id := fmt.Sprintf("%03d%d%02d%06d", 1+r.IntN(96), r.IntN(4), y%100, r.IntN(1_000_000))
	fields = [][2]string{
		{"document_number", fmt.Sprintf("%d/%d", 1+n%900, y)},
		{"full_name", child}, {"date_of_birth", dob}, {"gender", gender}, {"ethnicity", "Kinh"},
		{"nationality", "Việt Nam"}, {"place_of_birth", place}, {"hometown", home}, {"personal_id", id},
		{"mother_full_name", mother}, {"father_full_name", father}, {"registration_date", reg},
	}
	text = strings.Join([]string{
		"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "GIẤY KHAI SINH",
		"Số: " + fields[0][1], "Họ, chữ đệm, tên: " + strings.ToUpper(child), "Ngày, tháng, năm sinh: " + dob,
		"Giới tính: " + gender + "    Dân tộc: Kinh    Quốc tịch: Việt Nam", "Nơi sinh: " + place, "Quê quán: " + home,
		"Số định danh cá nhân: " + id, "Họ, chữ đệm, tên người mẹ: " + mother, "Họ, chữ đệm, tên người cha: " + father,
		"Nơi đăng ký khai sinh: Ủy ban nhân dân " + scaleWards[r.IntN(len(scaleWards))], "Ngày đăng ký: " + reg,
		"NGƯỜI KÝ GIẤY KHAI SINH", scaleName(r, r.IntN(2) == 0),
	}, "\n")
	return fields, text
}

// fillScale inserts n documents (one page each, an OCR result, 12 current field values and
// for one in five documents an earlier OCR value of the name, all indexed for search) in
// batches of batchLen, straight into the tables in large transactions.
func fillScale(ctx context.Context, s *Store, n, batchLen int, seed uint64) error {
	r := rand.New(rand.NewPCG(seed, 7))
	var uid int64
	err := s.w.QueryRowContext(ctx, `SELECT min(id) FROM users`).Scan(&uid)
	if err != nil || uid == 0 {
		u, err := s.CreateUser(ctx, nil, "scale", "Nguyễn Thị Quy Mô", "mật-khẩu-dài", []Role{RoleAdmin, RoleClerk})
		if err != nil {
			return err
		}
		uid = u.ID
	}
	states := []State{StateSynced, StateSigned, StateApproved, StateReview, StateKeying, StateCapturing}
	base := time.Date(2025, 1, 6, 8, 0, 0, 0, time.UTC)
	const perTx = 5000
	for done := 0; done < n; {
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		stmt := func(q string) *txStmt { return &txStmt{q: q} }
		ins := []*txStmt{
			stmt(`INSERT INTO batches(id, name, office, record_type, state, created_by, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)`),
			stmt(`INSERT INTO documents(batch_id, seq, origin, source_sha256, status, created_by, created_at) VALUES (?,?,?,?,?,?,?)`),
			stmt(`INSERT INTO pages(document_id, seq, blob_sha256, original_sha256, format, width, height, dpi, origin_file, origin_page, ocr_state, created_at) VALUES (?,1,?,?,'png',2480,3508,300,?,1,'done',?)`),
			stmt(`INSERT INTO ocr_results(page_id, text, words, mean_conf, engine, model, duration_ms, created_at) VALUES (?,?,?,?,'tesseract','5.3.0 vie',1100,?)`),
			stmt(`INSERT INTO field_values(document_id, key, value, source, confidence, user_id, created_at, current) VALUES (?,?,?,?,?,?,?,?)`),
			stmt(`INSERT INTO search_fts(body, document_id, page_id, field) VALUES (?,?,?,?)`),
		}
		for _, st := range ins {
			if st.s, err = tx.PrepareContext(ctx, st.q); err != nil {
				tx.Rollback()
				return err
			}
		}
		var batchID string
		for i := 0; i < perTx && done < n; i, done = i+1, done+1 {
			at := base.Add(time.Duration(done) * 37 * time.Second).Format(time.RFC3339Nano)
			if done%batchLen == 0 {
				k := done / batchLen
				batchID = fmt.Sprintf("0190%04x-0000-7000-8000-%012x", k, k)
				if _, err = ins[0].s.Exec(batchID, fmt.Sprintf("Lô %d", k+1), "HN-BD", "generic", states[min(k*len(states)/max(1, n/batchLen), len(states)-1)], uid, at, at); err != nil {
					break
				}
			}
			fields, text := scaleRecord(r, done)
			h := sha256.Sum256([]byte(fmt.Sprint("doc", done)))
			blob := hex.EncodeToString(h[:])
			var res sql.Result
			if res, err = ins[1].s.Exec(batchID, done%batchLen+1, fmt.Sprintf("scan-%06d.tif", done), blob, "new", uid, at); err != nil {
				break
			}
			docID, _ := res.LastInsertId()
			if res, err = ins[2].s.Exec(docID, blob, blob, fmt.Sprintf("scan-%06d.tif", done), at); err != nil {
				break
			}
			pageID, _ := res.LastInsertId()
			if _, err = ins[3].s.Exec(pageID, text, scaleWords(text), 80+r.Float64()*15, at); err != nil {
				break
			}
			if _, err = ins[5].s.Exec(Fold(text), docID, pageID, ""); err != nil {
				break
			}
			if done%5 == 0 {
				if _, err = ins[4].s.Exec(docID, "full_name", strings.ToLower(fields[1][1]), "ocr", 0.55, nil, at, 0); err != nil {
					break
				}
			}
			for _, f := range fields {
				src, conf, by := "ocr", 0.9, any(nil)
				if done%3 == 0 {
					src, conf, by = "keyed", 1.0, uid
				}
				if _, err = ins[4].s.Exec(docID, f[0], f[1], src, conf, by, at, 1); err != nil {
					break
				}
				if _, err = ins[5].s.Exec(Fold(f[1]), docID, 0, f[0]); err != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		for _, st := range ins {
			st.s.Close()
		}
		if err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	_, err = s.w.ExecContext(ctx, `ANALYZE`)
	return err
}

type txStmt struct {
	q string
	s *sql.Stmt
}

// scaleWords is a compact but realistic words JSON: one entry per word with a box.
func scaleWords(text string) string {
	var b strings.Builder
	b.WriteByte('[')
	y := 200
	for li, line := range strings.Split(text, "\n") {
		x := 180
		for wi, w := range strings.Fields(line) {
			if li+wi > 0 {
				b.WriteByte(',')
			}
			wdt := 28 * len([]rune(w))
			fmt.Fprintf(&b, `{"t":%q,"x0":%d,"y0":%d,"x1":%d,"y1":%d,"c":91.5,"b":1,"p":1,"l":%d}`, w, x, y, x+wdt, y+46, li+1)
			x += wdt + 20
		}
		y += 90
	}
	b.WriteByte(']')
	return b.String()
}

// TestScaleGenerator checks the generator and the navigation on a small store: documents in
// order with their page and 12 fields, a diacritic-free search that finds generated names.
func TestScaleGenerator(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	if err := fillScale(ctx, s, 1200, 500, 3); err != nil {
		t.Fatal(err)
	}
	bs, err := s.ListBatches(ctx, BatchFilter{})
	if err != nil || len(bs) != 3 {
		t.Fatalf("batches %d, %v", len(bs), err)
	}
	var last Batch
	for _, b := range bs {
		if b.Documents == 200 {
			last = b
		}
		if b.Documents != b.Pages || b.Pages != b.PagesDone {
			t.Errorf("batch %s: %d documents, %d pages, %d OCR done", b.Name, b.Documents, b.Pages, b.PagesDone)
		}
	}
	if last.ID == "" {
		t.Fatalf("no batch with the 200 remaining documents: %+v", bs)
	}
	seq, n := 0, 0
	for {
		k, err := s.NextDocument(ctx, last.ID, seq)
		if errors.Is(err, ErrNoMoreDocuments) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if k.Seq != seq+1 || len(k.PageList) != 1 || len(k.Fields) != 12 || k.PageList[0].DocumentID != k.ID {
			t.Fatalf("after %d: seq %d, %d pages, %d fields", seq, k.Seq, len(k.PageList), len(k.Fields))
		}
		seq, n = k.Seq, n+1
	}
	if n != 200 {
		t.Fatalf("walked %d documents, want 200", n)
	}
	k, err := s.PrevDocument(ctx, last.ID, 101)
	if err != nil || k.Seq != 100 {
		t.Fatalf("previous of 101: %d, %v", k.Seq, err)
	}
	if _, err := s.PrevDocument(ctx, last.ID, 1); !errors.Is(err, ErrNoMoreDocuments) {
		t.Fatalf("previous of the first: %v", err)
	}
	fs, _ := s.Fields(ctx, k.ID)
	var name string
	for _, f := range fs {
		if f.Key == "full_name" {
			name = f.Value
		}
	}
	hits, err := s.Search(ctx, Fold(name), 1000)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, h := range hits {
		found = found || h.DocumentID == k.ID
	}
	if !found || Fold(name) == name {
		t.Fatalf("search %q (folded) did not find document %d among %d hits", Fold(name), k.ID, len(hits))
	}
}

func reportMS(b *testing.B, start time.Time) {
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/op")
}

// BenchmarkScale100kBatchList opens the batch list (every batch with its document, page and
// OCR counts) as the batches screen does.
func BenchmarkScale100kBatchList(b *testing.B) {
	s := scale100k(b)
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		bs, err := s.ListBatches(ctx, BatchFilter{})
		if err != nil || len(bs) != scaleDocs/scaleBatchLen {
			b.Fatalf("%d batches, %v", len(bs), err)
		}
	}
	reportMS(b, start)
}

// BenchmarkScale100kSearch searches a common name without diacritics over fields and OCR
// text, as the search screen does (first 50 hits with snippets).
func BenchmarkScale100kSearch(b *testing.B) {
	s := scale100k(b)
	ctx := context.Background()
	qs := []string{"nguyen van duc", "tran thi lan", "le minh tuan", "pham thanh huong"}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		hits, err := s.Search(ctx, qs[i%len(qs)], 50)
		if err != nil || len(hits) == 0 {
			b.Fatalf("%q: %d hits, %v", qs[i%len(qs)], len(hits), err)
		}
	}
	reportMS(b, start)
}

// BenchmarkScale100kSearchFiltered is the same search narrowed to one batch.
func BenchmarkScale100kSearchFiltered(b *testing.B) {
	s := scale100k(b)
	ctx := context.Background()
	bs, err := s.ListBatches(ctx, BatchFilter{State: StateKeying, Limit: 1})
	if err != nil || len(bs) == 0 {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := s.SearchFiltered(ctx, "nguyen van duc", SearchFilter{BatchID: bs[0].ID}, 50); err != nil {
			b.Fatal(err)
		}
	}
	reportMS(b, start)
}

// BenchmarkScale100kNextDocument moves through a batch as the keying screen does: the next
// document with its pages and fields, and the first page's OCR words (for the source boxes).
func BenchmarkScale100kNextDocument(b *testing.B) {
	s := scale100k(b)
	ctx := context.Background()
	bs, err := s.ListBatches(ctx, BatchFilter{State: StateKeying, Limit: 1})
	if err != nil || len(bs) == 0 {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	seq := 0
	for i := 0; i < b.N; i++ {
		k, err := s.NextDocument(ctx, bs[0].ID, seq)
		if errors.Is(err, ErrNoMoreDocuments) {
			seq = 0
			continue
		}
		if err != nil || len(k.Fields) != 12 {
			b.Fatalf("%d fields, %v", len(k.Fields), err)
		}
		if _, err := s.OCR(ctx, k.PageList[0].ID); err != nil {
			b.Fatal(err)
		}
		seq = k.Seq
	}
	reportMS(b, start)
}

// BenchmarkScale100kOpenBatch lists the documents of one batch (the keying screen's list).
func BenchmarkScale100kOpenBatch(b *testing.B) {
	s := scale100k(b)
	ctx := context.Background()
	bs, err := s.ListBatches(ctx, BatchFilter{State: StateKeying, Limit: 1})
	if err != nil || len(bs) == 0 {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		docs, err := s.Documents(ctx, bs[0].ID)
		if err != nil || len(docs) != scaleBatchLen {
			b.Fatalf("%d documents, %v", len(docs), err)
		}
	}
	reportMS(b, start)
}
