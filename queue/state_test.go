package queue

import (
	"context"
	"database/sql"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var allStates = []State{StateCapturing, StateKeying, StateReview, StateReturned, StateApproved, StateSigned, StateSynced}

// TestOneStateWriter: the SQL of the package's own code (tests aside) writes batches.state in
// exactly one statement, inside setState; a batch is created capturing, and nowhere else
// is a batch row inserted.
func TestOneStateWriter(t *testing.T) {
	update := regexp.MustCompile(`(?is)\bUPDATE\s+batches\s+SET\b.*\bstate\s*=`)
	insert := regexp.MustCompile(`(?is)\bINSERT\s+(OR\s+\w+\s+)?INTO\s+batches\b`)
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var writers, inserts []string
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			ast.Inspect(decl, func(n ast.Node) bool {
				lit, isLit := n.(*ast.BasicLit)
				if !isLit || lit.Kind != token.STRING {
					return true
				}
				where := name
				if ok {
					where += ":" + fn.Name.Name
				}
				if update.MatchString(lit.Value) {
					writers = append(writers, where)
				}
				if insert.MatchString(lit.Value) {
					inserts = append(inserts, where)
				}
				return true
			})
		}
	}
	if len(writers) != 1 || writers[0] != "state.go:setState" {
		t.Fatalf("statements writing batches.state: %v; want exactly one, in state.go:setState", writers)
	}
	if len(inserts) != 1 || inserts[0] != "batches.go:CreateBatch" {
		t.Fatalf("statements inserting batches: %v; want exactly one, in batches.go:CreateBatch", inserts)
	}
	// The only place that inserts a batch gives it the first state.
	src, _ := os.ReadFile("batches.go")
	if !strings.Contains(string(src), "spec.RecordType, StateCapturing, actor.ID") {
		t.Fatal("CreateBatch no longer inserts a batch in StateCapturing")
	}
}

// TestEditableKeyable is the table of what may change in each state.
func TestEditableKeyable(t *testing.T) {
	editable := map[State]bool{StateCapturing: true, StateKeying: true}
	keyable := map[State]bool{StateCapturing: true, StateKeying: true, StateReturned: true}
	for _, s := range allStates {
		if s.Editable() != editable[s] || s.Keyable() != keyable[s] {
			t.Errorf("%s: Editable %v Keyable %v, want %v %v", s, s.Editable(), s.Keyable(), editable[s], keyable[s])
		}
	}
	if got := keyableSQL(); got != "'capturing', 'keying', 'returned'" {
		t.Fatalf("keyableSQL %q", got)
	}
}

// stateFixture is a batch whose state a test sets directly (the one writer is then checked
// from every state to every state).
type stateFixture struct {
	s     *Store
	admin User
	batch Batch
}

func newStateFixture(t *testing.T) *stateFixture {
	t.Helper()
	s, admin := openTest(t)
	ctx := context.Background()
	b, err := s.CreateBatch(ctx, admin, BatchSpec{Name: "Lô trạng thái", Office: "HN-01"})
	if err != nil {
		t.Fatal(err)
	}
	return &stateFixture{s: s, admin: admin, batch: b}
}

// force puts the batch in state st behind the store's back, with an audit event so that
// VerifyAudit agrees (the test stands for the history that led there).
func (f *stateFixture) force(t *testing.T, st State) {
	t.Helper()
	err := f.s.write(context.Background(), func(tx *sql.Tx) error {
		if _, err := tx.Exec(`UPDATE batches SET state = ? WHERE id = ?`, st, f.batch.ID); err != nil {
			return err
		}
		return f.s.audit(tx, "test", "batch.state", "batch:"+f.batch.ID, "x→"+string(st)+" forced")
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (f *stateFixture) row(t *testing.T) (State, string) {
	t.Helper()
	var st, upd string
	if err := f.s.r.QueryRow(`SELECT state, updated_at FROM batches WHERE id = ?`, f.batch.ID).Scan(&st, &upd); err != nil {
		t.Fatal(err)
	}
	return State(st), upd
}

func (f *stateFixture) events(t *testing.T) int {
	t.Helper()
	var n int
	if err := f.s.r.QueryRow(`SELECT count(*) FROM audit`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSetStateEveryPair drives setState from every state to every state: an allowed change
// writes the new state, a later updated_at and one audit event "from→to detail" in the same
// transaction; a forbidden one is refused with ErrBadTransition and changes nothing.
func TestSetStateEveryPair(t *testing.T) {
	f := newStateFixture(t)
	ctx := context.Background()
	tick := time.Now().UTC().Truncate(time.Second).Add(time.Hour) // whole seconds: stamps compare as strings
	f.s.now = func() time.Time { tick = tick.Add(time.Second); return tick }
	allowed := 0
	for _, from := range allStates {
		for _, to := range allStates {
			f.force(t, from)
			_, before := f.row(t)
			n := f.events(t)
			var left State
			err := f.s.write(ctx, func(tx *sql.Tx) error {
				var err error
				left, err = f.s.setState(tx, f.admin, f.batch.ID, to, "why=test")
				return err
			})
			got, after := f.row(t)
			if !CanTransition(from, to) {
				if !errors.Is(err, ErrBadTransition) || got != from || after != before || f.events(t) != n {
					t.Errorf("%s→%s: err %v, state %s, updated %q→%q, %d events; want refused, nothing changed", from, to, err, got, before, after, f.events(t)-n)
				}
				continue
			}
			allowed++
			if err != nil || left != from || got != to || after <= before || f.events(t) != n+1 {
				t.Errorf("%s→%s: err %v, left %s, state %s, updated %q→%q, %d events", from, to, err, left, got, before, after, f.events(t)-n)
				continue
			}
			ev, err := f.s.AuditLog(ctx, 1)
			if err != nil || len(ev) != 1 || ev[0].Action != "batch.state" || ev[0].Object != "batch:"+f.batch.ID ||
				ev[0].Detail != string(from)+"→"+string(to)+" why=test" || ev[0].Actor != f.admin.Username {
				t.Errorf("%s→%s: audit event %+v (%v)", from, to, ev, err)
			}
		}
	}
	if allowed != 10 {
		t.Fatalf("%d transitions allowed, the state machine has 10", allowed)
	}
	if err := f.s.VerifyAudit(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestSetStateEntryRules: the rules of entering a state hold whichever step asks — keying
// and signing want the batch's office, review wants double-blind keying settled — and a
// refusal rolls back the whole transaction.
func TestSetStateEntryRules(t *testing.T) {
	ctx := context.Background()
	f := newStateFixture(t)
	if err := f.s.SetDoubleBlind(ctx, f.admin, f.batch.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.s.AddDocument(ctx, f.admin, NewDocument{BatchID: f.batch.ID, Origin: "a.png", Pages: []PageInput{pngPage(t, 10, 10, 200)}}); err != nil {
		t.Fatal(err)
	}
	f.force(t, StateKeying)
	marker := false
	err := f.s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.Exec(`UPDATE batches SET name = 'đổi tên' WHERE id = ?`, f.batch.ID); err != nil {
			return err
		}
		marker = true
		_, err := f.s.setState(tx, f.admin, f.batch.ID, StateReview, "")
		return err
	})
	if !errors.Is(err, ErrDoubleKeyOpen) || !marker {
		t.Fatalf("to review with double-blind keying open: %v", err)
	}
	if b, _ := f.s.Batch(ctx, f.batch.ID); b.State != StateKeying || b.Name != "Lô trạng thái" {
		t.Fatalf("after the refusal: %s %q; want keying and the old name (rolled back)", b.State, b.Name)
	}
	// No office: neither keying nor signing.
	if _, err := f.s.w.Exec(`UPDATE batches SET office = '' WHERE id = ?`, f.batch.ID); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ from, to State }{{StateCapturing, StateKeying}, {StateReturned, StateKeying}, {StateApproved, StateSigned}} {
		f.force(t, c.from)
		err := f.s.write(ctx, func(tx *sql.Tx) error {
			_, err := f.s.setState(tx, f.admin, f.batch.ID, c.to, "")
			return err
		})
		var oe *OfficeError
		if !errors.As(err, &oe) {
			t.Errorf("%s→%s without an office: %v", c.from, c.to, err)
		}
		if st, _ := f.row(t); st != c.from {
			t.Errorf("%s→%s refused but the state is %s", c.from, c.to, st)
		}
	}
	// A batch that is not there.
	err = f.s.write(ctx, func(tx *sql.Tx) error {
		_, err := f.s.setState(tx, f.admin, "no-such-batch", StateKeying, "")
		return err
	})
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown batch: %v", err)
	}
}

// TestLockedOutsideEditable: pages, documents and double-blind passes change only while a
// batch is Editable, field values and statuses only while it is Keyable (every copy of the
// test now asks State).
func TestLockedOutsideEditable(t *testing.T) {
	ctx := context.Background()
	f := newStateFixture(t)
	d, pages, err := f.s.AddDocument(ctx, f.admin, NewDocument{BatchID: f.batch.ID, Origin: "a.png",
		Pages: []PageInput{pngPage(t, 10, 10, 200), pngPage(t, 10, 10, 201)}})
	if err != nil {
		t.Fatal(err)
	}
	d2, _, err := f.s.AddDocument(ctx, f.admin, NewDocument{BatchID: f.batch.ID, Origin: "b.png", Pages: []PageInput{pngPage(t, 10, 10, 202)}})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range allStates {
		f.force(t, st)
		pageOps := map[string]error{}
		_, _, pageOps["add document"] = f.s.AddDocument(ctx, f.admin, NewDocument{BatchID: f.batch.ID, Origin: "c-" + string(st), Pages: []PageInput{pngPage(t, 10, 10, 9)}})
		_, pageOps["append page"] = f.s.AppendPage(ctx, f.admin, d.ID, pngPage(t, 10, 10, 8))
		_, pageOps["rotate"] = f.s.RotatePage(ctx, f.admin, pages[0].ID, 180)
		pageOps["move"] = f.s.MovePage(ctx, f.admin, pages[0].ID, 1)
		_, pageOps["replace"] = f.s.ReplacePage(ctx, f.admin, pages[0].ID, pngPage(t, 10, 10, 7))
		pageOps["double-blind"] = f.s.SetDoubleBlind(ctx, f.admin, f.batch.ID, false)
		for op, err := range pageOps {
			if st.Editable() && err != nil {
				t.Errorf("%s while %s: %v", op, st, err)
			}
			if !st.Editable() && !errors.Is(err, ErrBatchLocked) {
				t.Errorf("%s while %s: %v, want ErrBatchLocked", op, st, err)
			}
		}
		fieldErr := f.s.SetField(ctx, f.admin, d2.ID, "so", "1-"+string(st), SourceKeyed, 1)
		statusErr := f.s.SetDocumentStatus(ctx, f.admin, d2.ID, []string{DocKeyed, DocNew}[len(st)%2], 0)
		if st.Keyable() && (fieldErr != nil || statusErr != nil) {
			t.Errorf("keying while %s: %v, %v", st, fieldErr, statusErr)
		}
		if !st.Keyable() && (!errors.Is(fieldErr, ErrFieldsLocked) || !errors.Is(statusErr, ErrBatchLocked)) {
			t.Errorf("keying while %s: %v, %v; want locked", st, fieldErr, statusErr)
		}
		if pages, err = f.s.Pages(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
	}
}
