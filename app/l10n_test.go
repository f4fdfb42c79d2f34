package app

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/queue"
)

// TestErrorDialogTranslatesWrappedStoreError: a refusal of the real store, wrapped twice on
// its way up as a workflow wraps it, shows in the error dialog in Vietnamese, and in English
// once the clerk switches the language; the wrapping words stay, the store's part is
// translated.
func TestErrorDialogTranslatesWrappedStoreError(t *testing.T) {
	h := newHarness(t, Services{})
	u := h.admin()
	ctx := context.Background()
	b, err := h.e.st.CreateBatch(ctx, u, queue.BatchSpec{Name: "Lô nhập hai lần"})
	if err != nil {
		t.Fatal(err)
	}
	page := []queue.PageInput{{Data: pagePNG(t, 40, 60), Format: "png", Width: 40, Height: 60, DPI: 150}}
	nd := queue.NewDocument{BatchID: b.ID, Origin: "scan.png", SourceHash: "0123abcd", Pages: page}
	if _, _, err := h.e.st.AddDocument(ctx, u, nd); err != nil {
		t.Fatal(err)
	}
	_, _, err = h.e.st.AddDocument(ctx, u, nd)
	if !errors.Is(err, queue.ErrDuplicateFile) {
		t.Fatalf("second import of the same file: %v", err)
	}
	wrapped := fmt.Errorf("import scan.png: %w", fmt.Errorf("batch %d: %w", 1, err))

	showError(h.win, wrapped)
	h.mustShow("import scan.png: batch 1: Tệp này đã được nhập vào lô trước đó.")
	if h.shows("already imported") {
		t.Fatal("English shown in the Vietnamese interface")
	}
	h.drainDialogs()

	h.sh.setLanguage("en")
	showError(h.win, wrapped)
	h.mustShow("import scan.png: batch 1: This file was already imported into the batch.")
	if h.shows("Tệp này") {
		t.Fatal("Vietnamese shown in the English interface")
	}
	h.drainDialogs()
	h.sh.setLanguage("vi")

	// An error with nothing to translate is shown as it is, after the window's "Error:".
	if got := errText(errors.New("disk full")); got != "Lỗi: disk full" {
		t.Errorf("plain error: %q", got)
	}
	if errText(nil) != "" {
		t.Error("errText(nil)")
	}
}

// TestCataloguesRegistered: the window's catalogue and the core's are both registered (their
// keys never collide: MustRegister refuses that at start-up) and tr reaches the core's too.
func TestCataloguesRegistered(t *testing.T) {
	names := map[string]bool{}
	for _, c := range l10n.Catalogues() {
		names[c.Name] = true
	}
	if !names["core"] || !names["app"] {
		t.Fatalf("catalogues %v", names)
	}
	applyLanguage("en")
	defer applyLanguage("vi")
	if got := tr("queue.fieldsLocked"); got != "field values are locked: the batch is in review or approved" {
		t.Errorf("a core message through tr: %q", got)
	}
}
