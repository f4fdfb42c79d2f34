package sign

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/internal/l10n/l10ntest"
)

func TestErrorsTranslated(t *testing.T) {
	for _, err := range []error{ErrNoPages, ErrBadImage, ErrNoCertificate, ErrKeyMismatch, ErrNotPDF, ErrPKCS12, ErrToken,
		ErrManifestUnsigned, ErrManifestSignature, ErrNoSignature, ErrTooManySignatures} {
		l10ntest.Translated(t, err.Error(), err)
	}
}

// TestChangeVocabulary: the English catalogue says what the verifier's constants say (so
// String() and the English Text are the verifier's own words), and every change reads in
// Vietnamese without a key or an English kind left in it.
func TestChangeVocabulary(t *testing.T) {
	for what, id := range whatKey {
		if got := l10n.T(l10n.En, "sign.what."+id); got != what {
			t.Errorf("sign.what.%s: en %q, constant %q", id, got, what)
		}
	}
	for d, id := range detailKey {
		if got := l10n.T(l10n.En, "sign.detail."+id); got != d {
			t.Errorf("sign.detail.%s: en %q, constant %q", id, got, d)
		}
	}
	for d, id := range objectDetailKey {
		if got := l10n.T(l10n.En, "sign.objdetail."+id); got != d {
			t.Errorf("sign.objdetail.%s: en %q, verifier %q", id, got, d)
		}
	}
	changes := []Change{
		{Sig: 1, Object: 12, What: WhatContent, Page: 2, Action: "changed"},
		{Sig: 2, Object: 3, What: WhatCatalog, Key: "/OpenAction", Action: "added", Detail: "fills a reference of unchanged object 9"},
		{Sig: 1, Object: 7, What: WhatFormField, Page: 1, Action: "changed", Detail: "form filled in", Allowed: true},
		{Sig: 1, Object: 40, What: WhatFile, Detail: detailHidden + ": at the end", Role: WhatFont, Page: 1, Offset: 5120},
		{Sig: 1, What: WhatFile, Detail: detailNotUpdate, Offset: 99},
	}
	for _, c := range changes {
		vi, en := c.Text(l10n.Vi), c.Text(l10n.En)
		if vi == en || en != c.String() || c.Localize(l10n.Vi) != vi {
			t.Errorf("%+v: vi %q, en %q, String %q", c, vi, en, c.String())
		}
		if strings.Contains(vi, "sign.") || strings.Contains(en, "sign.") || strings.Contains(vi, c.What) && c.What != WhatFile {
			t.Errorf("%+v: a key or an English kind in %q / %q", c, vi, en)
		}
	}
	want := []string{
		"đối tượng 12 (nội dung trang 2) bị thay đổi sau chữ ký 1",
		"object 12 (page 2 content) changed after signature 1",
		"đối tượng 3 (danh mục tài liệu): /OpenAction được thêm (lấp một tham chiếu của đối tượng 9 không đổi) sau chữ ký 2",
		"một đối tượng không được bảng tham chiếu chéo nào liệt kê (đối tượng ẩn) (đối tượng 40 (phông chữ, trang 1), byte 5120): at the end, sau chữ ký 1",
	}
	got := []string{changes[0].Text("vi"), changes[0].Text("en"), changes[1].Text("vi"), changes[3].Text("vi")}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("texts:\n%q\nwant\n%q", got, want)
	}
}
