package app

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/sohoa/sohoa/internal/pdfattack"
	"github.com/sohoa/sohoa/sync/synctest"
	"github.com/sohoa/sohoa/workflow"
)

// TestVerifyScreen: with the workstation's trust store set, a signed batch verifies as
// valid with each signature's signer, time, coverage and trust; a signed PDF file (path
// typed after a click in the entry, Enter pressed) is valid; the same file with a forged
// incremental update is invalid, saying it was changed after signing and which object of
// which page, in Vietnamese and, after switching, in English.
func TestVerifyScreen(t *testing.T) {
	ctx := context.Background()
	ws, err := synctest.NewWorkstation(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pki, err := synctest.NewPKI("Trần Văn Kiểm")
	if err != nil {
		t.Fatal(err)
	}
	id, err := ws.SignedBatch(ctx, pki, synctest.BatchSpec{Office: "HN-01", Documents: 2}, mrand.New(mrand.NewPCG(9, 10)))
	if err != nil {
		t.Fatal(err)
	}
	root, err := pki.WriteRoot(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	wf, _ := workflow.New(ws.Store)
	if err := wf.SetSetting(ctx, ws.Admin, workflow.SettingTrustStore, root); err != nil {
		t.Fatal(err)
	}
	sdocs, _ := ws.Store.SignedDocuments(ctx, id)
	signed, err := os.ReadFile(ws.Store.Blobs.Path(sdocs[0].PDFSHA256))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "ho-so-da-ky.pdf")
	os.WriteFile(good, signed, 0o600)
	forged, err := pdfattack.Shadow()[6].Apply(signed)
	if err != nil {
		t.Fatal(err)
	}
	objs, _ := pdfattack.Objects(signed)
	bad := filepath.Join(dir, "ho-so-bi-sua.pdf")
	os.WriteFile(bad, forged, 0o600)

	h := newHarness(t, Services{})
	t.Cleanup(func() { ws.Store.Close() })
	h.e.st = ws.Store
	h.login(ws.Clerk)
	test.Tap(h.button("Kiểm tra chữ ký"))
	h.wait()
	v := h.sh.verify
	if v == nil {
		t.Fatal("no verify screen")
	}
	h.mustShow("Danh sách tin cậy của máy trạm: " + root)
	v.batchSel.SetSelectedIndex(0)
	test.Tap(h.button("Kiểm tra lô"))
	h.wait()
	h.mustShow("Lô lô thử đồng bộ HỢP LỆ: bản kê và 2 tệp PDF đã ký đều nguyên vẹn, người ký được tin cậy.")
	h.mustShow("Bản kê của lô: chữ ký hợp lệ, người ký Trần Văn Kiểm.")
	h.mustShow("Người ký theo chứng thư: Trần Văn Kiểm — do SoHoa Sync Test Root cấp")
	h.mustShow("Tình trạng: nguyên vẹn — nội dung đã ký không bị thay đổi.")
	h.mustShow("Tin cậy: chứng thư của người ký do nơi cấp trong danh sách tin cậy cấp.")
	h.mustShow("Phạm vi: toàn bộ tệp (")
	h.mustShow("Thời điểm ký (người ký khai): ")

	path := h.entry("Đường dẫn tệp PDF đã ký")
	click(path)
	h.typeFocused(good)
	enter(path)
	h.wait()
	h.mustShow("ho-so-da-ky.pdf: HỢP LỆ — mọi chữ ký còn nguyên vẹn và người ký được tin cậy.")

	path.SetText("")
	click(path)
	h.typeFocused(bad)
	test.Tap(h.button("Kiểm tra tệp"))
	h.wait()
	h.mustShow("ho-so-bi-sua.pdf: KHÔNG HỢP LỆ — tệp bị sửa sau khi ký.")
	h.mustShow("Tình trạng: BỊ SỬA SAU KHI KÝ.")
	h.mustShow("Những thay đổi sau khi ký:")
	h.mustShow(fmt.Sprintf("đối tượng %d (trang 1)", objs["page1"]))
	h.mustShow("phần sau được thêm vào sau khi ký")
	h.mustShow("Tin cậy: chứng thư của người ký thuộc danh sách tin cậy, nhưng chữ ký không còn nguyên vẹn")

	h.sh.setLanguage("en")
	defer applyLanguage("vi")
	h.wait()
	path = h.entry("Path of a signed PDF file")
	path.SetText(bad)
	enter(path)
	h.wait()
	h.mustShow("ho-so-bi-sua.pdf: INVALID — the file was changed after signing.")
	h.mustShow(fmt.Sprintf("object %d (page 1)", objs["page1"]))
	h.mustShow("State: CHANGED AFTER SIGNING.")

	// A file that is not a PDF, and one that is not there.
	notPDF := filepath.Join(dir, "khong-phai.pdf")
	os.WriteFile(notPDF, []byte("không phải PDF"), 0o600)
	path.SetText(notPDF)
	enter(path)
	h.wait()
	h.mustShow("khong-phai.pdf: CANNOT BE VERIFIED — not a valid PDF")
	path.SetText(filepath.Join(dir, "khong-co.pdf"))
	enter(path)
	h.wait()
	h.mustShow("khong-co.pdf: CANNOT BE VERIFIED — cannot read the file khong-co.pdf")
}
