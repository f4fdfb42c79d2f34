package queue

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// blindSetup opens a store with three clerks and a supervisor, and a double-blind batch of n
// documents in state keying.
func blindSetup(t *testing.T, n int) (s *Store, b Batch, docs []Document, u map[string]User) {
	t.Helper()
	s, admin := openTest(t)
	ctx := context.Background()
	u = map[string]User{"admin": admin}
	for _, x := range []struct {
		name string
		role Role
	}{{"lan", RoleClerk}, {"minh", RoleClerk}, {"hoa", RoleClerk}, {"son", RoleSupervisor}} {
		v, err := s.CreateUser(ctx, &admin, x.name, "Người "+x.name, "mật-khẩu-dài-"+x.name, []Role{x.role})
		if err != nil {
			t.Fatal(err)
		}
		u[x.name] = v
	}
	b, err := s.CreateBatch(ctx, u["lan"], BatchSpec{Name: "lô hai lần", Office: "HN-01", RecordType: "generic", DoubleBlind: true})
	if err != nil {
		t.Fatal(err)
	}
	if !b.DoubleBlind {
		t.Fatal("batch created with DoubleBlind is not double-blind")
	}
	for i := 0; i < n; i++ {
		d, _, err := s.AddDocument(ctx, u["lan"], NewDocument{BatchID: b.ID, Origin: fmt.Sprintf("f%d.png", i), Pages: []PageInput{pngPage(t, 40, 60, uint8(i))}})
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, d)
	}
	if err := s.Transition(ctx, u["lan"], b.ID, StateKeying, ""); err != nil {
		t.Fatal(err)
	}
	return s, b, docs, u
}

func blindMap(fs []BlindField) map[string]BlindField {
	m := map[string]BlindField{}
	for _, f := range fs {
		m[f.Key] = f
	}
	return m
}

// TestDoubleBlindFlow keys two documents twice, checks that neither keyer sees the other's
// values, that agreeing values become double-keyed, that a mismatch waits for a third person
// who sees both values, and that the batch can be submitted only when all is settled.
func TestDoubleBlindFlow(t *testing.T) {
	s, b, docs, u := blindSetup(t, 2)
	ctx := context.Background()
	d1, d2 := docs[0].ID, docs[1].ID
	// OCR read a name; it is a suggestion both clerks may see.
	if err := s.SetField(ctx, User{}, d1, "ho_ten", "Nguyen Van Đuc", SourceOCR, 0.61); err != nil {
		t.Fatal(err)
	}

	info, err := s.KeyBlind(ctx, u["lan"], d1, map[string]string{"ho_ten": "Nguyễn Văn Đức", "so_cccd": "001098012345"})
	if err != nil || info.Pass != 1 {
		t.Fatalf("lan keys: pass %d, %v", info.Pass, err)
	}
	// Minh sees the OCR suggestion, never Lan's values.
	fs, info, err := s.BlindFields(ctx, u["minh"], d1)
	if err != nil || info.Pass != 0 {
		t.Fatalf("minh's blind view: pass %d, %v", info.Pass, err)
	}
	m := blindMap(fs)
	if f := m["ho_ten"]; f.Value != "Nguyen Van Đuc" || f.Source != SourceOCR {
		t.Fatalf("minh sees ho_ten %+v, want the OCR suggestion", f)
	}
	if _, ok := m["so_cccd"]; ok {
		t.Fatalf("minh sees lan's so_cccd: %+v", m["so_cccd"])
	}
	// The current values hold nothing keyed yet.
	cur, _ := s.Fields(ctx, d1)
	for _, f := range cur {
		if f.Source != SourceOCR {
			t.Fatalf("a keyed value became current before comparison: %+v", f)
		}
	}
	info, err = s.KeyBlind(ctx, u["minh"], d1, map[string]string{"ho_ten": "Nguyễn Văn Đức", "so_cccd": "001098012354"})
	if err != nil || info.Pass != 2 {
		t.Fatalf("minh keys: pass %d, %v", info.Pass, err)
	}
	// Lan's view still shows only her own values.
	fs, info, _ = s.BlindFields(ctx, u["lan"], d1)
	if m := blindMap(fs); m["so_cccd"].Value != "001098012345" || m["so_cccd"].Source != SourceKeyed || info.Pass != 1 || info.Done {
		t.Fatalf("lan's view: %+v %+v", m, info)
	}
	// A clerk may change their own values until they finish.
	if _, err := s.KeyBlind(ctx, u["lan"], d1, map[string]string{"noi_sinh": "Hà Nội"}); err != nil {
		t.Fatal(err)
	}
	rec, err := s.FinishBlind(ctx, u["lan"], d1)
	if err != nil || rec.Compared {
		t.Fatalf("first finish: %+v, %v", rec, err)
	}
	if _, err := s.KeyBlind(ctx, u["lan"], d1, map[string]string{"ho_ten": "x"}); !errors.Is(err, ErrPassDone) {
		t.Fatalf("keying a finished pass: %v", err)
	}
	if _, err := s.KeyBlind(ctx, u["minh"], d1, map[string]string{"noi_sinh": "Hà Nội"}); err != nil {
		t.Fatal(err)
	}
	rec, err = s.FinishBlind(ctx, u["minh"], d1)
	if err != nil || !rec.Compared || rec.Matched != 2 || strings.Join(rec.Conflicts, ",") != "so_cccd" {
		t.Fatalf("comparison: %+v, %v", rec, err)
	}
	cur, _ = s.Fields(ctx, d1)
	got := map[string]FieldValue{}
	for _, f := range cur {
		got[f.Key] = f
	}
	if f := got["ho_ten"]; f.Value != "Nguyễn Văn Đức" || f.Source != SourceDoubleKeyed {
		t.Fatalf("ho_ten after comparison: %+v", f)
	}
	if f := got["noi_sinh"]; f.Value != "Hà Nội" || f.Source != SourceDoubleKeyed {
		t.Fatalf("noi_sinh after comparison: %+v", f)
	}
	if f, ok := got["so_cccd"]; ok {
		t.Fatalf("a mismatched value became current: %+v", f)
	}

	// Document 2: both agree on everything.
	for _, who := range []string{"minh", "lan"} {
		if _, err := s.KeyBlind(ctx, u[who], d2, map[string]string{"ho_ten": "Trần Thị Bích"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Transition(ctx, u["lan"], b.ID, StateReview, ""); !errors.Is(err, ErrDoubleKeyOpen) {
		t.Fatalf("submit with unfinished passes: %v", err)
	}
	for _, who := range []string{"minh", "lan"} {
		if _, err := s.FinishBlind(ctx, u[who], d2); err != nil {
			t.Fatal(err)
		}
	}
	st, _ := s.DoubleKeyStatus(ctx, b.ID)
	if st.BothDone != 2 || st.OpenConflicts != 1 || st.Ready() {
		t.Fatalf("status %+v", st)
	}
	if err := s.Transition(ctx, u["lan"], b.ID, StateReview, ""); !errors.Is(err, ErrDoubleKeyOpen) {
		t.Fatalf("submit with an open conflict: %v", err)
	} else if strings.Contains(err.Error(), "001098") {
		t.Fatalf("error holds a value: %v", err)
	}

	// Third-person rule: neither keyer sees or decides the conflict.
	for _, who := range []string{"lan", "minh"} {
		cs, err := s.Conflicts(ctx, u[who], b.ID)
		if err != nil || len(cs) != 0 {
			t.Fatalf("%s sees conflicts %+v, %v", who, cs, err)
		}
		if err := s.ResolveConflict(ctx, u[who], d1, "so_cccd", "001098012345"); !errors.Is(err, ErrNotThirdPerson) {
			t.Fatalf("%s resolves: %v", who, err)
		}
	}
	cs, err := s.Conflicts(ctx, u["son"], b.ID)
	if err != nil || len(cs) != 1 {
		t.Fatalf("supervisor's conflicts: %+v, %v", cs, err)
	}
	c := cs[0]
	if c.DocumentID != d1 || c.Key != "so_cccd" || c.Pass1 != "001098012345" || c.Pass2 != "001098012354" || c.Keyer1 != "lan" || c.Keyer2 != "minh" {
		t.Fatalf("conflict %+v", c)
	}
	if err := s.ResolveConflict(ctx, u["son"], d1, "ho_ten", "x"); !errors.Is(err, ErrNoConflict) {
		t.Fatalf("resolving a field without conflict: %v", err)
	}
	if err := s.ResolveConflict(ctx, u["son"], d1, "so_cccd", "001098012345"); err != nil {
		t.Fatal(err)
	}
	if err := s.ResolveConflict(ctx, u["hoa"], d1, "so_cccd", "001098012354"); !errors.Is(err, ErrNoConflict) {
		t.Fatalf("deciding twice: %v", err)
	}
	h, _ := s.FieldHistory(ctx, d1, "so_cccd")
	if len(h) != 1 || h[0].Value != "001098012345" || h[0].Source != SourceCorrected || h[0].By != "son" {
		t.Fatalf("decided value %+v", h)
	}
	// The decided value is searchable like any current value.
	if hits, err := s.Search(ctx, "001098012345", 10); err != nil || len(hits) != 1 || hits[0].DocumentID != d1 {
		t.Fatalf("search decided value: %+v, %v", hits, err)
	}
	if err := s.Transition(ctx, u["lan"], b.ID, StateReview, ""); err != nil {
		t.Fatalf("submit when settled: %v", err)
	}

	// Every step is audited, and no audit event holds a keyed value.
	ev, _ := s.AuditLog(ctx, 0)
	actions := map[string]int{}
	for _, e := range ev {
		actions[e.Action]++
		for _, v := range []string{"Nguyễn", "Nguyen", "001098", "Hà Nội", "Trần", "Bích"} {
			if strings.Contains(e.Detail+e.Object, v) {
				t.Errorf("audit event %s holds a value: %q", e.Action, e.Detail)
			}
		}
	}
	for a, n := range map[string]int{"doublekey.claim": 4, "doublekey.key": 6, "doublekey.finish": 4, "doublekey.compare": 2, "doublekey.resolve": 1} {
		if actions[a] != n {
			t.Errorf("audit %s: %d events, want %d", a, actions[a], n)
		}
	}
	if err := s.VerifyAudit(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestDoubleBlindRules: a third clerk cannot take a pass, a clerk has one pass per document,
// current values cannot be written around the passes, and a non-double-blind batch has no passes.
func TestDoubleBlindRules(t *testing.T) {
	s, b, docs, u := blindSetup(t, 1)
	ctx := context.Background()
	d := docs[0].ID
	if _, err := s.FinishBlind(ctx, u["lan"], d); !errors.Is(err, ErrNoPass) {
		t.Fatalf("finish without a pass: %v", err)
	}
	for _, who := range []string{"lan", "minh"} {
		if _, err := s.KeyBlind(ctx, u[who], d, map[string]string{"k": who}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.KeyBlind(ctx, u["hoa"], d, map[string]string{"k": "v"}); !errors.Is(err, ErrPassesTaken) {
		t.Fatalf("third clerk: %v", err)
	}
	// Writing a keyed value straight into the current values would show it to the other keyer.
	if err := s.SetField(ctx, u["lan"], d, "k", "v", SourceKeyed, 1); !errors.Is(err, ErrDoubleBlindOnly) {
		t.Fatalf("SetField keyed on an unsettled double-blind document: %v", err)
	}
	if err := s.SetField(ctx, User{}, d, "k", "ocr", SourceOCR, 0.5); err != nil {
		t.Fatalf("OCR values are still stored: %v", err)
	}
	// Once settled (here: both agree), corrections go through SetField again.
	for _, who := range []string{"lan", "minh"} {
		if _, err := s.KeyBlind(ctx, u[who], d, map[string]string{"k": "same"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.FinishBlind(ctx, u[who], d); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetField(ctx, u["hoa"], d, "k", "sửa", SourceCorrected, 1); err != nil {
		t.Fatalf("correction after settling: %v", err)
	}
	// Switching: off is refused once passes exist; a plain batch has no blind view.
	if err := s.SetDoubleBlind(ctx, u["lan"], b.ID, false); !errors.Is(err, ErrPassesStarted) {
		t.Fatalf("turn off with passes: %v", err)
	}
	plain, err := s.CreateBatch(ctx, u["lan"], BatchSpec{Name: "thường", Office: "HN-01"})
	if err != nil {
		t.Fatal(err)
	}
	pd, _, err := s.AddDocument(ctx, u["lan"], NewDocument{BatchID: plain.ID, Origin: "p.png", Pages: []PageInput{pngPage(t, 30, 30, 9)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.BlindFields(ctx, u["lan"], pd.ID); !errors.Is(err, ErrNotDoubleBlind) {
		t.Fatalf("blind view of a plain batch: %v", err)
	}
	if _, err := s.KeyBlind(ctx, u["lan"], pd.ID, map[string]string{"k": "v"}); !errors.Is(err, ErrNotDoubleBlind) {
		t.Fatalf("blind keying in a plain batch: %v", err)
	}
	// Switched on while keying: the batch now needs two passes before review.
	if err := s.Transition(ctx, u["lan"], plain.ID, StateKeying, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDoubleBlind(ctx, u["lan"], plain.ID, true); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Batch(ctx, plain.ID); !got.DoubleBlind {
		t.Fatal("switch did not stick")
	}
	if err := s.Transition(ctx, u["lan"], plain.ID, StateReview, ""); !errors.Is(err, ErrDoubleKeyOpen) {
		t.Fatalf("submit a switched batch without passes: %v", err)
	}
	var de *DoubleKeyError
	if err := s.Transition(ctx, u["lan"], plain.ID, StateReview, ""); !errors.As(err, &de) || !strings.Contains(de.Localize("vi"), "0/1 hồ sơ") {
		t.Fatalf("bilingual message: %v", err)
	}
	if err := s.SetDoubleBlind(ctx, u["lan"], plain.ID, false); err != nil {
		t.Fatalf("turn off before any pass: %v", err)
	}
	if err := s.Transition(ctx, u["lan"], plain.ID, StateReview, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDoubleBlind(ctx, u["lan"], plain.ID, true); !errors.Is(err, ErrBatchLocked) {
		t.Fatalf("switch under review: %v", err)
	}
}

// TestDoubleBlindConcurrent: two clerks key the same documents at the same time, field by
// field, while a third tries to grab passes too; every document ends with exactly two passes by
// two different clerks, compared once, all values agreeing.
func TestDoubleBlindConcurrent(t *testing.T) {
	const nDocs, nFields = 12, 6
	s, b, docs, u := blindSetup(t, nDocs)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 3*nDocs*(nFields+1))
	compared := make(chan Reconciliation, 3*nDocs)
	for _, who := range []string{"lan", "minh", "hoa"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range docs {
				// each clerk walks the batch from a different end
				d := docs[i]
				if who == "minh" {
					d = docs[len(docs)-1-i]
				}
				ok := true
				for k := 0; k < nFields; k++ {
					_, err := s.KeyBlind(ctx, u[who], d.ID, map[string]string{fmt.Sprintf("f%d", k): fmt.Sprintf("giá trị %d-%d", d.Seq, k)})
					if errors.Is(err, ErrPassesTaken) { // two others were first: fine
						ok = false
						break
					}
					if err != nil {
						errs <- fmt.Errorf("%s doc %d: %w", who, d.ID, err)
						ok = false
						break
					}
				}
				if !ok {
					continue
				}
				rec, err := s.FinishBlind(ctx, u[who], d.ID)
				if err != nil {
					errs <- err
					continue
				}
				if rec.Compared {
					compared <- rec
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	close(compared)
	for err := range errs {
		t.Error(err)
	}
	n := 0
	for rec := range compared {
		n++
		if rec.Matched != nFields || len(rec.Conflicts) != 0 {
			t.Errorf("comparison %+v", rec)
		}
	}
	if n != nDocs {
		t.Errorf("%d comparisons, want one per document (%d)", n, nDocs)
	}
	for _, d := range docs {
		var passes, users, done int
		s.r.QueryRow(`SELECT count(*), count(DISTINCT user_id), sum(done_at <> '') FROM key_passes WHERE document_id = ?`, d.ID).Scan(&passes, &users, &done)
		if passes != 2 || users != 2 || done != 2 {
			t.Errorf("document %d: %d passes by %d users, %d done", d.ID, passes, users, done)
		}
		fs, _ := s.Fields(ctx, d.ID)
		if len(fs) != nFields {
			t.Errorf("document %d: %d current values", d.ID, len(fs))
		}
		for _, f := range fs {
			if f.Source != SourceDoubleKeyed || f.Value != fmt.Sprintf("giá trị %d-%s", d.Seq, strings.TrimPrefix(f.Key, "f")) {
				t.Errorf("document %d: %+v", d.ID, f)
			}
		}
	}
	st, err := s.DoubleKeyStatus(ctx, b.ID)
	if err != nil || !st.Ready() {
		t.Fatalf("status %+v, %v", st, err)
	}
	if err := s.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
}
