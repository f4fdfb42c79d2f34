package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/workflow"
)

// TestSubmitButton: a clerk submits the selected batch from the batch list. A hard validation
// error (required fields missing) refuses it with the count, in Vietnamese; once the fields
// are keyed the batch goes to review.
func TestSubmitButton(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, Services{})
	registerTypes(t, h)
	admin := h.admin()
	clerk, err := h.e.st.CreateUser(ctx, &admin, "nhap.lieu", "Nguyễn Thị Nhập", "matkhau-nhap-1", []queue.Role{queue.RoleClerk})
	if err != nil {
		t.Fatal(err)
	}
	b, docs := keyingBatch(t, h, clerk, "household", pagePNG(t, 800, 1100))
	pages, err := h.e.st.Pages(ctx, docs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.e.st.SaveOCR(ctx, pages[0].ID, queue.OCRResult{Text: "Sổ hộ khẩu", MeanConf: 90, Engine: "e", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	h.login(clerk)
	h.sh.list.table.Select(widget.TableCellID{Row: 0, Col: 0})
	h.wait()
	test.Tap(h.button("Gửi duyệt"))
	h.wait()
	if st := h.sh.list.status.Text; !strings.Contains(st, "lỗi") {
		t.Fatalf("submit with missing required fields: status %q", st)
	}
	if got, _ := h.e.st.Batch(ctx, b.ID); got.State != queue.StateCapturing {
		t.Fatalf("refused submit moved the batch to %s", got.State)
	}
	for k, v := range map[string]string{"document_number": "125/2019/HK", "full_name": "Nguyễn Thị Phương Thảo",
		"date_of_birth": "12/03/1998", "gender": "Nữ", "personal_id": "001198012345",
		"permanent_residence": "Phường Yên Hòa, Thành phố Hà Nội", "household_head": "Nguyễn Văn Hùng",
		"relation_to_head": "Con", "issue_date": "05/06/2020", "signer_name": "Trần Văn Đức"} {
		if err := h.e.st.SetField(ctx, clerk, docs[0].ID, k, v, queue.SourceKeyed, 1); err != nil {
			t.Fatal(err)
		}
	}
	test.Tap(h.button("Gửi duyệt"))
	h.wait()
	if got, _ := h.e.st.Batch(ctx, b.ID); got.State != queue.StateReview {
		t.Fatalf("batch %s after submit, status %q", got.State, h.sh.list.status.Text)
	}
	if st := h.sh.list.status.Text; !strings.Contains(st, "đi duyệt") {
		t.Errorf("status after submit %q", st)
	}
}

// TestSubmitRefusalInLanguage: the validation error that refuses a submit (queue's
// ValidationError, through the workflow) is shown in the interface language alone, Vietnamese
// or English, as the catalogue says it — not both languages joined.
func TestSubmitRefusalInLanguage(t *testing.T) {
	ctx := context.Background()
	shown := map[string]string{}
	for _, lang := range []string{l10n.Vi, l10n.En} {
		h := newHarness(t, Services{})
		applyLanguage(lang)
		registerTypes(t, h)
		admin := h.admin()
		clerk, err := h.e.st.CreateUser(ctx, &admin, "nhap.lieu", "Nguyễn Thị Nhập", "matkhau-nhap-1", []queue.Role{queue.RoleClerk})
		if err != nil {
			t.Fatal(err)
		}
		b, docs := keyingBatch(t, h, clerk, "household", pagePNG(t, 800, 1100))
		pages, err := h.e.st.Pages(ctx, docs[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.e.st.SaveOCR(ctx, pages[0].ID, queue.OCRResult{Text: "Sổ hộ khẩu", MeanConf: 90, Engine: "e", Model: "m"}); err != nil {
			t.Fatal(err)
		}
		// What the workflow refuses with, said in lang.
		_, refusal := h.e.flow().Submit(ctx, clerk, workflow.SubmitInput{Batch: b.ID}, nil)
		var ve *queue.ValidationError
		if !errors.As(refusal, &ve) {
			t.Fatalf("submit with required fields missing: %v", refusal)
		}
		want := l10n.Text(lang, refusal)
		h.login(clerk)
		h.sh.list.table.Select(widget.TableCellID{Row: 0, Col: 0})
		h.wait()
		test.Tap(h.button(tr("submit.button")))
		h.wait()
		got := h.sh.list.status.Text
		if got != want || strings.Contains(got, " / ") {
			t.Errorf("%s: status %q, want %q", lang, got, want)
		}
		shown[lang] = got
	}
	applyLanguage(l10n.Vi)
	if vi, en := shown[l10n.Vi], shown[l10n.En]; vi == en || !strings.Contains(vi, "phải sửa trước") || !strings.Contains(en, "must be fixed first") {
		t.Errorf("vi %q, en %q", vi, en)
	}
}

// TestVerifyErrorInLanguage: a workflow error the verify screen cannot go on with is said in
// the interface language (its Localize), wrapped or not.
func TestVerifyErrorInLanguage(t *testing.T) {
	defer applyLanguage(l10n.Vi)
	err := fmt.Errorf("verify: %w", l10n.New("workflow.manifest.otherBatch"))
	for lang, want := range map[string]string{l10n.Vi: "bản kê đã ký ghi lô khác", l10n.En: "the signed manifest names another batch"} {
		applyLanguage(lang)
		if got := verifyErrText(err); got != "verify: "+want {
			t.Errorf("%s: %q, want %q", lang, got, want)
		}
	}
}
