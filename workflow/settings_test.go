package workflow_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/sync/client"
	"github.com/sohoa/sohoa/workflow"
)

// TestSettings: an administrator sets the office, the auto-lock, the OCR languages (only
// installed ones), the trust store and the token module, each checked; several at once are
// stored together or not at all; sync credentials are not set by hand; the token is never
// read back; an enrolled workstation's office is the server's.
func TestSettings(t *testing.T) {
	w := newWorld(t)
	ctx, admin := w.ctx, w.ws.Admin
	s, err := w.wf.ReadWorkstationSettings(ctx)
	if err != nil || s.AutoLockMinutes != workflow.DefaultAutoLockMinutes || !slices.Equal(s.OCRLanguages, []string{"vie", "eng"}) || s.Enrolled {
		t.Fatalf("defaults %+v, %v", s, err)
	}
	if err := w.wf.SetSetting(ctx, w.ws.Clerk, workflow.SettingAutoLock, "5"); !errors.Is(err, queue.ErrNotPermitted) {
		t.Fatalf("a clerk sets a setting: %v", err)
	}
	var se *workflow.SettingError
	for _, bad := range [][2]string{{workflow.SettingAutoLock, "-3"}, {workflow.SettingAutoLock, "abc"}, {workflow.SettingOCRLanguages, "klingon"},
		{workflow.SettingTrustStore, filepath.Join(t.TempDir(), "none.pem")}, {workflow.SettingPKCS11Module, "/nonexistent/lib.so"}, {client.SettingToken, "abc"}} {
		if err := w.wf.SetSetting(ctx, admin, bad[0], bad[1]); !errors.As(err, &se) {
			t.Errorf("%s=%q accepted: %v", bad[0], bad[1], err)
		}
	}
	if err := w.wf.SetSetting(ctx, admin, workflow.SettingOffice, "UBND xã An Bình"); !errors.Is(err, queue.ErrBadOffice) {
		t.Fatalf("bad office: %v", err)
	}
	// one bad value stores none
	if err := w.wf.SaveSettings(ctx, admin, map[string]string{workflow.SettingAutoLock: "7", workflow.SettingOCRLanguages: "xyz"}); err == nil {
		t.Fatal("a bad value among several saved")
	}
	if v, _ := w.ws.Store.Setting(ctx, workflow.SettingAutoLock); v == "7" {
		t.Fatal("the good value was stored with the bad one")
	}
	ca := newCA(t, "SoHoa Test CA")
	module := filepath.Join(t.TempDir(), "libtoken.so")
	os.WriteFile(module, []byte("ELF"), 0o600)
	if err := w.wf.SaveSettings(ctx, admin, map[string]string{workflow.SettingAutoLock: "7", workflow.SettingOCRLanguages: "eng",
		workflow.SettingOffice: "HN-02", workflow.SettingTrustStore: ca.pem, workflow.SettingPKCS11Module: module}); err != nil {
		t.Fatal(err)
	}
	s, _ = w.wf.ReadWorkstationSettings(ctx)
	if s.AutoLockMinutes != 7 || !slices.Equal(s.OCRLanguages, []string{"eng"}) || s.Office != "HN-02" || s.TrustStore != ca.pem || s.PKCS11Module != module {
		t.Fatalf("read back %+v", s)
	}
	if roots, err := w.wf.TrustRoots(ctx); err != nil || roots == nil {
		t.Fatalf("trust roots %v", err)
	}
	// the token is a secret: listed as set, never shown
	if err := w.ws.Store.SetSettings(ctx, admin, map[string]string{client.SettingToken: "bí-mật", client.SettingOffice: "HN-01"}); err != nil {
		t.Fatal(err)
	}
	entries, err := w.wf.ReadSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Key == client.SettingToken && (!e.Set || !e.Secret || e.Value != "") {
			t.Fatalf("token listed as %+v", e)
		}
	}
	// enrolled for HN-01: the office set by hand must be it
	if err := w.wf.SetSetting(ctx, admin, workflow.SettingOffice, "HN-02"); !errors.As(err, &se) || se.Reason != "enrolled_office" {
		t.Fatalf("another office on an enrolled workstation: %v", err)
	}
	if err := w.wf.SetSetting(ctx, admin, workflow.SettingOffice, "HN-01"); err != nil {
		t.Fatal(err)
	}
}

// TestOCRTessdataSetting: the OCR model folder (ocr_tessdata) must hold orientation
// detection and every configured language; once set, the languages are checked against it.
func TestOCRTessdataSetting(t *testing.T) {
	w := newWorld(t)
	ctx, admin := w.ctx, w.ws.Admin
	if dir, err := w.wf.OCRTessdata(ctx); err != nil || dir != workflow.TessdataDir() {
		t.Fatalf("default folder %q, %v", dir, err)
	}
	partial := t.TempDir()
	for _, l := range []string{"osd", "vie"} {
		if err := os.Symlink(filepath.Join(workflow.TessdataDir(), l+".traineddata"), filepath.Join(partial, l+".traineddata")); err != nil {
			t.Fatal(err)
		}
	}
	var se *workflow.SettingError
	if err := w.wf.SetSetting(ctx, admin, workflow.SettingOCRTessdata, partial); !errors.As(err, &se) || se.Reason != "tessdata" || se.Detail != "eng.traineddata" {
		t.Fatalf("folder without eng (languages vie+eng): %v", err)
	}
	if err := w.wf.SetSetting(ctx, admin, workflow.SettingOCRLanguages, "vie"); err != nil {
		t.Fatal(err)
	}
	if err := w.wf.SetSetting(ctx, admin, workflow.SettingOCRTessdata, partial); err != nil {
		t.Fatalf("folder with osd and vie, languages vie: %v", err)
	}
	if dir, err := w.wf.OCRTessdata(ctx); err != nil || dir != partial {
		t.Fatalf("folder read back %q, %v", dir, err)
	}
	// eng is installed system-wide but not in the chosen folder
	if err := w.wf.SetSetting(ctx, admin, workflow.SettingOCRLanguages, "vie+eng"); !errors.As(err, &se) || se.Reason != "no_language" {
		t.Fatalf("a language missing from the model folder accepted: %v", err)
	}
	if err := w.wf.SetSetting(ctx, admin, workflow.SettingOCRTessdata, ""); err != nil {
		t.Fatal(err)
	}
	if dir, _ := w.wf.OCRTessdata(ctx); dir != workflow.TessdataDir() {
		t.Fatalf("cleared: folder %q", dir)
	}
}
