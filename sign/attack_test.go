package sign

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/sohoa/sohoa/internal/pdfattack"
)

var (
	attackBaseOnce sync.Once
	attackBase     []byte
	attackPKI      *testPKI
)

// attackSigned is a SoHoa document (BuildPDF: two pages, the record's fields embedded)
// signed once by sign.Sign, as the application makes it.
func attackSigned(t *testing.T) ([]byte, *testPKI) {
	attackBaseOnce.Do(func() {
		attackPKI = newTestPKI(t)
		var err error
		attackBase, err = Sign(unsignedPDF(t), attackPKI.signer(t, "Nguyễn Văn Tĩnh (Giám đốc)", "ecdsa"), SignInfo{Name: "Nguyễn Văn Tĩnh (Giám đốc)", Reason: "Phê duyệt"})
		if err != nil {
			t.Fatal(err)
		}
	})
	return bytes.Clone(attackBase), attackPKI
}

// expectation says which reason an attack must produce: o holds pdfattack.Objects of the
// signed file.
type expectation func(c Change, o map[string]int) bool

func namesObject(key string) expectation {
	return func(c Change, o map[string]int) bool { return c.Object == o[key] }
}

var attackExpect = map[string]expectation{
	// The page a viewer shows instead of the signed page 1 (the page object itself, or the
	// signed page 1 gone from the page list when the forgery brings its own page tree).
	"fake-trailer-in-string":         namesObject("page1"),
	"fake-trailer-in-comment":        namesObject("page1"),
	"page-in-string":                 namesObject("page1"),
	"comment-between-number-and-obj": namesObject("page1"),
	"objstm-unfiltered":              namesObject("page1"),
	"objstm-flate-array":             namesObject("page1"),
	"objstm-asciihex-flate":          namesObject("page1"),
	"objstm-flate":                   namesObject("page1"),
	"hybrid-xrefstm":                 namesObject("page1"),
	"page-overlay":                   namesObject("page1"),
	"page-content": func(c Change, o map[string]int) bool {
		return c.Object == o["content1"] && c.What == WhatContent && c.Page == 1
	},
	"annotation": func(c Change, o map[string]int) bool {
		return c.What == WhatAnnotation && c.Page == 1 && c.Action == "added" && c.Object > 0
	},
	"form-field": func(c Change, o map[string]int) bool {
		return (c.What == WhatFormField || c.What == WhatForm) && c.Object > 0
	},
	"openaction-javascript": func(c Change, o map[string]int) bool {
		return c.Object == o["catalog"] && c.What == WhatJavaScript && c.Key == "/OpenAction"
	},
	"names-javascript": func(c Change, o map[string]int) bool {
		return c.Object == o["catalog"] && c.What == WhatJavaScript && c.Key == "/Names /JavaScript"
	},
	"replaced-record": func(c Change, o map[string]int) bool {
		return c.Object == o["record"] && c.What == WhatRecord
	},
	"added-record-attachment": func(c Change, o map[string]int) bool {
		return c.Object == o["catalog"] && c.What == WhatAttachment && c.Key == "/Names /EmbeddedFiles"
	},
	"added-page": func(c Change, o map[string]int) bool {
		return c.What == WhatPage && c.Action == "added" && c.Page == 3 && c.Object > 0
	},
	"removed-page": func(c Change, o map[string]int) bool {
		return c.Object == o["lastpage"] && c.What == WhatPage && c.Action == "removed"
	},
}

// pdfsigVerdict sums up poppler's pdfsig for the first signature.
func pdfsigVerdict(out string) string {
	switch {
	case strings.Contains(out, "Signature is Valid"):
		return "valid"
	case strings.Contains(out, "Digest Mismatch"):
		return "digest mismatch"
	case strings.Contains(out, "Signature #1"):
		return "invalid"
	}
	return "no signature found"
}

// TestAttacksDetected applies every attack generator to a PDF SoHoa signed: each result is
// "modified" with a reason naming the changed object. pdfsig runs beside it for comparison
// (it checks only that the signed bytes are unchanged, so it calls them valid); pdftotext
// shows that a viewer does read the forgery, so the attack is real.
func TestAttacksDetected(t *testing.T) {
	signed, pki := attackSigned(t)
	objs, err := pdfattack.Objects(signed)
	if err != nil {
		t.Fatal(err)
	}
	var table strings.Builder
	fmt.Fprintf(&table, "%-32s %-10s %-18s %s\n", "attack", "sohoa", "pdfsig", "first reason")
	for _, a := range pdfattack.All() {
		t.Run(a.Name, func(t *testing.T) {
			out, err := a.Apply(signed)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(out, signed) {
				t.Fatal("the attack changed signed bytes")
			}
			rep, err := verifyWithTimeout(t, out, deadline)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if rep.Intact || len(rep.Signatures) != 1 {
				t.Fatalf("%s reported intact: %+v", a.Name, rep)
			}
			s := rep.Signatures[0]
			if !s.ModifiedAfterSigning || len(s.Changes) == 0 || !s.ByteRangeValid || !s.DigestValid || !s.SignatureValid {
				t.Fatalf("want an intact signature over a modified file: %+v", s)
			}
			want := attackExpect[a.Name]
			found := false
			for _, c := range s.ChangeDetails {
				if c.Sig != 1 || c.Allowed {
					t.Errorf("change %+v", c)
				}
				if want != nil && want(c, objs) {
					found = true
				}
			}
			if want == nil || !found {
				t.Errorf("no reason names the changed object: %q", s.Changes)
			}
			path := writeTemp(t, a.Name+".pdf", out)
			sig := pdfsigVerdict(pdfsig(t, out))
			fmt.Fprintf(&table, "%-32s %-10s %-18s %s\n", a.Name, "modified", sig, s.Changes[0])
			t.Logf("reasons: %q", s.Changes)
			t.Logf("Vietnamese: %s", s.ChangeDetails[0].Text("vi"))
			if a.Class == "shadow" || a.Name == "page-overlay" {
				txt, _ := execOutput("pdftotext", "-f", "1", "-l", "1", path, "-")
				if !strings.Contains(txt, pdfattack.ForgedText) {
					t.Errorf("a viewer does not show the forgery (the generator is broken): %q", txt)
				}
			}
			switch a.Name {
			case "replaced-record": // the forgery is real: a reader that skips Verify takes it
				if rec, err := ReadRecord(context.Background(), out); err != nil || !bytes.Contains(rec, []byte(pdfattack.ForgedText)) {
					t.Errorf("ReadRecord of the forgery: %q %v", rec, err)
				}
			case "added-record-attachment": // two records: ReadRecord takes neither
				if rec, err := ReadRecord(context.Background(), out); err == nil {
					t.Errorf("ReadRecord took one of two records: %q", rec)
				}
			}
			// Trust does not rescue a modified file.
			if rep, _ := Verify(out, VerifyOptions{Roots: pki.roots()}); rep.Trusted {
				t.Error("modified file trusted")
			}
		})
	}
	t.Logf("SoHoa against pdfsig (poppler):\n%s", table.String())
}

// deadline catches a hang; it is no speed requirement.
const deadline = 60e9

// TestLegitUpdatesStayIntact: what ISO 32000-2 allows after an approval signature.
func TestLegitUpdatesStayIntact(t *testing.T) {
	signed, pki := attackSigned(t)
	for _, a := range pdfattack.Legit() {
		t.Run(a.Name, func(t *testing.T) {
			out, err := a.Apply(signed)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := verifyWithTimeout(t, out, deadline)
			if err != nil || !rep.Intact {
				t.Fatalf("%s: not intact: %v %q", a.Name, err, rep.Signatures[0].Changes)
			}
			if len(rep.Signatures[0].AllowedChanges) == 0 {
				t.Errorf("the allowed change is not listed")
			}
			t.Logf("allowed: %v", rep.Signatures[0].AllowedChanges)
			if sig := pdfsigVerdict(pdfsig(t, out)); sig != "valid" {
				t.Errorf("pdfsig: %s", sig)
			}
		})
	}
	t.Run("second approval signature then DSS", func(t *testing.T) {
		two, err := Sign(signed, pki.signer(t, "Trần Hùng", "rsa"), SignInfo{Name: "Trần Hùng"})
		if err != nil {
			t.Fatal(err)
		}
		der := pki.Root.Raw
		three, err := pdfattack.DSS(two, der)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range [][]byte{two, three} {
			rep, err := Verify(f, VerifyOptions{Roots: pki.roots()})
			if err != nil || !rep.Intact || !rep.Trusted || len(rep.Signatures) != 2 {
				t.Fatalf("%v %+v", err, rep)
			}
		}
	})
	t.Run("attack after a second signature", func(t *testing.T) {
		two, err := Sign(signed, pki.signer(t, "Trần Hùng", "rsa"), SignInfo{Name: "Trần Hùng"})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range pdfattack.Shadow() {
			out, err := a.Apply(two)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := Verify(out, VerifyOptions{IntegrityOnly: true})
			if err != nil || rep.Intact || len(rep.Signatures) != 2 || !rep.Signatures[0].ModifiedAfterSigning || !rep.Signatures[1].ModifiedAfterSigning {
				t.Errorf("%s after two signatures: %v %+v", a.Name, err, rep)
			}
		}
	})
}
