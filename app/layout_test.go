package app

import (
	"context"
	"fmt"
	"testing"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sohoa/sohoa/queue"
)

// everyRole signs in a user with every role (the most buttons on every screen).
func everyRole(t *testing.T, h *harness) queue.User {
	t.Helper()
	u, err := h.e.st.CreateUser(context.Background(), nil, "ca.ba", "Nguyễn Thị Phương Thảo Hoàng", "matkhau-123",
		[]queue.Role{queue.RoleAdmin, queue.RoleClerk, queue.RoleSupervisor})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// fits fails unless the window kept its size with the screen on show: nothing forced it
// wider or taller.
func (h *harness) fits(screen string, size fyne.Size) {
	h.t.Helper()
	if got := h.win.Canvas().Size(); got != size {
		h.t.Fatalf("%s: the window is %v, it was %v (content needs %v)", screen, got, size, h.win.Content().MinSize())
	}
}

// TestScreensFit1024And1366: at 1024×768 and at 1366×768, in Vietnamese and in English, with
// every button a user with every role sees, the batch list, the keying screen (a birth
// certificate and a household register with its table), the viewer and the review screen fit
// the window, and the batch list does not widen it after it was shown; every entry of the
// keying form shows a 40-character name whole; the provenance stands beside the entries
// where there is room, under them at 1024.
func TestScreensFit1024And1366(t *testing.T) {
	if n := utf8.RuneCountInString(layoutName); n != 40 {
		t.Fatalf("layoutName has %d characters", n)
	}
	for _, lang := range []string{"vi", "en"} {
		for _, size := range []fyne.Size{{Width: 1024, Height: 768}, {Width: 1366, Height: 768}} {
			t.Run(fmt.Sprintf("%s-%v", lang, size.Width), func(t *testing.T) {
				h := newHarness(t, Services{})
				applyLanguage(lang)
				defer applyLanguage("vi")
				registerTypes(t, h)
				u := everyRole(t, h)
				h.win.Resize(size)
				h.login(u)
				h.fits("batch list", size)
				// Every column of the batch table shows without scrolling sideways.
				bl := h.sh.list
				total := bl.colW[0] + bl.colW[1]
				for i, w := range colWidths {
					if i != colName && i != colType {
						total += w
					}
					total += theme.Padding()
				}
				if tw := bl.table.Size().Width; total > tw || bl.colW[0] < colWidths[colName] {
					t.Errorf("the batch table's columns need %.0f, it is %.0f wide (name %.0f)", total, tw, bl.colW[0])
				}
				need := fyne.MeasureText(layoutName, theme.TextSize(), fyne.TextStyle{}).Width + 2*theme.InnerPadding()
				for _, rt := range []string{"birth", "household"} {
					b, _ := keyingBatch(t, h, u, rt, pagePNG(t, 800, 1100))
					h.sh.openKeying(b, 0, 0, "")
					h.wait()
					h.fits("keying "+rt, size)
					k := h.sh.keying
					if k == nil || len(k.rows) < 10 {
						t.Fatalf("keying %s: screen %v", rt, k)
					}
					if under := size.Width < 1366; k.infoUnder != under {
						t.Errorf("keying %s at %v: provenance under the entries %v", rt, size.Width, k.infoUnder)
					}
					for _, r := range k.rows {
						if w := r.entry.Size().Width; w < need+theme.IconInlineSize() {
							t.Errorf("keying %s at %v: entry %q is %.0f wide, a 40-character name needs %.0f", rt, size.Width, r.label.Text, w, need+theme.IconInlineSize())
						}
						if k.infoUnder && r.info.Position().Y < r.entry.Size().Height {
							t.Errorf("keying %s: provenance of %q overlaps its entry", rt, r.label.Text)
						}
					}
					// A name typed whole into the first name field is shown whole.
					for _, r := range k.fieldRows {
						if r.f.Type == "name" {
							r.entry.SetText(layoutName)
							if w := r.entry.Size().Width; fyne.MeasureText(r.entry.Text, theme.TextSize(), fyne.TextStyle{}).Width > w {
								t.Errorf("keying %s: %q cut in a %.0f-wide entry", rt, r.entry.Text, w)
							}
							break
						}
					}
					h.sh.showBatches()
					h.wait()
					h.fits("batch list after keying", size)
					h.sh.openViewer(b, 0, 0)
					h.wait()
					h.fits("viewer", size)
				}
				h.sh.showReview()
				h.wait()
				h.fits("review", size)
				// The document view of the review (a birth certificate's fields, the actions).
				r := h.sh.review
				r.rt, _ = h.e.flow().RecordType("birth")
				r.docs = []queue.ReviewDoc{{DocumentID: 1, Seq: 1, Sampled: "random", Reasons: []string{queue.ReasonRandom}}}
				r.showDocs()
				h.wait()
				h.fits("review document", size)
				h.sh.showBatches()
				h.wait()
				h.fits("batch list at the end", size)
				if h.sh.list == nil {
					t.Fatal("no batch list")
				}
				// The capture panel fits the dialog it opens in.
				p := newCapturePanel(h.e, u, queue.Batch{ID: "x", Name: "Lô"}, nil)
				defer p.close()
				h.wait()
				if m := p.content.MinSize(); m.Width > 860 || m.Height > 620 {
					t.Errorf("the capture panel needs %v, its dialog is 860×620", m)
				}
				var wide []string
				for _, r := range h.roots() {
					walk(r, func(o fyne.CanvasObject) {
						if b, ok := o.(*widget.Button); ok && b.Visible() && b.Size().Width < b.MinSize().Width {
							wide = append(wide, b.Text)
						}
					})
				}
				if len(wide) > 0 {
					t.Errorf("buttons squeezed below their size: %q", wide)
				}
			})
		}
	}
}
