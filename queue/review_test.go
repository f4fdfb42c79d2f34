package queue

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// reviewFixture: an admin (admin+clerk), a clerk, two supervisors and an admin-only user; a
// batch created by the clerk holding n documents of one OCR'd page each, every document with
// one field keyed by the clerk.
type reviewFixture struct {
	s                        *Store
	admin, clerk, sup1, sup2 User
	adminOnly                User
	batch                    Batch
	docs                     []Document
	problems                 map[int64]DocProblems
}

func newReviewFixture(t *testing.T, n int) *reviewFixture {
	t.Helper()
	s, admin := openTest(t)
	ctx := context.Background()
	f := &reviewFixture{s: s, admin: admin, problems: map[int64]DocProblems{}}
	mk := func(name, full string, roles ...Role) User {
		u, err := s.CreateUser(ctx, &admin, name, full, "mật-khẩu-dài", roles)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	f.clerk = mk("nhap.lieu", "Nguyễn Thị Nhập", RoleClerk)
	f.sup1 = mk("kiem.soat1", "Trần Văn Kiểm", RoleSupervisor)
	f.sup2 = mk("kiem.soat2", "Lê Thị Duyệt (Phó phòng)", RoleSupervisor)
	f.adminOnly = mk("quan.tri", "Phạm Quản Trị", RoleAdmin)
	b, err := s.CreateBatch(ctx, f.clerk, BatchSpec{Name: "Lô duyệt", Office: "HN-01"})
	if err != nil {
		t.Fatal(err)
	}
	f.batch = b
	for i := 0; i < n; i++ {
		d, pages, err := s.AddDocument(ctx, f.clerk, NewDocument{BatchID: b.ID, Origin: fmt.Sprintf("hs-%d.png", i), Pages: []PageInput{pngPage(t, 20, 30, uint8(10+i))}})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SaveOCR(ctx, pages[0].ID, OCRResult{Text: "Hà Nội", MeanConf: 91, Engine: "e", Model: "m"}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetField(ctx, f.clerk, d.ID, "so", fmt.Sprint(100+i), SourceKeyed, 1); err != nil {
			t.Fatal(err)
		}
		f.docs = append(f.docs, d)
	}
	return f
}

func (f *reviewFixture) check(ctx context.Context, id int64) (DocProblems, error) {
	return f.problems[id], nil
}

func (f *reviewFixture) submit(t *testing.T) SubmitResult {
	t.Helper()
	res, err := f.s.Submit(context.Background(), f.clerk, f.batch.ID, f.check, true)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (f *reviewFixture) state(t *testing.T) State {
	t.Helper()
	b, err := f.s.Batch(context.Background(), f.batch.ID)
	if err != nil {
		t.Fatal(err)
	}
	return b.State
}

// TestRoleMatrix checks the permission table against the intended one (every action × every
// role), and that the store enforces it: each single-role user is allowed or refused by the
// store method behind each action.
func TestRoleMatrix(t *testing.T) {
	want := map[Action][]Role{
		ActionCreateBatch:    {RoleClerk, RoleSupervisor, RoleAdmin},
		ActionCapture:        {RoleClerk, RoleSupervisor, RoleAdmin},
		ActionKey:            {RoleClerk, RoleSupervisor, RoleAdmin},
		ActionSubmit:         {RoleClerk, RoleSupervisor, RoleAdmin},
		ActionReview:         {RoleSupervisor},
		ActionSign:           {RoleSupervisor},
		ActionManageUsers:    {RoleAdmin},
		ActionManageTypes:    {RoleAdmin},
		ActionManageSettings: {RoleAdmin},
		ActionSync:           {RoleClerk, RoleSupervisor, RoleAdmin},
	}
	if len(want) != len(Actions) {
		t.Fatalf("%d actions in the table, %d expected", len(Actions), len(want))
	}
	for _, a := range Actions {
		for _, r := range Roles {
			exp := slices.Contains(want[a], r)
			if got := Allowed(r, a); got != exp {
				t.Errorf("Allowed(%s, %s) = %t, want %t", r, a, got, exp)
			}
			u := User{Username: "u", Roles: []Role{r}}
			if err := Require(u, a); (err == nil) != exp || (err != nil && !errors.Is(err, ErrNotPermitted)) {
				t.Errorf("Require(%s, %s) = %v", r, a, err)
			}
		}
	}
	if (User{Roles: []Role{RoleSupervisor}, Disabled: true}).Can(ActionReview) {
		t.Error("a disabled user may review")
	}
	if err := Require(User{Username: "x", Roles: []Role{RoleClerk}}, ActionSign); err == nil ||
		!strings.Contains(err.Error(), "không được phép") || !strings.Contains(err.Error(), "does not allow") {
		t.Errorf("refusal is not bilingual: %v", err)
	}

	// The store enforces the table. One fresh user per role, who did nothing in the batches.
	ctx := context.Background()
	f := newReviewFixture(t, 2)
	users := map[Role]User{}
	for _, r := range Roles {
		u, err := f.s.CreateUser(ctx, &f.admin, "chi."+string(r), "Người "+string(r), "mật-khẩu-dài", []Role{r})
		if err != nil {
			t.Fatal(err)
		}
		users[r] = u
	}
	refused := func(err error) bool { return errors.Is(err, ErrNotPermitted) }
	for _, r := range Roles {
		u := users[r]
		// create batch
		_, err := f.s.CreateBatch(ctx, u, BatchSpec{Office: "HN-01"})
		if refused(err) == slices.Contains(want[ActionCreateBatch], r) {
			t.Errorf("%s: CreateBatch: %v", r, err)
		}
		// manage users
		_, err = f.s.CreateUser(ctx, &u, "moi."+string(r), "", "mật-khẩu-dài", []Role{RoleClerk})
		if refused(err) == slices.Contains(want[ActionManageUsers], r) {
			t.Errorf("%s: CreateUser: %v", r, err)
		}
		// submit: a batch of its own, so that the role alone decides
		b, err := f.s.CreateBatch(ctx, f.clerk, BatchSpec{Office: "HN-01"})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.s.AddDocument(ctx, f.clerk, NewDocument{BatchID: b.ID, Origin: "x", Pages: []PageInput{pngPage(t, 10, 10, 1)}}); err != nil {
			t.Fatal(err)
		}
		pages, _ := f.s.BatchPages(ctx, b.ID)
		f.s.SaveOCR(ctx, pages[0].ID, OCRResult{Text: "x", MeanConf: 90, Engine: "e", Model: "m"})
		_, err = f.s.Submit(ctx, u, b.ID, f.check, false)
		if refused(err) == slices.Contains(want[ActionSubmit], r) || (err != nil && !refused(err)) {
			t.Errorf("%s: Submit: %v", r, err)
		}
		if err != nil { // put it in review for the review actions
			if _, err := f.s.Submit(ctx, f.clerk, b.ID, f.check, false); err != nil {
				t.Fatal(err)
			}
		}
		// review: sample, accept, return, approve
		docs, _ := f.s.Documents(ctx, b.ID)
		_, err = f.s.Sample(ctx, u, b.ID, 50, 1)
		if refused(err) == slices.Contains(want[ActionReview], r) || (err != nil && !refused(err)) {
			t.Errorf("%s: Sample: %v", r, err)
		}
		err = f.s.AcceptDocument(ctx, u, b.ID, docs[0].ID, "")
		if refused(err) == slices.Contains(want[ActionReview], r) || (err != nil && !refused(err)) {
			t.Errorf("%s: AcceptDocument: %v", r, err)
		}
		err = f.s.Return(ctx, u, b.ID, "Thiếu trang 2")
		if refused(err) == slices.Contains(want[ActionReview], r) || (err != nil && !refused(err)) {
			t.Errorf("%s: Return: %v", r, err)
		}
		if err == nil {
			if _, err := f.s.Submit(ctx, f.clerk, b.ID, f.check, false); err != nil {
				t.Fatal(err)
			}
		}
		err = f.s.Approve(ctx, u, b.ID)
		if refused(err) == slices.Contains(want[ActionReview], r) || (err != nil && !refused(err)) {
			t.Errorf("%s: Approve: %v", r, err)
		}
		if err != nil {
			if err := f.s.Approve(ctx, users[RoleSupervisor], b.ID); err != nil {
				t.Fatal(err)
			}
		}
		// sign: the approver is the supervisor in every case, so only the supervisor may sign.
		err = f.s.AuthorizeSigning(ctx, u, b.ID)
		if refused(err) == slices.Contains(want[ActionSign], r) || (err != nil && !refused(err)) {
			t.Errorf("%s: AuthorizeSigning: %v", r, err)
		}
		if err := f.s.Transition(ctx, users[RoleSupervisor], b.ID, StateSigned, ""); err != nil {
			t.Fatal(err)
		}
		// sync
		err = f.s.Transition(ctx, u, b.ID, StateSynced, "")
		if refused(err) == slices.Contains(want[ActionSync], r) || (err != nil && !refused(err)) {
			t.Errorf("%s: Transition→synced: %v", r, err)
		}
	}
}

func TestFourEyes(t *testing.T) {
	ctx := context.Background()
	f := newReviewFixture(t, 3)
	// sup1 corrects one field of the batch; an admin-supervisor imports a document.
	if err := f.s.SetField(ctx, f.sup1, f.docs[1].ID, "so", "999", SourceCorrected, 1); err != nil {
		t.Fatal(err)
	}
	both, err := f.s.CreateUser(ctx, &f.admin, "ca.hai", "Hoàng Cả Hai", "mật-khẩu-dài", []Role{RoleAdmin, RoleSupervisor})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.s.AddDocument(ctx, both, NewDocument{BatchID: f.batch.ID, Origin: "them.png", Pages: []PageInput{pngPage(t, 10, 10, 3)}}); err != nil {
		t.Fatal(err)
	}
	pages, _ := f.s.BatchPages(ctx, f.batch.ID)
	for _, p := range pages {
		if p.OCRState == "pending" {
			f.s.SaveOCR(ctx, p.ID, OCRResult{Text: "x", MeanConf: 90, Engine: "e", Model: "m"})
		}
	}
	f.submit(t)

	err = f.s.Approve(ctx, f.sup1, f.batch.ID)
	var fe *FourEyesError
	if !errors.As(err, &fe) || fe.Reason != "keyed" || !strings.Contains(err.Error(), "bốn mắt") || !strings.Contains(err.Error(), "four-eyes") {
		t.Fatalf("approve by a supervisor who corrected a field: %v", err)
	}
	if err := f.s.AcceptDocument(ctx, f.sup1, f.batch.ID, f.docs[0].ID, ""); !errors.Is(err, ErrFourEyes) {
		t.Fatalf("accept by a keyer: %v", err)
	}
	if err := f.s.Transition(ctx, f.sup1, f.batch.ID, StateApproved, ""); !errors.Is(err, ErrFourEyes) {
		t.Fatalf("Transition→approved by a keyer: %v", err)
	}
	if err := f.s.Approve(ctx, both, f.batch.ID); !errors.As(err, &fe) || fe.Reason != "documents" {
		t.Fatalf("approve by the supervisor who imported a document: %v", err)
	}
	if f.state(t) != StateReview {
		t.Fatalf("state %s after refusals", f.state(t))
	}
	// Returning is allowed to anyone reviewing; approving only to the outsider, once they
	// accepted the document sup1 corrected (always in the sample).
	if err := f.s.Approve(ctx, f.sup2, f.batch.ID); !errors.Is(err, ErrSampleOpen) {
		t.Fatalf("approve with the corrected document unseen: %v", err)
	}
	if err := f.s.AcceptDocument(ctx, f.sup2, f.batch.ID, f.docs[1].ID, ""); err != nil {
		t.Fatal(err)
	}
	if err := f.s.Approve(ctx, f.sup2, f.batch.ID); err != nil {
		t.Fatal(err)
	}
	if a, err := f.s.Approver(ctx, f.batch.ID); err != nil || a.ID != f.sup2.ID {
		t.Fatalf("approver %+v %v", a, err)
	}
	// Only the approver signs, and only if the four-eyes rule still holds.
	if err := f.s.AuthorizeSigning(ctx, f.sup1, f.batch.ID); !errors.As(err, &fe) || fe.Reason != "not_approver" {
		t.Fatalf("signing by a supervisor who did not approve: %v", err)
	}
	if err := f.s.Transition(ctx, f.sup1, f.batch.ID, StateSigned, ""); !errors.Is(err, ErrFourEyes) {
		t.Fatalf("Transition→signed by a non-approver: %v", err)
	}
	if err := f.s.MarkSigned(ctx, f.sup1, f.batch.ID, SigningKey{}, nil, func(int64) ([]byte, error) { return []byte("{}"), nil }); !errors.Is(err, ErrFourEyes) {
		t.Fatalf("MarkSigned by a non-approver: %v", err)
	}
	if err := f.s.AuthorizeSigning(ctx, f.sup2, f.batch.ID); err != nil {
		t.Fatalf("approver may sign: %v", err)
	}
	// OCR values stored by a supervisor (running extraction) are not keying.
	f2 := newReviewFixture(t, 1)
	if err := f2.s.SetField(ctx, f2.sup1, f2.docs[0].ID, "ten", "Hà", SourceOCR, 0.9); err != nil {
		t.Fatal(err)
	}
	f2.submit(t)
	if err := f2.s.Approve(ctx, f2.sup1, f2.batch.ID); err != nil {
		t.Fatalf("OCR values by the reviewer block approval: %v", err)
	}
	// No one approves their own keying, even holding every role.
	f3 := newReviewFixture(t, 1)
	all, _ := f3.s.CreateUser(ctx, &f3.admin, "tat.ca", "", "mật-khẩu-dài", []Role{RoleClerk, RoleSupervisor, RoleAdmin})
	if err := f3.s.SetField(ctx, all, f3.docs[0].ID, "so", "1", SourceKeyed, 1); err != nil {
		t.Fatal(err)
	}
	f3.submit(t)
	if err := f3.s.Approve(ctx, all, f3.batch.ID); !errors.Is(err, ErrFourEyes) {
		t.Fatalf("own keying approved: %v", err)
	}
}

func TestSubmitValidation(t *testing.T) {
	ctx := context.Background()
	f := newReviewFixture(t, 3)
	auditLen := func() int { ev, _ := f.s.AuditLog(ctx, 0); return len(ev) }
	f.problems[f.docs[1].ID] = DocProblems{Errors: 2, Warnings: 1}
	f.problems[f.docs[2].ID] = DocProblems{Warnings: 1}
	before := auditLen()
	_, err := f.s.Submit(ctx, f.clerk, f.batch.ID, f.check, true)
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Errors != 2 || !slices.Equal(ve.Documents, []int64{f.docs[1].ID}) {
		t.Fatalf("hard error: %v", err)
	}
	if !strings.Contains(err.Error(), "lỗi") || !strings.Contains(err.Error(), "errors") {
		t.Errorf("not bilingual: %v", err)
	}
	if f.state(t) != StateCapturing || auditLen() != before {
		t.Fatalf("refused submit changed something: %s, %d events", f.state(t), auditLen()-before)
	}
	delete(f.problems, f.docs[1].ID)
	_, err = f.s.Submit(ctx, f.clerk, f.batch.ID, f.check, false)
	var we *WarningsError
	if !errors.As(err, &we) || we.Warnings != 1 {
		t.Fatalf("unconfirmed warnings: %v", err)
	}
	// A page still waiting for OCR refuses it too.
	_, pages, err := f.s.AddDocument(ctx, f.clerk, NewDocument{BatchID: f.batch.ID, Origin: "new", Pages: []PageInput{pngPage(t, 10, 10, 9)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Submit(ctx, f.clerk, f.batch.ID, f.check, true); !errors.Is(err, ErrOCRPending) {
		t.Fatalf("OCR pending: %v", err)
	}
	f.s.SaveOCR(ctx, pages[0].ID, OCRResult{Text: "x", MeanConf: 20, Engine: "e", Model: "m"}) // low confidence page
	res, err := f.s.Submit(ctx, f.clerk, f.batch.ID, f.check, true)
	if err != nil {
		t.Fatal(err)
	}
	if res.Round != 1 || res.Documents != 4 || res.Warnings != 1 || res.LowPages != 1 || f.state(t) != StateReview {
		t.Fatalf("submit %+v, state %s", res, f.state(t))
	}
	ev, _ := f.s.AuditLog(ctx, 3)
	if ev[0].Action != "batch.state" || !strings.Contains(ev[0].Detail, "keying→review") || !strings.Contains(ev[0].Detail, "warnings_confirmed=true") ||
		!strings.Contains(ev[1].Detail, "capturing→keying") || ev[0].Actor != "nhap.lieu" {
		t.Fatalf("audit: %+v", ev[:2])
	}
	if _, err := f.s.Submit(ctx, f.clerk, f.batch.ID, f.check, true); !errors.Is(err, ErrNotSubmittable) {
		t.Fatalf("second submit: %v", err)
	}
}

func TestSampling(t *testing.T) {
	ctx := context.Background()
	// newSampled is a 20-document batch in review: two documents with warnings, one with a
	// low-confidence OCR value.
	newSampled := func() (*reviewFixture, []int64) {
		f := newReviewFixture(t, 20)
		f.problems[f.docs[3].ID] = DocProblems{Warnings: 1}
		f.problems[f.docs[11].ID] = DocProblems{Warnings: 2}
		if err := f.s.SetField(ctx, f.admin, f.docs[17].ID, "ten", "Hà", SourceOCR, 0.31); err != nil {
			t.Fatal(err)
		}
		f.submit(t)
		return f, []int64{f.docs[3].ID, f.docs[11].ID, f.docs[17].ID}
	}
	f, problem := newSampled()
	q, err := f.s.ReviewQueue(ctx)
	if err != nil || len(q) != 1 {
		t.Fatalf("queue %+v %v", q, err)
	}
	// The documents to be seen anyway are in the sample from the submit on.
	if it := q[0]; it.ID != f.batch.ID || it.Documents != 20 || it.Warnings != 3 || it.LowFields != 1 || it.ProblemDocs != 3 ||
		it.SubmittedBy != "nhap.lieu" || it.Round != 1 || it.Sampled != 3 || it.SamplePct != -1 {
		t.Fatalf("queue item %+v", it)
	}
	draw := func(f *reviewFixture, pct int, seed int64) (random, prob []int64) {
		t.Helper()
		got, err := f.s.Sample(ctx, f.sup1, f.batch.ID, pct, seed)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range got {
			switch d.Sampled {
			case "random":
				random = append(random, d.DocumentID)
			case "problem":
				prob = append(prob, d.DocumentID)
			default:
				t.Fatalf("sampled doc %+v", d)
			}
		}
		return
	}
	r0, p0 := draw(f, 25, 42)
	// 25% of 20 = 5 at random; problem documents drawn stay "problem" (at most 3 of them).
	if len(r0) < 2 || len(r0) > 5 || !slices.Equal(p0, problem) {
		t.Fatalf("25%%: random %v problem %v", r0, p0)
	}
	for _, id := range r0 {
		if slices.Contains(problem, id) {
			t.Fatalf("document %d counted twice", id)
		}
	}
	got, _ := f.s.ReviewDocuments(ctx, f.batch.ID)
	for _, d := range got {
		switch {
		case d.DocumentID == f.docs[3].ID && !slices.Equal(d.Reasons, []string{ReasonWarnings}),
			d.DocumentID == f.docs[17].ID && !slices.Equal(d.Reasons, []string{ReasonLowConfidence}),
			slices.Contains(r0, d.DocumentID) && !slices.Equal(d.Reasons, []string{ReasonRandom}):
			t.Fatalf("reasons of document %d: %v", d.DocumentID, d.Reasons)
		}
	}
	// Drawn once per round: any later call, whatever percent and seed, gets the same sample.
	for _, again := range []struct {
		pct  int
		seed int64
	}{{25, 42}, {0, 1}, {100, 5}, {10, 3}} {
		r, p := draw(f, again.pct, again.seed)
		if !slices.Equal(r, r0) || !slices.Equal(p, p0) {
			t.Fatalf("%d%% seed %d redrew the sample: %v %v, first %v %v", again.pct, again.seed, r, p, r0, p0)
		}
	}
	ev, _ := f.s.AuditLog(ctx, 0)
	draws := 0
	for _, e := range ev {
		if e.Action == "review.sample" {
			draws++
		}
	}
	if draws != 1 {
		t.Fatalf("%d review.sample events, want the one draw", draws)
	}
	if rr, err := f.s.CurrentReviewRound(ctx, f.batch.ID); err != nil || rr.SamplePct != 25 || rr.SampleSeed != 42 || !rr.SampleDrawn() {
		t.Fatalf("round %+v %v", rr, err)
	}
	// The random part depends on the seed and nothing else.
	ids := make([]int64, 20)
	for i := range ids {
		ids[i] = f.docs[i].ID
	}
	if a, b := randomPick(ids, 25, 42), randomPick(ids, 25, 42); !slices.Equal(a, b) || len(a) != 5 {
		t.Fatalf("same seed, different pick: %v %v", a, b)
	}
	differs := false
	for seed := int64(1); seed < 10 && !differs; seed++ {
		differs = !slices.Equal(randomPick(ids, 25, seed), randomPick(ids, 25, 42))
	}
	if !differs {
		t.Fatal("the sample does not depend on the seed")
	}
	f100, _ := newSampled()
	if all, prob := draw(f100, 100, 5); len(all)+len(prob) != 20 {
		t.Fatalf("100%%: %d random + %d problem", len(all), len(prob))
	}
	sample := append(append([]int64(nil), r0...), problem...)
	if err := f.s.Approve(ctx, f.sup1, f.batch.ID); !errors.Is(err, ErrSampleOpen) {
		t.Fatalf("approve with the sample unchecked: %v", err)
	}
	for _, id := range sample {
		if err := f.s.AcceptDocument(ctx, f.sup1, f.batch.ID, id, ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.s.AcceptDocument(ctx, f.sup1, f.batch.ID, 999999, ""); !errors.Is(err, ErrNotInBatch) {
		t.Fatalf("accept of a foreign document: %v", err)
	}
	if err := f.s.Approve(ctx, f.sup1, f.batch.ID); err != nil {
		t.Fatal(err)
	}
	if f.state(t) != StateApproved {
		t.Fatalf("state %s", f.state(t))
	}
	ev, _ = f.s.AuditLog(ctx, 1)
	if want := fmt.Sprintf("sampled=%d accepted=%d", len(sample), len(sample)); !strings.Contains(ev[0].Detail, want) {
		t.Fatalf("approve audit %q, want %q", ev[0].Detail, want)
	}
}

// TestRoundSampleMustSee (finding 6): when a round opens, its sample holds, drawn or not,
// every document returned in the previous round, every one with a value corrected or an
// OCR value under LowFieldConfidence accepted since the previous round; values from
// before the previous round do not count again. Approval (Approve, and Transition) waits
// for each of them.
func TestRoundSampleMustSee(t *testing.T) {
	ctx := context.Background()
	f := newReviewFixture(t, 6)
	s, d := f.s, f.docs
	// Round 1: document 0 corrected, document 1 accepted from OCR at 55%, document 2
	// accepted from OCR at 95%.
	if err := s.SetField(ctx, f.clerk, d[0].ID, "so", "100a", SourceCorrected, 1); err != nil {
		t.Fatal(err)
	}
	for i, conf := range map[int]float64{1: 0.55, 2: 0.95} {
		if err := s.SetField(ctx, User{}, d[i].ID, "ten", "Hà Nội", SourceOCR, conf); err != nil {
			t.Fatal(err)
		}
		if err := s.SetField(ctx, f.clerk, d[i].ID, "ten", "Hà Nội", SourceOCRAccepted, conf); err != nil {
			t.Fatal(err)
		}
	}
	res := f.submit(t)
	if res.Sampled != 2 {
		t.Fatalf("round 1 must see %d documents, want 2 (corrected, low accepted)", res.Sampled)
	}
	reasons := func() map[int64][]string {
		t.Helper()
		m := map[int64][]string{}
		rd, err := s.ReviewDocuments(ctx, f.batch.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range rd {
			if len(x.Reasons) > 0 {
				m[x.DocumentID] = x.Reasons
			}
		}
		return m
	}
	if got := reasons(); len(got) != 2 || !slices.Equal(got[d[0].ID], []string{ReasonCorrected}) || !slices.Equal(got[d[1].ID], []string{ReasonOCRAcceptedLow}) {
		t.Fatalf("round 1 reasons %v", got)
	}
	// The supervisor returns document 3 (not in the sample) and the batch.
	if err := s.ReturnDocument(ctx, f.sup1, f.batch.ID, d[3].ID, "Thiếu trang"); err != nil {
		t.Fatal(err)
	}
	if err := s.Return(ctx, f.sup1, f.batch.ID, "Sửa hồ sơ 4"); err != nil {
		t.Fatal(err)
	}
	// Between the rounds: document 4 corrected, document 5 accepted from OCR at 40%.
	if err := s.SetField(ctx, f.clerk, d[4].ID, "so", "104b", SourceCorrected, 1); err != nil {
		t.Fatal(err)
	}
	if err := s.SetField(ctx, User{}, d[5].ID, "ten", "Huế", SourceOCR, 0.40); err != nil {
		t.Fatal(err)
	}
	if err := s.SetField(ctx, f.clerk, d[5].ID, "ten", "Huế", SourceOCRAccepted, 0.40); err != nil {
		t.Fatal(err)
	}
	res = f.submit(t)
	got := reasons()
	want := map[int64][]string{d[3].ID: {ReasonReturned}, d[4].ID: {ReasonCorrected}, d[5].ID: {ReasonOCRAcceptedLow}}
	if res.Round != 2 || res.Sampled != 3 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("round 2: %+v, reasons %v, want %v", res, got, want)
	}
	// Nothing drawn yet: approval waits for the three all the same, through either path.
	if err := s.Approve(ctx, f.sup1, f.batch.ID); !errors.Is(err, ErrSampleOpen) {
		t.Fatalf("approve: %v", err)
	}
	if err := s.Transition(ctx, f.sup1, f.batch.ID, StateApproved, ""); !errors.Is(err, ErrSampleOpen) {
		t.Fatalf("Transition→approved: %v", err)
	}
	// A 0% draw keeps them; accepting them lets the batch through.
	docs, err := s.Sample(ctx, f.sup1, f.batch.ID, 0, 1)
	if err != nil || len(docs) != 3 {
		t.Fatalf("0%% sample %+v %v", docs, err)
	}
	for _, x := range docs {
		if err := s.AcceptDocument(ctx, f.sup1, f.batch.ID, x.DocumentID, ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Approve(ctx, f.sup1, f.batch.ID); err != nil {
		t.Fatal(err)
	}
}

// TestReturnWithComments: a returned document blocks approval; the batch goes back with a
// comment; the clerk reads both comments, fixes and submits again (round 2).
func TestReturnWithComments(t *testing.T) {
	ctx := context.Background()
	f := newReviewFixture(t, 2)
	f.submit(t)
	docComment := "Trang 2 mờ, quét lại (số CCCD không đọc được)"
	if err := f.s.ReturnDocument(ctx, f.sup1, f.batch.ID, f.docs[1].ID, "  "); !errors.Is(err, ErrCommentRequired) {
		t.Fatalf("return without comment: %v", err)
	}
	if err := f.s.ReturnDocument(ctx, f.sup1, f.batch.ID, f.docs[1].ID, docComment); err != nil {
		t.Fatal(err)
	}
	if err := f.s.Approve(ctx, f.sup1, f.batch.ID); !errors.Is(err, ErrDocReturned) {
		t.Fatalf("approve with a returned document: %v", err)
	}
	if err := f.s.Return(ctx, f.sup1, f.batch.ID, ""); !errors.Is(err, ErrCommentRequired) {
		t.Fatalf("return without comment: %v", err)
	}
	if err := f.s.Return(ctx, f.clerk, f.batch.ID, "x"); !errors.Is(err, ErrNotPermitted) {
		t.Fatalf("clerk returning: %v", err)
	}
	batchComment := "Hồ sơ 2 cần quét lại; các hồ sơ khác ổn."
	if err := f.s.Return(ctx, f.sup1, f.batch.ID, batchComment); err != nil {
		t.Fatal(err)
	}
	if f.state(t) != StateReturned {
		t.Fatalf("state %s", f.state(t))
	}
	cs, err := f.s.Comments(ctx, f.batch.ID)
	if err != nil || len(cs) != 2 {
		t.Fatalf("comments %+v %v", cs, err)
	}
	if cs[0].DocumentID != f.docs[1].ID || cs[0].Body != docComment || cs[0].Author != "kiem.soat1" || cs[0].AuthorName != "Trần Văn Kiểm" ||
		cs[1].DocumentID != 0 || cs[1].Body != batchComment || cs[1].Round != 1 {
		t.Fatalf("comments %+v", cs)
	}
	// The audit log has the comments' lengths, never their text.
	ev, _ := f.s.AuditLog(ctx, 0)
	found := 0
	for _, e := range ev {
		if strings.Contains(e.Detail, "quét lại") || strings.Contains(e.Detail, "CCCD") {
			t.Fatalf("comment text in the audit log: %+v", e)
		}
		if strings.Contains(e.Detail, fmt.Sprintf("comment_len=%d", len([]rune(batchComment)))) && strings.Contains(e.Detail, "review→returned") ||
			e.Action == "review.return_document" && strings.Contains(e.Detail, fmt.Sprintf("comment_len=%d", len([]rune(docComment)))) {
			found++
		}
	}
	if found != 2 {
		t.Fatalf("return events with comment length: %d", found)
	}
	// The clerk corrects and submits again: round 2, earlier decisions gone, comments kept.
	if err := f.s.SetField(ctx, f.clerk, f.docs[1].ID, "so", "201", SourceCorrected, 1); err != nil {
		t.Fatal(err)
	}
	res := f.submit(t)
	if res.Round != 2 {
		t.Fatalf("round %d", res.Round)
	}
	rd, _ := f.s.ReviewDocuments(ctx, f.batch.ID)
	if len(rd) != 2 || rd[1].Decision != "" {
		t.Fatalf("round 2 documents %+v", rd)
	}
	if cs, _ := f.s.Comments(ctx, f.batch.ID); len(cs) != 2 {
		t.Fatalf("comments after resubmit: %d", len(cs))
	}
	// The document returned in round 1 is in round 2's sample, drawn or not.
	if err := f.s.Approve(ctx, f.sup1, f.batch.ID); !errors.Is(err, ErrSampleOpen) {
		t.Fatalf("approve with the returned document unseen: %v", err)
	}
	if err := f.s.AcceptDocument(ctx, f.sup1, f.batch.ID, f.docs[1].ID, ""); err != nil {
		t.Fatal(err)
	}
	if err := f.s.Approve(ctx, f.sup1, f.batch.ID); err != nil {
		t.Fatal(err)
	}
	// An approved batch can still be returned, and then nobody is its approver.
	if err := f.s.Return(ctx, f.sup2, f.batch.ID, "Sai loại hồ sơ"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Approver(ctx, f.batch.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("approver after return: %v", err)
	}
}

// TestFieldsLockedAfterSubmit: once a batch is in review (and after approval), no field value
// can change, so what is approved and signed is what was submitted; a returned batch opens
// again for its clerks.
func TestFieldsLockedAfterSubmit(t *testing.T) {
	ctx := context.Background()
	f := newReviewFixture(t, 1)
	f.submit(t)
	d := f.docs[0].ID
	for _, src := range []FieldSource{SourceKeyed, SourceCorrected, SourceOCR} {
		if err := f.s.SetField(ctx, f.clerk, d, "so", "999", src, 1); !errors.Is(err, ErrFieldsLocked) {
			t.Fatalf("%s value in review: %v, want ErrFieldsLocked", src, err)
		}
	}
	if err := f.s.Return(ctx, f.sup1, f.batch.ID, "Sai số hồ sơ"); err != nil {
		t.Fatal(err)
	}
	if err := f.s.SetField(ctx, f.clerk, d, "so", "101", SourceCorrected, 1); err != nil {
		t.Fatalf("returned batch: %v", err)
	}
	fields, err := f.s.Fields(ctx, d)
	if err != nil || len(fields) != 1 || fields[0].Value != "101" {
		t.Fatalf("fields %+v, %v", fields, err)
	}
}

// TestMigration0008KeepsRoundsInFlight: a store from before migration 0008 with a round in
// review (a sample drawn, problem documents) keeps, after the upgrade, its drawn documents
// and has its problem documents in the sample; approval then waits for them.
func TestMigration0008KeepsRoundsInFlight(t *testing.T) {
	ctx := context.Background()
	f := newReviewFixture(t, 6)
	f.problems[f.docs[2].ID] = DocProblems{Warnings: 1}
	f.submit(t)
	// What a 0007 store held: the sample only in review_documents.sampled.
	dir := f.s.Dir()
	for _, q := range []string{
		`DROP TABLE review_sample`, `DROP TABLE user_certs`, `DROP TABLE signer_overrides`,
		`ALTER TABLE batch_reviews DROP COLUMN field_mark`, `DELETE FROM schema_migrations WHERE version = 8`,
		`UPDATE review_documents SET sampled = 'random' WHERE document_id = ` + fmt.Sprint(f.docs[4].ID),
		`UPDATE review_documents SET sampled = 'problem' WHERE document_id = ` + fmt.Sprint(f.docs[2].ID),
		`UPDATE batch_reviews SET sample_pct = 10, sample_seed = 3`,
	} {
		if _, err := f.s.w.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	f.s.Close()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	docs, err := s.SampledDocuments(ctx, f.batch.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64][]string{}
	for _, d := range docs {
		got[d.DocumentID] = d.Reasons
	}
	want := map[int64][]string{f.docs[2].ID: {ReasonWarnings}, f.docs[4].ID: {ReasonRandom}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("sample after the upgrade %v, want %v", got, want)
	}
	if err := s.Approve(ctx, f.sup1, f.batch.ID); !errors.Is(err, ErrSampleOpen) {
		t.Fatalf("approve: %v", err)
	}
}
